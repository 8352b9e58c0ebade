import Foundation
import Testing
import Layers
import Tensor

@Suite("Callbacks decide on scripted metric sequences")
struct CallbackTests {
    /// A compiled one-weight model whose weight we set to the epoch number, so that
    /// restored weights tell which epoch they came from.
    func tinyModel(learningRate: Float = 1) throws -> Sequential {
        let model = Sequential(seed: 1) { Input(shape: [1]); Dense(units: 1, useBias: false) }
        try model.compile(optimizer: SGD(learningRate: learningRate), loss: .meanSquaredError)
        return model
    }

    /// Feeds `values` of `key` to `callback` as epoch ends; returns the epoch training stopped at.
    func drive(_ callback: any Callback, model: Sequential, key: LogKey = .valLoss, values: [Float]) throws -> Int? {
        try callback.onTrainBegin(model: model)
        model.stopTraining = false
        for (epoch, value) in values.enumerated() {
            try model.setWeights([Tensor.filled([1, 1], with: Float(epoch))])
            try callback.onEpochEnd(epoch, logs: [.loss: 0, key: value], model: model)
            if model.stopTraining { return epoch }
        }
        return nil
    }

    /// Adds twice the loss to the logs of each batch and epoch.
    final class DoubleLoss: Callback {
        func onBatchEnd(_ batch: Int, logs: Logs, model: Model) throws { model.addToLogs(2 * logs[.loss]!, as: "double_loss") }
        func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws { model.addToLogs(2 * logs[.loss]!, as: "double_loss") }
    }

    /// Records the logs it is given.
    final class Recorder: Callback {
        var epochs: [Logs] = []
        var batches: [Logs] = []
        func onBatchEnd(_ batch: Int, logs: Logs, model: Model) throws { batches.append(logs) }
        func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws { epochs.append(logs) }
    }

