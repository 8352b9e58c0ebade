import Foundation
import Testing
import Layers
import Tensor

/// One row of the all-layers suite: how to make the layer, what it takes, and how to make
/// it with a bad hyper-parameter. Adding a built-in layer means adding its row here (a row per
/// variant that takes another path: `LayerNormalization` without `center`).
struct LayerCase: CustomTestStringConvertible, Sendable {
    let make: @Sendable () -> any Layer
    /// The shape of one input sample.
    let sampleShape: [Int]
    /// The shape of one output sample, as the summary shows it.
    let outputShape: [Int]
    /// Its parameter count, trainable and not, as the summary shows it.
    let parameters: Int
    /// The same type with a bad hyper-parameter and the argument the error must name; nil
    /// for types without hyper-parameters that could be out of range.
    let bad: (@Sendable () -> any Layer, argument: String)?
    /// Inputs for the gradient check where random ones would not do (kinks, ties).
    var input: (@Sendable (_ shape: [Int]) -> Tensor)? = nil
    /// False when the input holds indices (no gradient: backward must return zeros).
    var differentiableInput = true
    var step: Float = 1e-2
    var tolerance: Float = 1e-2

    var typeName: String { type(of: make()).typeName }
    var testDescription: String { typeName }
}

/// Distinct, well-separated values: no ties for max pooling, no ReLU kink within a step of 1e-3.
@Sendable func separated(_ shape: [Int]) -> Tensor {
    var generator = RandomGenerator(seed: 9)
    let count = shape.reduce(1, *)
    return try! Tensor(shape: shape, scalars: (0..<count).map { Float($0 - count / 2) * 0.05 + 0.025 }.shuffled(using: &generator))
}

/// Whole-number indices in `0..<7`, each index several times: inputs of an `Embedding(inputDim: 7)`.
@Sendable func indices(_ shape: [Int]) -> Tensor {
    var generator = RandomGenerator(seed: 10)
    let count = shape.reduce(1, *)
    return try! Tensor(shape: shape, scalars: (0..<count).map { _ in Float(generator.next() % 7) })
}

