import Foundation
import Testing
import Layers
import Tensor

@Suite("Bad models and bad data give clear errors")
struct ModelErrorTests {
    @Test("summary of the reference CNN: Keras's names, shapes and parameter counts")
    func referenceSummary() throws {
        let summary = try referenceCNN().summary()
        for expected in [
            "│ conv2d (Conv2D)", "(None, 26, 26, 32)", "320 │",
            "│ max_pooling2d (MaxPooling2D)", "(None, 13, 13, 32)",
            "│ conv2d_1 (Conv2D)", "(None, 11, 11, 64)", "18,496 │",
            "│ max_pooling2d_1 (MaxPooling2D)", "(None, 5, 5, 64)",
            "│ flatten (Flatten)", "(None, 1600)", "│ dropout (Dropout)",
            "│ dense (Dense)", "(None, 10)", "16,010 │",
            "Total params: 34,826 (136.04 KB)", "Trainable params: 34,826", "Non-trainable params: 0",
            "Convolution algorithms: conv2d im2col, conv2d_1 winograd4x4",
        ] {
            #expect(summary.contains(expected), "missing \(expected) in\n\(summary)")
        }
    }

    @Test("Dense on images works on their channels (as Keras's); a classifier without Flatten is reported at fit, with a hint")
    func denseWithoutFlatten() throws {
        let model = Sequential(seed: 1) {
            Input(shape: [8, 8, 1])
            Conv2D(filters: 2, kernelSize: 3)
            Dense(units: 10, activation: .softmax)
        }
        // A class per pixel is a valid model (as in Keras); targets of a class per sample are not its targets.
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy)
        #expect(model.outputShape == [6, 6, 10])
        let error = #expect(throws: LayersError.self) {
            try model.fit(x: Tensor.zeros([2, 8, 8, 1]), y: Tensor.oneHot([1, 2], classes: 10), verbose: .silent)
        }
        #expect(error?.description == "categorical_crossentropy: expected targets of shape [2, 6, 6, 10], found [2, 10]; "
                + "the model predicts a class at every position of its output (None, 6, 6, 10): "
                + "for a class per sample add Flatten() (or a global pooling) and a Dense layer at the end")
    }

    @Test("a convolution algorithm is chosen per layer, can be forced, is saved, and must fit the kernel")
    func convolutionAlgorithm() throws {
        let model = Sequential(seed: 1) {
            Input(shape: [12, 12, 16])
            Conv2D(filters: 8, kernelSize: 3, algorithm: .im2col)
            Conv2D(filters: 8, kernelSize: 3)
            Conv2D(filters: 8, kernelSize: 3, strides: 2)
        }
        #expect(try model.summary().contains("Convolution algorithms: conv2d im2col, conv2d_1 winograd4x4, conv2d_2 im2col"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("algorithm-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        try model.save(to: file)
        let loaded = try Model.load(from: file)
        #expect(loaded.layers.compactMap { ($0 as? Conv2D)?.algorithm } == [.im2col])
        #expect(loaded.layers.compactMap { ($0 as? Conv2D)?.computedAlgorithm } == [.im2col, .winograd4x4, .im2col])
        let bad = Sequential { Input(shape: [12, 12, 16]); Conv2D(filters: 8, kernelSize: 5, algorithm: .winograd) }
        let error = #expect(throws: LayersError.self) { try bad.summary() }
        #expect(error?.description == "layer 1 'conv2d': Conv2D: invalid algorithm = winograd: "
                + "expected a 3x3 kernel with stride 1 and no dilation for Winograd; use .im2col or leave the choice to the layer")
    }

    @Test("a hyper-parameter out of range is named with its value")
    func badHyperparameter() throws {
        let model = Sequential { Input(shape: [4]); Dense(units: 0) }
        let error = #expect(throws: LayersError.self) { try model.summary() }
        #expect(error?.description == "layer 1 'dense': Dense: invalid units = 0: expected a positive integer")
        #expect(throws: LayersError.self) { try Sequential { Input(shape: [4]); Dropout(rate: 1) }.summary() }
        #expect(throws: LayersError.self) { try Sequential { Input(shape: [4, 4, 1]); Conv2D(filters: 1, kernelSize: 5) }.summary() }
        let compiled = Sequential { Input(shape: [4]); Dense(units: 2) }
        let optimizerError = #expect(throws: LayersError.self) {
            try compiled.compile(optimizer: Adam(learningRate: -1), loss: .meanSquaredError)
        }
        #expect(optimizerError?.description == "Adam: invalid learningRate = -1.0: expected a positive, finite value")
        #expect(throws: LayersError.self) { try compiled.compile(optimizer: SGD(momentum: 1), loss: .meanSquaredError) }
    }

    @Test("wrong label width, mismatched counts, empty input and wrong sample shape")
    func badData() throws {
        let model = Sequential(seed: 1) { Input(shape: [3]); Dense(units: 4, activation: .softmax) }
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let x = randomTensor([10, 3], seed: 1)
        let wrongWidth = try Tensor.oneHot(Array(repeating: 1, count: 10), classes: 3)
        var error = #expect(throws: LayersError.self) { try model.fit(x: x, y: wrongWidth, verbose: .silent) }
        #expect(error?.description == "categorical_crossentropy: expected targets of shape [10, 4], found [10, 3]")
        error = #expect(throws: LayersError.self) { try model.fit(x: x, y: Tensor.zeros([10]), verbose: .silent) }
        #expect(error?.description.contains("use .sparseCategoricalCrossentropy") == true)
        error = #expect(throws: LayersError.self) {
            try model.fit(x: x, y: Tensor.oneHot(Array(repeating: 1, count: 9), classes: 4), verbose: .silent)
        }
        #expect(error?.description == "fit: x has 10 samples but y has 9 (shape [9, 4])")
        error = #expect(throws: LayersError.self) { try model.fit(x: Tensor.zeros([0, 3]), y: Tensor.zeros([0, 4]), verbose: .silent) }
        #expect(error?.description == "fit: expected at least one sample, found x of shape [0, 3]")
        error = #expect(throws: LayersError.self) { try model.predict(Tensor.zeros([2, 5])) }
        #expect(error?.description == "predict: expected samples of shape [3], found [5] (x has shape [2, 5])")
        #expect(throws: LayersError.self) { try model.fit(x: x.map { _ in .nan }, y: Tensor.zeros([10, 4]), verbose: .silent) }
        #expect(throws: LayersError.self) { try model.fit(x: x, y: Tensor.zeros([10, 4]), batchSize: 0, verbose: .silent) }
        #expect(throws: LayersError.self) { try model.fit(x: x, y: Tensor.zeros([10, 4]), validationSplit: 1, verbose: .silent) }
        let sparse = Sequential(seed: 1) { Input(shape: [3]); Dense(units: 4, activation: .softmax) }
        try sparse.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy)
        error = #expect(throws: LayersError.self) {
            try sparse.fit(x: x, y: Tensor(shape: [10], scalars: Array(repeating: 4, count: 10)), verbose: .silent)
        }
        #expect(error?.description == "sparse_categorical_crossentropy: expected class indices in 0..<4, found 4.0")
    }

    @Test("fit before compile says what to do")
    func notCompiled() throws {
        let model = Sequential { Input(shape: [2]); Dense(units: 1) }
        let error = #expect(throws: LayersError.self) { try model.fit(x: Tensor.zeros([1, 2]), y: Tensor.zeros([1, 1]), verbose: .silent) }
        #expect(error?.description == "fit: the model is not compiled; call compile(optimizer:loss:metrics:) first")
    }

    @Test("a NaN loss stops training after that batch with a clear error")
    func nanLoss() throws {
        let model = Sequential(seed: 1) { Input(shape: [2]); Dense(units: 1) }
        try model.compile(optimizer: SGD(learningRate: 1e30), loss: .meanSquaredError)
        let x = randomTensor([64, 2], seed: 2) * 1000
        let y = randomTensor([64, 1], seed: 3)
        let terminate = TerminateOnNaN()
        let error = #expect(throws: LayersError.self) {
            try model.fit(x: x, y: y, batchSize: 8, epochs: 5, callbacks: [terminate], verbose: .silent)
        }
        guard case let .nonFiniteLoss(epoch, batch, _) = error else {
            Issue.record("expected nonFiniteLoss, got \(String(describing: error))")
            return
        }
        #expect(epoch == 0 && batch < 8)
        #expect(model.step == batch + 1, "training must stop right after the bad batch")
    }
}

/// A layer with a weight whose backward forgets to set the weight's gradient.
private struct ForgetfulScale: Layer {
    var name = ""
    var scale = Parameter(name: "scale")
    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        scale.value = try Tensor.ones([inputShape.last ?? 1])
        return inputShape
    }
    mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.broadcastingLastAxis(scale.value, *)
    }
    mutating func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient }
    mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows { try body(&scale) }
}

@Suite("A custom layer that does not set its gradient")
struct MissingGradientTests {
    @Test("training stops with an error naming the layer and the parameter, not a silent non-update")
    func missingGradient() throws {
        let model = Sequential([Input(shape: [3]), ForgetfulScale(name: "forgetful")], seed: 1)
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect {
            try model.trainOnBatch(x: Tensor.ones([2, 3]), y: Tensor.zeros([2, 3]))
        } throws: { error in
            "\(error)".contains("forgetful scale") && "\(error)".contains("does the layer's backward set it?")
        }
    }
}
