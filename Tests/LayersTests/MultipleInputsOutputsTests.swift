import Foundation
import Testing
@testable import Layers
import Tensor

/// The README's example of a model of two inputs and two outputs, verbatim between the markers.
func readmeSeveralOutputsExample(images: Tensor, hints: Tensor, digits: Tensor, inkAmounts: Tensor) throws -> (Model, [Tensor]) {
    // README example begins
    let image = Input(shape: [28, 28, 1], name: "image")
    let hint = Input(shape: [4], name: "hint")
    let features = try Concatenate()(try Flatten()(try Conv2D(filters: 8, kernelSize: 3)(image)), hint)
    let digit = try Dense(units: 10, activation: .softmax).named("digit")(features)
    let ink = try Dense(units: 1).named("ink")(features)
    let model = try Model(inputs: [image, hint], outputs: [digit, ink])
    try model.compile(optimizer: Adam(), loss: [.categoricalCrossentropy, .meanSquaredError],
                      lossWeights: [1, 0.2], metrics: [[.accuracy], [.meanAbsoluteError]])
    try model.fit(x: [images, hints], y: [digits, inkAmounts], batchSize: 32, epochs: 5)
    let outputs = try model.predict([images, hints])   // [digit probabilities, ink]: a tensor per output
    // README example ends
    return (model, outputs)
}

/// Functional models of several inputs and outputs: a loss per output with weights, logs per
/// output, `fit`/`evaluate`/`predict` on a tensor per input and output, saving, errors.
@Suite("Models with several inputs and outputs")
struct MultipleInputsOutputsTests {
    /// An image and a vector in; a class (softmax) and a value out. The value's head reads the
    /// class probabilities too, so the class output is also read inside the model (its loss
    /// cannot be fused with the softmax: the gradient from the value head must be added).
    static func model(seed: UInt64 = 5) throws -> Model {
        let image = Input(shape: [5, 5, 1], name: "image")
        let extra = Input(shape: [3], name: "extra")
        let seen = try Flatten()(try Conv2D(filters: 2, kernelSize: 3, activation: .tanh)(image))
        let features = try Concatenate()(seen, try Dense(units: 4, activation: .tanh)(extra))
        let digit = try Dense(units: 3, activation: .softmax).named("digit")(features)
        let value = try Dense(units: 1).named("value")(try Concatenate()(try Dense(units: 2, activation: .tanh)(features), digit))
        return try Model(inputs: [image, extra], outputs: [digit, value], seed: seed)
    }

    static func data(samples: Int = 4, seed: UInt64 = 7) throws -> (x: [Tensor], y: [Tensor]) {
        let image = randomTensor([samples, 5, 5, 1], seed: seed)
        let extra = randomTensor([samples, 3], seed: seed + 1)
        let classes = (0..<samples).map { $0 % 3 }
        let value = randomTensor([samples, 1], seed: seed + 2)
        return ([image, extra], [try Tensor.oneHot(classes, classes: 3), value])
    }

    @Test("one SGD step follows the finite differences of the weighted sum of both outputs' losses")
    func stepMatchesFiniteDifferences() throws {
        let model = try Self.model()
        try model.compile(optimizer: SGD(learningRate: 1), loss: [.categoricalCrossentropy, .meanSquaredError],
                          lossWeights: [1, 0.5])
        let (x, y) = try Self.data()
        try checkTrainingStep(model, x: x, y: y)
    }