let layerCases: [LayerCase] = [
    LayerCase(make: { Input(shape: [4, 3]) }, sampleShape: [4, 3], outputShape: [4, 3], parameters: 0,
              bad: ({ Input(shape: [4, 0]) }, "shape")),
    // On the last axis of samples of rank 2 (rank 1 is what every other model uses).
    LayerCase(make: { Dense(units: 3, activation: .tanh) }, sampleShape: [2, 5], outputShape: [2, 3], parameters: 18,
              bad: ({ Dense(units: 0) }, "units")),
    LayerCase(make: { Embedding(inputDim: 7, outputDim: 3) }, sampleShape: [5], outputShape: [5, 3], parameters: 21,
              bad: ({ Embedding(inputDim: 0, outputDim: 3) }, "inputDim"), input: indices, differentiableInput: false),
    LayerCase(make: { Conv2D(filters: 3, kernelSize: 3, padding: .same, activation: .tanh) }, sampleShape: [5, 4, 2],
              outputShape: [5, 4, 3], parameters: 57, bad: ({ Conv2D(filters: 3, kernelSize: Size2D(0, 3)) }, "kernelSize")),
    LayerCase(make: { Conv1D(filters: 3, kernelSize: 3, padding: .causal, dilationRate: 2, activation: .tanh) },
              sampleShape: [7, 2], outputShape: [7, 3], parameters: 21, bad: ({ Conv1D(filters: 3, kernelSize: 0) }, "kernelSize"),
              input: separated, step: 1e-3),
    LayerCase(make: { Conv1D(filters: 2, kernelSize: 2, strides: 2, padding: .same, useBias: false) }, sampleShape: [7, 3],
              outputShape: [4, 2], parameters: 12, bad: ({ Conv1D(filters: 2, kernelSize: 2, strides: 2, dilationRate: 2) },
                                                         "dilationRate")),
    LayerCase(make: { Conv2D(filters: 2, kernelSize: 3, dilationRate: Size2D(2, 1)) }, sampleShape: [6, 5, 2],
              outputShape: [2, 3, 2], parameters: 38, bad: ({ Conv2D(filters: 2, kernelSize: 3, padding: .causal) }, "padding")),
    LayerCase(make: { Conv2DTranspose(filters: 2, kernelSize: 3, strides: 2, padding: .same, activation: .tanh) },
              sampleShape: [3, 2, 3], outputShape: [6, 4, 2], parameters: 56,
              bad: ({ Conv2DTranspose(filters: 2, kernelSize: 3, padding: .causal) }, "padding")),
    LayerCase(make: { Conv2DTranspose(filters: 3, kernelSize: Size2D(2, 1), strides: Size2D(1, 3), useBias: false) },
              sampleShape: [3, 2, 2], outputShape: [4, 6, 3], parameters: 12, bad: ({ Conv2DTranspose(filters: 0, kernelSize: 2) }, "filters")),
    LayerCase(make: { DepthwiseConv2D(kernelSize: 3, strides: 2, padding: .same, depthMultiplier: 2, activation: .tanh) },
              sampleShape: [5, 6, 2], outputShape: [3, 3, 4], parameters: 40,
              bad: ({ DepthwiseConv2D(kernelSize: 3, depthMultiplier: 0) }, "depthMultiplier")),
    LayerCase(make: { DepthwiseConv2D(kernelSize: Size2D(2, 3), dilationRate: 2, useBias: false) }, sampleShape: [6, 7, 3],
              outputShape: [4, 3, 3], parameters: 18, bad: ({ DepthwiseConv2D(kernelSize: 3, strides: 2, dilationRate: 2) },
                                                          "dilationRate")),
    // GELU: differentiated from the pointwise convolution's output before the activation.
    LayerCase(make: { SeparableConv2D(filters: 3, kernelSize: 3, padding: .same, activation: .gelu()) }, sampleShape: [4, 5, 2],
              outputShape: [4, 5, 3], parameters: 27, bad: ({ SeparableConv2D(filters: 0, kernelSize: 3) }, "filters")),
    LayerCase(make: { SeparableConv2D(filters: 2, kernelSize: 2, strides: 2, depthMultiplier: 2, activation: .tanh) },
              sampleShape: [5, 4, 3], outputShape: [2, 2, 2], parameters: 38,
              bad: ({ SeparableConv2D(filters: 2, kernelSize: 2, padding: .causal) }, "padding")),
    LayerCase(make: { MaxPooling1D(poolSize: 3, strides: 2, padding: .same) }, sampleShape: [7, 2], outputShape: [4, 2],
              parameters: 0, bad: ({ MaxPooling1D(poolSize: 0) }, "poolSize"), input: separated),
    LayerCase(make: { AveragePooling1D() }, sampleShape: [7, 2], outputShape: [3, 2], parameters: 0,
              bad: ({ AveragePooling1D(strides: -1) }, "strides")),
    LayerCase(make: { MaxPooling2D(poolSize: 2) }, sampleShape: [6, 6, 3], outputShape: [3, 3, 3], parameters: 0,
              bad: ({ MaxPooling2D(poolSize: 2, strides: Size2D(0, 1)) }, "strides"), input: separated),
    LayerCase(make: { AveragePooling2D(poolSize: 3, strides: 2, padding: .same) }, sampleShape: [7, 6, 2],
              outputShape: [4, 3, 2], parameters: 0, bad: ({ AveragePooling2D(poolSize: Size2D(2, -1)) }, "poolSize")),
    LayerCase(make: { GlobalAveragePooling2D() }, sampleShape: [3, 4, 5], outputShape: [5], parameters: 0, bad: nil),
    LayerCase(make: { GlobalAveragePooling1D() }, sampleShape: [4, 5], outputShape: [5], parameters: 0, bad: nil),
    LayerCase(make: { GlobalMaxPooling1D() }, sampleShape: [4, 5], outputShape: [5], parameters: 0, bad: nil, input: separated),
    LayerCase(make: { GlobalMaxPooling2D() }, sampleShape: [3, 4, 5], outputShape: [5], parameters: 0, bad: nil,
              input: separated),
    LayerCase(make: { Flatten() }, sampleShape: [3, 2, 2], outputShape: [12], parameters: 0, bad: nil),
    LayerCase(make: { Reshape([2, -1]) }, sampleShape: [12], outputShape: [2, 6], parameters: 0,
              bad: ({ Reshape([-1, -1]) }, "targetShape")),
    LayerCase(make: { ZeroPadding2D(padding: Margins2D(top: 1, bottom: 0, left: 2, right: 1)) }, sampleShape: [3, 4, 2],
              outputShape: [4, 7, 2], parameters: 0, bad: ({ ZeroPadding2D(padding: -1) }, "padding")),
    LayerCase(make: { Cropping2D(cropping: Margins2D(height: 1, width: 2)) }, sampleShape: [5, 6, 2], outputShape: [3, 2, 2],
              parameters: 0, bad: ({ Cropping2D(cropping: Margins2D(top: 0, bottom: -2, left: 0, right: 0)) }, "cropping")),
    LayerCase(make: { UpSampling2D(size: Size2D(2, 3)) }, sampleShape: [3, 2, 2], outputShape: [6, 6, 2], parameters: 0,
              bad: ({ UpSampling2D(size: 0) }, "size")),
    LayerCase(make: { UpSampling2D(size: 2, interpolation: .bilinear) }, sampleShape: [3, 4, 2], outputShape: [6, 8, 2],
              parameters: 0, bad: ({ UpSampling2D(size: Size2D(2, -2)) }, "size")),
    LayerCase(make: { Dropout(rate: 0.4) }, sampleShape: [20], outputShape: [20], parameters: 0,
              bad: ({ Dropout(rate: 1) }, "rate")),
    LayerCase(make: { BatchNormalization() }, sampleShape: [3, 3, 4], outputShape: [3, 3, 4], parameters: 16,
              bad: ({ BatchNormalization(momentum: 1.5) }, "momentum"), tolerance: 2e-2),
    LayerCase(make: { LayerNormalization() }, sampleShape: [3, 6], outputShape: [3, 6], parameters: 12,
              bad: ({ LayerNormalization(epsilon: 0) }, "epsilon")),
    LayerCase(make: { LayerNormalization(center: false) }, sampleShape: [5], outputShape: [5], parameters: 5,
              bad: ({ LayerNormalization(epsilon: -.infinity) }, "epsilon")),
    LayerCase(make: { SimpleRNN(units: 3) }, sampleShape: [4, 3], outputShape: [3], parameters: 21,
              bad: ({ SimpleRNN(units: 0) }, "units")),
    LayerCase(make: { LSTM(units: 2, returnSequences: true) }, sampleShape: [4, 3], outputShape: [4, 2], parameters: 48,
              bad: ({ LSTM(units: -1) }, "units")),
    LayerCase(make: { GRU(units: 2, goBackwards: true) }, sampleShape: [4, 3], outputShape: [2], parameters: 42,
              bad: ({ GRU(units: 0) }, "units")),
    LayerCase(make: { Bidirectional(LSTM(units: 2, returnSequences: true)) }, sampleShape: [4, 3], outputShape: [4, 4],
              parameters: 96, bad: ({ Bidirectional(LSTM(units: 0)) }, "units")),
    LayerCase(make: { Bidirectional(GRU(units: 2, useBias: false), mergeMode: .multiply) }, sampleShape: [4, 3],
              outputShape: [2], parameters: 60, bad: ({ Bidirectional(SimpleRNN(units: 1 << 20)) }, "units")),
    // Rows 0..<4 of a table of 6: the input only gives the shape (no gradient).
    LayerCase(make: { PositionEmbedding(sequenceLength: 6) }, sampleShape: [4, 3], outputShape: [4, 3], parameters: 18,
              bad: ({ PositionEmbedding(sequenceLength: 0) }, "sequenceLength"), differentiableInput: false),
    LayerCase(make: { Activation(.elu(alpha: 0.5)) }, sampleShape: [6], outputShape: [6], parameters: 0,
              bad: ({ Activation(.leakyReLU(alpha: -1)) }, "activation"), input: separated, step: 1e-3),
    LayerCase(make: { ReLU() }, sampleShape: [6], outputShape: [6], parameters: 0, bad: nil, input: separated, step: 1e-3),
    LayerCase(make: { LeakyReLU(alpha: 0.2) }, sampleShape: [6], outputShape: [6], parameters: 0,
              bad: ({ LeakyReLU(alpha: -0.2) }, "alpha"), input: separated, step: 1e-3),
    LayerCase(make: { ELU(alpha: 1) }, sampleShape: [6], outputShape: [6], parameters: 0,
              bad: ({ ELU(alpha: .infinity) }, "alpha"), input: separated, step: 1e-3),
    LayerCase(make: { Sigmoid() }, sampleShape: [6], outputShape: [6], parameters: 0, bad: nil),
    LayerCase(make: { Tanh() }, sampleShape: [6], outputShape: [6], parameters: 0, bad: nil),
    LayerCase(make: { Softmax() }, sampleShape: [6], outputShape: [6], parameters: 0, bad: nil),
    LayerCase(make: { RandomRotation(0.1) }, sampleShape: [7, 6, 2], outputShape: [7, 6, 2], parameters: 0,
              bad: ({ RandomRotation(-0.1) }, "factor")),
    LayerCase(make: { RandomTranslation(height: 0.2, width: 0.3) }, sampleShape: [7, 6, 2], outputShape: [7, 6, 2],
              parameters: 0, bad: ({ RandomTranslation(height: 0.2, width: 1.5) }, "width")),
    LayerCase(make: { RandomZoom(heightFactor: 0.3, widthFactor: 0.2) }, sampleShape: [7, 6, 2], outputShape: [7, 6, 2],
              parameters: 0, bad: ({ RandomZoom(heightFactor: 1) }, "heightFactor")),
    LayerCase(make: { RandomFlip() }, sampleShape: [7, 6, 2], outputShape: [7, 6, 2], parameters: 0, bad: nil),
]

