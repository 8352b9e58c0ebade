import Foundation
import Testing
import Layers
import Tensor

/// The README's custom loss: the mean of |p − y|³ times a weight, written forward-only.
struct MeanCubicError: CustomLoss, Equatable {
    var weight: Float = 1

    func callAsFunction(prediction: Variable, target: Variable) throws -> Variable {
        try (prediction - target).abs().pow(3).mean() * weight
    }
}

@Suite("Custom losses", .serialized)
struct CustomLossTests {
    @Test("a custom loss's gradient is the tape's, checked against finite differences")
    func gradient() throws {
        let loss = Loss.custom(MeanCubicError(weight: 2))
        let prediction = randomTensor([3, 2], seed: 1)
        let target = randomTensor([3, 2], seed: 2)
        let (value, gradient) = try loss.compute(prediction: prediction, target: target)
        let expected = zip(prediction.scalars, target.scalars).map { pow(abs(Double($0 - $1)), 3) }.reduce(0, +) / 6 * 2
        #expect(abs(Double(value) - expected) < 1e-5)
        let numeric = numericGradient(of: { Double(try! loss.compute(prediction: $0, target: target).value) }, at: prediction, step: 1e-3)
        #expect(relativeError(gradient, numeric) < 1e-2)
        #expect(loss.name == "mean_cubic_error")
    }

    @Test("a custom loss trains inside fit and round-trips through a model file with its configuration")
    func trainsAndSaves() throws {
        LayerRegistry.register(Scale.self)
        LossRegistry.register(MeanCubicError.self)
        let model = Sequential(seed: 2) { Input(shape: [3]); Dense(units: 3) }
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .custom(MeanCubicError(weight: 3)))
        let x = randomTensor([64, 3], seed: 1)
        let y = try x.broadcastingLastAxis(Tensor([2, -1, 0.5]), *)
        let history = try model.fit(x: x, y: y, batchSize: 16, epochs: 30, verbose: .silent)
        #expect(history[.loss].last! < history[.loss].first! / 10, "\(history[.loss])")
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("cubic.safetensors").path
            try model.save(to: path)
            let loaded = try Model.load(from: path)
            #expect(loaded.loss == model.loss)
            #expect(loaded.loss != .custom(MeanCubicError(weight: 1)), "the configuration is kept")
            try model.fit(x: x, y: y, batchSize: 16, epochs: 1, shuffle: false, verbose: .silent)
            try loaded.fit(x: x, y: y, batchSize: 16, epochs: 1, shuffle: false, verbose: .silent)
            #expect(loaded.weights == model.weights, "training continues exactly")
        }
    }

    /// A loss type never registered.
    struct Unregistered: CustomLoss {
        func callAsFunction(prediction: Variable, target: Variable) throws -> Variable { try (prediction - target).pow(2).mean() }
    }

    @Test("loading a model whose custom loss is not registered names the loss type")
    func unregistered() throws {
        let model = Sequential(seed: 2) { Input(shape: [2]); Dense(units: 1) }
        try model.compile(optimizer: SGD(), loss: .custom(Unregistered()))
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("unregistered.safetensors").path
            try model.save(to: path)
            #expect { try Model.load(from: path) } throws: { error in "\(error)".contains("unknown loss type 'unregistered'") }
        }
    }
}