    @Test("a callback adds values to the logs: the callbacks after it and History see them")
    func addedLogs() throws {
        let model = try tinyModel(learningRate: 0.1)
        let recorder = Recorder()
        let x = try Tensor(shape: [8, 1], scalars: (0..<8).map { Float($0) / 8 })
        let history = try model.fit(x: x, y: x * 2, batchSize: 4, epochs: 3, callbacks: [DoubleLoss(), recorder], verbose: .silent)
        #expect(recorder.epochs.count == 3 && recorder.batches.count == 6)
        for logs in recorder.epochs + recorder.batches { #expect(logs["double_loss"] == 2 * logs[.loss]!) }
        #expect(history["double_loss"] == history[.loss].map { $0 * 2 })
        // A callback before the one that adds sees nothing added.
        let early = Recorder()
        try model.fit(x: x, y: x * 2, batchSize: 4, epochs: 1, callbacks: [early, DoubleLoss()], verbose: .silent)
        #expect(early.epochs.first?["double_loss"] == nil)
    }

    @Test("EarlyStopping stops after `patience` epochs without improvement and restores the best weights")
    func earlyStopping() throws {
        let model = try tinyModel()
        let early = EarlyStopping(monitor: .valLoss, patience: 2, restoreBestWeights: true)
        let stopped = try drive(early, model: model, values: [1.0, 0.8, 0.85, 0.9, 0.7])
        #expect(stopped == 3)
        #expect(early.stoppedEpoch == 3 && early.bestEpoch == 1 && early.best == 0.8)
        #expect(model.weights[0].scalars == [1], "the weights of epoch 1, the best")
    }

    @Test("EarlyStopping: minDelta, mode inferred for accuracy, baseline")
    func earlyStoppingOptions() throws {
        let model = try tinyModel()
        // Improvements smaller than minDelta do not count.
        #expect(try drive(EarlyStopping(monitor: .valLoss, minDelta: 0.1, patience: 1), model: model,
                          values: [1.0, 0.95, 0.92]) == 1)
        // Accuracy goes up: a falling accuracy is no improvement.
        #expect(try drive(EarlyStopping(monitor: .valAccuracy, patience: 1), model: model, key: .valAccuracy,
                          values: [0.5, 0.6, 0.55]) == 2)
        // Values that never beat the baseline never reset the wait.
        #expect(try drive(EarlyStopping(monitor: .valLoss, patience: 2, baseline: 0.5), model: model,
                          values: [0.9, 0.8, 0.7]) == 1)
        // startFromEpoch ignores the first epochs.
        #expect(try drive(EarlyStopping(monitor: .valLoss, patience: 1, startFromEpoch: 2), model: model,
                          values: [0.1, 0.9, 0.9, 0.9, 0.9]) == 3)
        #expect(try drive(EarlyStopping(monitor: .valLoss, patience: 3), model: model, values: [1, 0.9, 0.8, 0.7]) == nil)
    }

    @Test("an unknown monitor key is reported with the keys that exist")
    func unknownKey() throws {
        let model = try tinyModel()
        let early = EarlyStopping(monitor: .valLoss)
        try early.onTrainBegin(model: model)
        let error = #expect(throws: LayersError.self) { try early.onEpochEnd(0, logs: [.loss: 1, .accuracy: 0.5], model: model) }
        #expect(error?.description == "no log value 'val_loss'; the available keys are accuracy, loss")
    }

    @Test("ReduceLROnPlateau multiplies the rate by factor after patience epochs, with cooldown")
    func reduceLearningRate() throws {
        let model = try tinyModel(learningRate: 1)
        let reduce = try ReduceLROnPlateau(monitor: .valLoss, factor: 0.5, patience: 1)
        try reduce.onTrainBegin(model: model)
        var rates: [Float] = []
        for (epoch, value) in [Float(1), 1, 1, 0.5, 0.5].enumerated() {
            try reduce.onEpochEnd(epoch, logs: [.valLoss: value], model: model)
            rates.append(model.learningRate!)
        }
        #expect(rates == [1, 0.5, 0.25, 0.25, 0.125])
        let cooled = try tinyModel(learningRate: 1)
        let withCooldown = try ReduceLROnPlateau(monitor: .valLoss, factor: 0.5, patience: 1, cooldown: 2)
        try withCooldown.onTrainBegin(model: cooled)
        rates = []
        for (epoch, value) in [Float(1), 1, 1, 1, 1].enumerated() {
            try withCooldown.onEpochEnd(epoch, logs: [.valLoss: value], model: cooled)
            rates.append(cooled.learningRate!)
        }
        // As Keras: the cooldown counter runs out at epoch 3, which may then reduce again.
        #expect(rates == [1, 0.5, 0.5, 0.25, 0.25])
        #expect(throws: LayersError.self) { try ReduceLROnPlateau(factor: 1) }
    }

    @Test("LearningRateScheduler, CSVLogger and History inside fit")
    func insideFit() throws {
        let model = try tinyModel(learningRate: 0.1)
        let x = randomTensor([16, 1], seed: 1)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let history = try model.fit(x: x, y: x * 2, batchSize: 4, epochs: 3, callbacks: [LearningRateScheduler { epoch, _ in 0.1 / Float(epoch + 1) }, CSVLogger(path: path)], verbose: .silent)
        #expect(history.epochs == [0, 1, 2])
        #expect(zip(history[.learningRate], [0.1, 0.05, 0.1 / 3]).allSatisfy { abs($0 - $1) < 1e-7 })
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0] == "epoch,learning_rate,loss")
        #expect(lines[1].hasPrefix("0,0.1,"))
        #expect(Float(lines[3].split(separator: ",")[2]) == history[.loss][2])
    }

    @Test("fit stops early inside a real run, and initialEpoch resumes the epoch count")
    func earlyStoppingInFit() throws {
        let model = try tinyModel(learningRate: 0.1)
        let x = randomTensor([32, 1], seed: 2)
        // The target is noise the model cannot fit, so val_loss soon stops improving.
        let y = randomTensor([32, 1], seed: 3)
        let early = EarlyStopping(monitor: .valLoss, patience: 1)
        let history = try model.fit(x: x, y: y, batchSize: 8, epochs: 50, validationSplit: 0.25, callbacks: [early], verbose: .silent)
        #expect(early.stoppedEpoch != nil && history.epochs.count < 50)
        let resumed = try model.fit(x: x, y: y, batchSize: 8, epochs: 5, initialEpoch: 3, verbose: .silent)
        #expect(resumed.epochs == [3, 4])
    }
}