@Suite("Every built-in layer: gradient, save/load, summary, bad hyper-parameter", .serialized)
struct AllLayersTests {
    @Test("the table has rows for each built-in layer type (and for no other), and each built-in type is registered")
    func coverage() {
        let builtIn = LayerRegistry.builtInTypes.map { $0.typeName }
        #expect(Set(layerCases.map(\.typeName) + mergeCases.map(\.typeName)).sorted() == builtIn.sorted())
        #expect(Set(builtIn).isSubset(of: Set(LayerRegistry.registeredTypes)))
    }

    @Test("default names follow Keras's to_snake_case (conv2d_transpose, re_lu, simple_rnn, up_sampling2d)")
    func defaultNames() throws {
        let model = Sequential {
            Input(shape: [4, 4, 2]); Conv2DTranspose(filters: 2, kernelSize: 2); UpSampling2D(); LeakyReLU()
            DepthwiseConv2D(kernelSize: 1); Reshape([100, 2]); SimpleRNN(units: 2, returnSequences: true); GlobalMaxPooling1D()
        }
        try model.build(inputShape: [4, 4, 2])
        #expect(model.layers.map(\.name) == ["input", "conv2d_transpose", "up_sampling2d", "leaky_re_lu", "depthwise_conv2d",
                                             "reshape", "simple_rnn", "global_max_pooling1d"])
    }

    @Test("backward matches central finite differences (training mode)", arguments: layerCases)
    func gradient(_ c: LayerCase) throws {
        func check<L: Layer>(_ layer: L) throws -> GradientCheck {
            try checkGradients(layer, sampleShape: c.sampleShape, batch: 3, step: c.step,
                               input: c.input?([3] + c.sampleShape), differentiableInput: c.differentiableInput)
        }
        let result = try check(c.make())
        #expect(result.worst < c.tolerance, "\(result)")
    }

    /// `Input` (or the case's own Input), the layer, compiled with MSE so that one training
    /// step gives trained weights (and BatchNormalization moving statistics).
    func trainedModel(_ c: LayerCase) throws -> Sequential {
        let layer = c.make()
        let model = Sequential(layer is Input ? [layer] : [Input(shape: c.sampleShape), layer], seed: 4)
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .meanSquaredError)
        let x = c.input?([5] + c.sampleShape) ?? randomTensor([5] + c.sampleShape, seed: 6)
        try model.trainOnBatch(x: x, y: randomTensor([5] + c.outputShape, seed: 7))
        return model
    }

    @Test("a saved and loaded model predicts bit for bit the same, with the same configuration", arguments: layerCases)
    func roundTrip(_ c: LayerCase) throws {
        let model = try trainedModel(c)
        let x = c.input?([4] + c.sampleShape) ?? randomTensor([4] + c.sampleShape, seed: 8)
        let loaded = try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("layer.model").path
            try model.save(to: path)
            return try Model.load(from: path)
        }
        #expect(try loaded.predict(x).scalars == model.predict(x).scalars)
        #expect(loaded.weights.map(\.scalars) == model.weights.map(\.scalars))
        let original = model.layers.last!, copy = loaded.layers.last!
        #expect(type(of: copy).typeName == c.typeName && copy.name == original.name)
        func configuration(_ layer: any Layer) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return try encoder.encode((layer as! any SerializableLayer).configuration)
        }
        #expect(try configuration(copy) == configuration(original))
    }

    @Test("the summary shows the layer's name, type, output shape and parameter count", arguments: layerCases)
    func summaryRow(_ c: LayerCase) throws {
        let model = try trainedModel(c)
        let summary = try model.summary()
        let layer = model.layers.last!
        let row = summary.split(separator: "\n").first { $0.contains("\(layer.name) (\(c.typeName))") }
        if layer is Input {
            #expect(row == nil, "Keras's summary has no row for the Input")
            return
        }
        let shape = "(None, " + c.outputShape.map(String.init).joined(separator: ", ") + ")"
        #expect(row?.contains(shape) == true, "\(summary)")
        #expect(row?.hasSuffix(" \(c.parameters) │") == true, "\(summary)")
        #expect(layer.parameterCount == c.parameters)
    }

    @Test("a bad hyper-parameter is reported at compile, naming the layer type and the argument", arguments: layerCases)
    func badHyperparameter(_ c: LayerCase) throws {
        guard let (make, argument) = c.bad else {
            // Nothing to get wrong: the saved configuration is empty or an enum.
            let configuration = try JSONEncoder().encode((c.make() as! any SerializableLayer).configuration)
            #expect(["{}", "{\"mode\":\"horizontalAndVertical\"}"].contains(String(decoding: configuration, as: UTF8.self)))
            return
        }
        let layer = make()
        let model = Sequential(layer is Input ? [layer] : [Input(shape: c.sampleShape), layer], seed: 1)
        do {
            try model.compile(optimizer: SGD(), loss: .meanSquaredError)
            Issue.record("compile accepted \(c.typeName) with a bad \(argument)")
        } catch let error as LayersError {
            let message = error.description
            #expect(message.contains(c.typeName) && message.contains("invalid \(argument) ="), "\(message)")
        }
    }
}