    @Test("the logs hold the weighted total and each output's loss and metrics under its name")
    func logsPerOutput() throws {
        let model = try Self.model()
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: [.categoricalCrossentropy, .meanSquaredError],
                          lossWeights: [2, 0.5], metrics: [[.accuracy], [.meanAbsoluteError]])
        let (x, y) = try Self.data(samples: 12)
        let logs = try model.evaluate(x: x, y: y, batchSize: 5)
        #expect(Set(logs.keys) == ["loss", "digit_loss", "value_loss", "digit_accuracy", "value_mean_absolute_error"])
        #expect(abs(logs["loss"]! - (2 * logs["digit_loss"]! + 0.5 * logs["value_loss"]!)) < 1e-5)
        let predictions = try model.predict(x, batchSize: 5)
        #expect(predictions.map(\.shape) == [[12, 3], [12, 1]])
        let classLoss = try Loss.categoricalCrossentropy.compute(prediction: predictions[0], target: y[0]).value
        let valueLoss = try Loss.meanSquaredError.compute(prediction: predictions[1], target: y[1]).value
        #expect(abs(logs["digit_loss"]! - classLoss) < 1e-5 && abs(logs["value_loss"]! - valueLoss) < 1e-5)
        let history = try model.fit(x: x, y: y, batchSize: 4, epochs: 2, validationSplit: 0.25, verbose: .silent)
        #expect(history.history.keys.contains("val_digit_accuracy") && history.history.keys.contains("value_loss"))
    }

    @Test("fit learns both outputs of a toy problem; predict of one tensor is refused with the way to call it")
    func learns() throws {
        let model = try Self.model(seed: 11)
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: [.categoricalCrossentropy, .meanSquaredError])
        // The class is the sign pattern of the vector, the value its sum: both learnable from `extra`.
        let samples = 96
        var (x, _) = try Self.data(samples: samples, seed: 21)
        let extra = x[1].scalars
        let classes: [Int] = (0..<samples).map { extra[3 * $0] > 0 ? (extra[3 * $0 + 1] > 0 ? 0 : 1) : 2 }
        let sums: [Float] = (0..<samples).map { (sample: Int) -> Float in extra[(3 * sample)..<(3 * sample + 3)].reduce(0, +) }
        let y = [try Tensor.oneHot(classes, classes: 3), try Tensor(shape: [samples, 1], scalars: sums)]
        x[0] = try Tensor.zeros(x[0].shape)
        let first = try model.evaluate(x: x, y: y)
        try model.fit(x: x, y: y, batchSize: 16, epochs: 60, verbose: .silent)
        let last = try model.evaluate(x: x, y: y)
        #expect(last["digit_loss"]! < first["digit_loss"]! / 3 && last["value_loss"]! < first["value_loss"]! / 3,
                "first \(first), last \(last)")
        #expect { try model.predict(x[0]) } throws: { "\($0)".contains("2 outputs (digit, value); use predict([x1, x2, ...])") }
    }

    @Test("saved and loaded: names, input shapes, losses and weights, bit-equal predictions, exact resume")
    func savesAndResumes() throws {
        let model = try Self.model()
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: [.categoricalCrossentropy, .huber(delta: 0.5)],
                          lossWeights: [1, 3], metrics: [[.accuracy], []])
        let (x, y) = try Self.data(samples: 6)
        try model.trainOnBatch(x: x, y: y)
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("two.safetensors").path
            try model.save(to: path)
            let loaded = try Model.load(from: path)
            #expect(loaded.graph == model.graph && loaded.inputNames == ["image", "extra"] && loaded.outputNames == ["digit", "value"])
            #expect(loaded.inputShapes! == [[5, 5, 1], [3]] && loaded.lossWeights == [1, 3])
            #expect(loaded.losses == model.losses && loaded.outputMetrics == model.outputMetrics)
            #expect(try loaded.predict(x) == (try model.predict(x)))
            try model.trainOnBatch(x: x, y: y)
            try loaded.trainOnBatch(x: x, y: y)
            #expect(loaded.weights == model.weights)
        }
    }

    /// Two inputs and two targets from bytes, as a data set on disk would give them.
    struct Pairs: SampleSource {
        let x: [Tensor], y: [Tensor]
        var count: Int { x[0].shape[0] }
        func inputsAndTargets(at indices: some Collection<Int>) throws -> (inputs: [Tensor], targets: [Tensor]) {
            (try x.map { try $0.gathering(batch: indices) }, try y.map { try $0.gathering(batch: indices) })
        }
    }

    @Test("a sample source of two inputs and two targets trains bit for bit as the tensors do")
    func sampleSource() throws {
        let (x, y) = try Self.data(samples: 10)
        let fromTensors = try Self.model(), fromSource = try Self.model()
        for model in [fromTensors, fromSource] {
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: [.categoricalCrossentropy, .meanAbsoluteError])
        }
        try fromTensors.fit(x: x, y: y, batchSize: 4, epochs: 2, verbose: .silent)
        try fromSource.fit(Pairs(x: x, y: y), batchSize: 4, epochs: 2, verbose: .silent)
        #expect(fromTensors.weights == fromSource.weights)
        #expect { try Pairs(x: x, y: y).batch(at: [0]) } throws: { "\($0)".contains("gives its batches through inputsAndTargets") }
        #expect { try TensorSamples(inputs: x, targets: y).batch(at: [0]) } throws: { "\($0)".contains("2 inputs and 2 targets") }
        // A source implementing neither requirement is a clear error in fit, not an endless recursion.
        struct Neither: SampleSource { var count: Int { 4 } }
        #expect { try fromSource.fit(Neither(), verbose: .silent) } throws: {
            "\($0)".contains("implements neither batch(at:) nor inputsAndTargets(at:)")
        }
    }

    @Test("wrong counts and shapes of inputs, targets, losses and outputs are typed errors naming them")
    func errors() throws {
        let model = try Self.model()
        let (x, y) = try Self.data()
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { try model.compile(optimizer: SGD(), loss: [.meanSquaredError]) }
                .contains("the model has 2 outputs, found 1 losses"))
        #expect(message { try model.compile(optimizer: SGD(), loss: [.meanSquaredError, .meanSquaredError], lossWeights: [1, -1]) }
                .contains("lossWeights[1] is -1.0"))
        #expect(message { try model.compile(optimizer: SGD(), loss: .meanSquaredError, metrics: []) } == "no error")
        try model.compile(optimizer: SGD(), loss: [.categoricalCrossentropy, .meanSquaredError])
        #expect(message { try model.fit(x: [x[0]], y: y, verbose: .silent) }
                .contains("the model has 2 inputs (image, extra), found 1 tensors in x"))
        #expect(message { try model.fit(x: x, y: [y[0]], verbose: .silent) }
                .contains("the model has 2 outputs (digit, value), found 1 tensors in y"))
        #expect(message { try model.fit(x: [x[0], try x[1].slice(batch: 0..<3)], y: y, verbose: .silent) }
                .contains("x[0] has 4 samples but x[1] (input 'extra') has 3"))
        #expect(message { try model.fit(x: [x[0], randomTensor([4, 2], seed: 1)], y: y, verbose: .silent) }
                .contains("expected samples of shape [3], found [2] (x[1] (input 'extra') has shape [4, 2])"))
        #expect(message { try model.fit(x: x, y: [y[0], randomTensor([4, 2], seed: 1)], verbose: .silent) }
                .contains("output 'value'"))
        #expect(message { try model.fit(x: x, y: y, classWeight: [0: 2], verbose: .silent) }
                .contains("classWeight needs a model of one output"))
        #expect(message { try model.fit(x: x[0], y: y[0], verbose: .silent) }.contains("2 inputs"))

        let a = Input(shape: [2], name: "a")
        let out = try Dense(units: 1)(a)
        #expect(message { _ = try Model(inputs: [a, a], outputs: [out]) }.contains("'a' [2] is listed twice in inputs"))
        #expect(message { _ = try Model(inputs: [a], outputs: [out, out]) }.contains("is listed twice in outputs"))
        #expect(message { _ = try Model(inputs: [a], outputs: [out, a.symbolic]) }.contains("output 1 is the model's input 'a'"))
        #expect(message { _ = try Model(inputs: [], outputs: [out]) }.contains("at least one input and one output"))
    }

    @Test("the summary has a row per input, and Connected to names the inputs")
    func summary() throws {
        let summary = try Self.model().summary()
        #expect(summary.contains("image (Input)") && summary.contains("extra (Input)"))
        let dense = try #require(summary.split(separator: "\n").first { $0.contains("dense (Dense)") })
        #expect(dense.contains("│ extra"))
    }

    @Test("the README's example of two inputs and outputs is verbatim and trains")
    func readmeExample() throws {
        let (example, readme) = try readmeCodeBlock(startingWith: "let image = Input(shape: [28, 28, 1], name: \"image\")",
                                                  testFile: #filePath)
        #expect(example == readme)

        let images = randomTensor([40, 28, 28, 1], seed: 1), hints = randomTensor([40, 4], seed: 2)
        let digits = try Tensor.oneHot((0..<40).map { $0 % 10 }, classes: 10), inks = randomTensor([40, 1], seed: 3)
        let (model, outputs) = try readmeSeveralOutputsExample(images: images, hints: hints, digits: digits, inkAmounts: inks)
        #expect(outputs.map(\.shape) == [[40, 10], [40, 1]] && model.epochsCompleted == 5)
    }

    @Test("two inputs of one name are numbered; a model of one input and output is unchanged")
    func names() throws {
        let first = Input(shape: [2]), second = Input(shape: [2])
        let model = try Model(inputs: [first, second], outputs: [try Add()(first, second)])
        #expect(model.inputNames == ["input", "input_1"])
        let single = try Model(inputs: first, outputs: try Dense(units: 1)(first))
        #expect(single.inputNames == ["input"] && single.graph.outputs.count == 1)
    }
}
