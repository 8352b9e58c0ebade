import Foundation
import Layers
import MNISTTestSupport
import ONNX
import Tensor
import Testing

/// Exports `model`, runs the file in ONNX Runtime on `input` and returns the largest
/// difference from `predict`, relative to the output's scale.
func onnxDifference(_ model: Model, input: Tensor) throws -> Float {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("model.onnx")
    try model.exportONNX(to: file.path)
    let expected = try model.predict(input)
    let actual = try ONNXRuntimeRunner.outputs(of: file, input: input)
    #expect(actual.shape == expected.shape)
    return zip(actual.scalars, expected.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
}

/// `model` after a short fit on random data, so that every weight, including batch
/// normalisation's moving statistics, is away from its initial value.
func perturbed(_ model: Model, inputShape: [Int], seed: UInt64 = 5) throws -> (Model, Tensor) {
    var generator = RandomGenerator(seed: seed)
    let x = try Tensor.uniform([16] + inputShape, using: &generator)
    try model.build(inputShape: inputShape)
    let outputs = model.outputShape!.reduce(1, *)
    let y = try Tensor.uniform([16] + model.outputShape!, using: &generator)
    try model.compile(optimizer: Adam(learningRate: 0.05), loss: outputs > 1 ? .meanSquaredError : .meanSquaredError)
    try model.fit(x: x, y: y, batchSize: 8, epochs: 2, verbose: .silent)
    return (model, try Tensor.uniform([5] + inputShape, using: &generator))
}

@Suite("ONNX export, checked by ONNX Runtime", .serialized, .enabled(if: ONNXRuntimeRunner.missing == nil,
       Comment(rawValue: ONNXRuntimeRunner.missing ?? "")))
struct ExportTests {
    /// One small model per exportable layer type (and per variant that changes the graph).
    nonisolated(unsafe) static let models: [(String, [Int], () -> Model)] = [
        ("Conv2D valid, ReLU", [9, 9, 3], { Sequential { Conv2D(filters: 4, kernelSize: 3, activation: .relu) } }),
        ("Conv2D same, stride 2, no bias", [9, 8, 2],
         { Sequential { Conv2D(filters: 3, kernelSize: 4, strides: 2, padding: .same, useBias: false) } }),
        ("Conv2D Winograd F(4x4)", [12, 12, 8],
         { Sequential { Conv2D(filters: 8, kernelSize: 3, padding: .same, activation: .elu(alpha: 0.7), algorithm: .winograd4x4) } }),
        ("Conv2D dilated", [9, 8, 2], { Sequential { Conv2D(filters: 3, kernelSize: 3, dilationRate: Size2D(2, 3)) } }),
        ("Conv1D causal dilated, same strided; MaxPooling1D, AveragePooling1D same", [11, 3], {
            Sequential {
                Conv1D(filters: 4, kernelSize: 3, padding: .causal, dilationRate: 2, activation: .relu)
                MaxPooling1D(poolSize: 3, strides: 2, padding: .same)
                Conv1D(filters: 3, kernelSize: 2, strides: 2, padding: .same, useBias: false)
                AveragePooling1D(poolSize: 2, padding: .same)
                Conv1D(filters: 2, kernelSize: 2)
            }
        }),
        ("ZeroPadding2D and Cropping2D, on NHWC input and between convolutions", [6, 5, 2], {
            Sequential {
                ZeroPadding2D(padding: Margins2D(top: 1, bottom: 2, left: 0, right: 1)); Conv2D(filters: 3, kernelSize: 3)
                ZeroPadding2D(padding: 1); Cropping2D(cropping: Margins2D(top: 0, bottom: 1, left: 2, right: 1))
                Conv2D(filters: 2, kernelSize: 1); Cropping2D(cropping: 1)
            }
        }),
        ("UpSampling2D nearest and bilinear", [4, 3, 2], {
            Sequential { UpSampling2D(size: Size2D(2, 3)); Conv2D(filters: 3, kernelSize: 3); UpSampling2D(size: 2, interpolation: .bilinear) }
        }),
        ("DepthwiseConv2D (multiplier 2, strided; dilated, no bias) and SeparableConv2D", [9, 8, 3], {
            Sequential {
                DepthwiseConv2D(kernelSize: 3, strides: 2, padding: .same, depthMultiplier: 2, activation: .relu)
                DepthwiseConv2D(kernelSize: 2, dilationRate: 2, useBias: false)
                SeparableConv2D(filters: 4, kernelSize: 2, padding: .same, depthMultiplier: 2, activation: .tanh)
            }
        }),
        ("Conv2DTranspose same strided, valid, kernel smaller than its stride", [4, 3, 3], {
            Sequential {
                Conv2DTranspose(filters: 4, kernelSize: 3, strides: 2, padding: .same, activation: .relu)
                Conv2DTranspose(filters: 3, kernelSize: Size2D(3, 2), strides: Size2D(1, 2))
                Conv2DTranspose(filters: 2, kernelSize: 1, strides: 3, useBias: false)
                Conv2DTranspose(filters: 2, kernelSize: 4, strides: 3, padding: .same)
            }
        }),
        ("MaxPooling2D valid", [8, 8, 3], { Sequential { MaxPooling2D(poolSize: 2) } }),
        ("MaxPooling2D same 3, stride 2", [9, 8, 2], { Sequential { MaxPooling2D(poolSize: 3, strides: 2, padding: .same) } }),
        ("AveragePooling2D same 3, stride 2", [9, 8, 2], { Sequential { AveragePooling2D(poolSize: 3, strides: 2, padding: .same) } }),
        ("GlobalAveragePooling2D", [6, 5, 4], { Sequential { GlobalAveragePooling2D() } }),
        ("GlobalMaxPooling2D after a convolution, GlobalMaxPooling1D over rows", [6, 5, 2], {
            let image = Input(shape: [6, 5, 2])
            let convolved = try! Conv2D(filters: 3, kernelSize: 3, padding: .same)(image)
            let rows = try! GlobalMaxPooling1D()(try! Reshape([6, 10])(image))
            return try! Model(inputs: image, outputs: try! Concatenate()(try! GlobalMaxPooling2D()(convolved), rows), seed: 9)
        }),
        ("BatchNormalization on images", [6, 6, 3],
         { Sequential { Conv2D(filters: 4, kernelSize: 3); BatchNormalization(momentum: 0.5) } }),
        ("BatchNormalization on features", [7], { Sequential { Dense(units: 6); BatchNormalization(momentum: 0.5) } }),
        ("LayerNormalization on sequences and on image channels", [4, 4, 3], {
            Sequential {
                Conv2D(filters: 4, kernelSize: 1); LayerNormalization(); Reshape([16, 4])
                LayerNormalization(center: false); Dense(units: 3); LayerNormalization(scale: false)
            }
        }),
        ("SimpleRNN with sequences, LSTM backwards with sequences, GRU without bias", [5, 3], {
            Sequential {
                SimpleRNN(units: 4, returnSequences: true); LSTM(units: 3, returnSequences: true, goBackwards: true)
                GRU(units: 2, useBias: false)
            }
        }),
        ("LSTM and GRU: the last state, forwards and backwards", [6, 2], {
            let input = Input(shape: [6, 2])
            let joined = try! Concatenate()(try! LSTM(units: 3)(input), try! GRU(units: 3, goBackwards: true)(input),
                                            try! SimpleRNN(units: 2, goBackwards: true)(input))
            return try! Model(inputs: input, outputs: joined, seed: 6)
        }),
        ("Bidirectional: concat of sequences, sum, average, multiply of last states", [5, 3], {
            Sequential {
                Bidirectional(LSTM(units: 3, returnSequences: true)); Bidirectional(GRU(units: 2, returnSequences: true), mergeMode: .sum)
                Bidirectional(SimpleRNN(units: 2, returnSequences: true), mergeMode: .average)
                Bidirectional(LSTM(units: 2), mergeMode: .multiply)
            }
        }),
        ("a transformer block: PositionEmbedding, LayerNormalization, MultiHeadAttention (causal), GELU MLP", [6, 4], {
            let patches = Input(shape: [6, 4])
            let tokens = try! Add()(patches, try! PositionEmbedding(sequenceLength: 8)(patches))
            let normalized = try! LayerNormalization()(tokens)
            let attended = try! Add()(tokens, try! MultiHeadAttention(heads: 2, keyDim: 3, useCausalMask: true)(normalized, normalized))
            let mlp = try! Dense(units: 4)(try! Dense(units: 8, activation: .gelu())(try! LayerNormalization()(attended)))
            let cross = try! MultiHeadAttention(heads: 1, keyDim: 2, valueDim: 3, useBias: false, outputShape: 5)(
                try! Add()(attended, mlp), patches, key: tokens)
            return try! Model(inputs: patches, outputs: try! GlobalAveragePooling1D()(cross), seed: 7)
        }),
        ("Input, then Dense with bias, softmax", [10], { Sequential { Input(shape: [10]); Dense(units: 5, activation: .softmax) } }),
        ("Dense without bias, tanh", [10], { Sequential { Dense(units: 5, activation: .tanh, useBias: false) } }),
        ("Dense on the last axis of sequences, softmax", [4, 6], { Sequential { Dense(units: 3, activation: .softmax) } }),
        ("Dense on the channels of a channels-first convolution", [5, 5, 2],
         { Sequential { Conv2D(filters: 3, kernelSize: 3); Dense(units: 4, activation: .relu); Flatten() } }),
        ("Flatten after convolutions (NHWC order)", [6, 5, 3],
         { Sequential { Conv2D(filters: 4, kernelSize: 2); Flatten(); Dense(units: 3) } }),
        ("Reshape to images, then a convolution", [48],
         { Sequential { Reshape([4, 4, 3]); Conv2D(filters: 2, kernelSize: 2); Flatten() } }),
        ("ReLU, LeakyReLU, ELU", [6, 6, 2], { Sequential { Conv2D(filters: 3, kernelSize: 1); LeakyReLU(alpha: 0.2); ELU(alpha: 0.5); ReLU() } }),
        ("Sigmoid, Tanh, Activation", [8], { Sequential { Dense(units: 4); Sigmoid(); Tanh(); Activation(.leakyReLU(alpha: 0.1)) } }),
        ("Softmax over image channels", [4, 4, 5], { Sequential { Conv2D(filters: 5, kernelSize: 1); Softmax() } }),
        ("GELU (exact and tanh), swish, softplus, hard sigmoid", [6, 6, 2], {
            Sequential {
                Conv2D(filters: 3, kernelSize: 3, activation: .gelu()); Activation(.gelu(approximate: true))
                Conv2D(filters: 3, kernelSize: 1, activation: .swish); Activation(.softplus); Flatten()
                Dense(units: 4, activation: .hardSigmoid)
            }
        }),
        ("Dropout and augmentation are left out", [10, 10, 1], {
            Sequential {
                RandomRotation(0.1); RandomTranslation(height: 0.1, width: 0.1); RandomZoom(heightFactor: 0.1)
                RandomFlip(.horizontal); Conv2D(filters: 2, kernelSize: 3); Dropout(rate: 0.5); Flatten()
            }
        }),
        ("a residual block: Add of channels-first values, BatchNormalization, global pooling", [8, 8, 3], {
            let input = Input(shape: [8, 8, 3])
            let x = try! Conv2D(filters: 8, kernelSize: 3, padding: .same, activation: .relu)(input)
            let y = try! BatchNormalization(momentum: 0.5)(try! Conv2D(filters: 8, kernelSize: 3, padding: .same)(x))
            let sum = try! ReLU()(try! Add()(x, y))
            let output = try! Dense(units: 3, activation: .softmax)(try! GlobalAveragePooling2D()(sum))
            return try! Model(inputs: input, outputs: output, seed: 2)
        }),
        ("every merge on features, joined by Concatenate", [6], {
            let input = Input(shape: [6])
            let (a, b, c) = (try! Dense(units: 4)(input), try! Dense(units: 4, activation: .tanh)(input), try! Dense(units: 4)(input))
            let merged = try! Concatenate()(
                try! Subtract()(a, b), try! Multiply()(a, b, c), try! Average()(a, c), try! Maximum()(b, c), try! Minimum()(a, b))
            return try! Model(inputs: input, outputs: try! Dense(units: 3)(merged), seed: 3)
        }),
        ("a shared convolution, its two calls' channels concatenated", [6, 6, 2], {
            let input = Input(shape: [6, 6, 2])
            let shared = Conv2D(filters: 3, kernelSize: 1)
            let other = try! Conv2D(filters: 2, kernelSize: 3, padding: .same)(input)
            let joined = try! Concatenate()(try! shared(input), try! shared(other))
            return try! Model(inputs: input, outputs: try! Dense(units: 2)(try! Flatten()(joined)), seed: 4)
        }),
        ("Concatenate of the NHWC input and a channels-first convolution, along height", [4, 4, 2], {
            let input = Input(shape: [4, 4, 2])
            let joined = try! Concatenate(axis: 1)(input, try! Conv2D(filters: 2, kernelSize: 1)(input))
            return try! Model(inputs: input, outputs: try! Flatten()(joined), seed: 5)
        }),
    ]

    /// Models whose input is indices rather than uniform values, with their own inputs.
    nonisolated(unsafe) static let indexModels: [(String, () -> Model, Tensor)] = [
        ("Embedding of sequences, then Dense on each step", {
            Sequential { Input(shape: [6]); Embedding(inputDim: 9, outputDim: 4); Dense(units: 2); Flatten() }
        }, try! Tensor(shape: [5, 6], scalars: (0..<30).map { Float(($0 * 7) % 9) })),
    ]

    @Test("index inputs: ONNX Runtime's outputs match predict", arguments: indexModels.map(\.0))
    func indexLayer(_ name: String) throws {
        let (_, make, input) = Self.indexModels.first { $0.0 == name }!
        let model = make()
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .meanSquaredError)
        var generator = RandomGenerator(seed: 4)
        try model.fit(x: input, y: try Tensor.uniform([5] + model.outputShape!, using: &generator), batchSize: 5,
                      epochs: 2, verbose: .silent)
        let difference = try onnxDifference(model, input: input)
        #expect(difference < 1e-5, "\(name): largest relative difference \(difference)")
    }

    @Test("each layer type: ONNX Runtime's outputs match predict", arguments: models.map(\.0))
    func layer(_ name: String) throws {
        let (_, shape, make) = Self.models.first { $0.0 == name }!
        let (model, input) = try perturbed(make(), inputShape: shape)
        let difference = try onnxDifference(model, input: input)
        #expect(difference < 1e-5, "\(name): largest relative difference \(difference)")
    }

    @Test("the table above has a model for every built-in layer type")
    func everyLayerType() {
        let covered = Set((Self.models.map { $0.2() } + Self.indexModels.map { $0.1() })
            .flatMap { $0.layers.map { type(of: $0).typeName } })
        let missing = LayerRegistry.builtInTypes.map { $0.typeName }.filter { !covered.contains($0) }
        #expect(missing.isEmpty, "no export test for \(missing)")
    }

    @Test("the graph keeps a symbolic batch: one file runs batches of 1 and 7")
    func batchSizes() throws {
        let (model, _) = try perturbed(Sequential { Conv2D(filters: 2, kernelSize: 3); Flatten(); Dense(units: 3) },
                                       inputShape: [5, 5, 1])
        var generator = RandomGenerator(seed: 9)
        for batch in [1, 7] {
            #expect(try onnxDifference(model, input: try Tensor.uniform([batch, 5, 5, 1], using: &generator)) < 1e-5)
        }
    }

    @Test("a model of two inputs and two outputs (one an image): ONNX Runtime's outputs, by name, match predict")
    func severalInputsAndOutputs() throws {
        let image = Input(shape: [6, 6, 2], name: "image"), extra = Input(shape: [3], name: "extra")
        let features = try BatchNormalization(momentum: 0.5)(try Conv2D(filters: 3, kernelSize: 3, padding: .same)(image))
        let mask = try Conv2D(filters: 2, kernelSize: 1, activation: .sigmoid).named("mask")(features)
        let joined = try Concatenate()(try GlobalAveragePooling2D()(features), try Dense(units: 4, activation: .tanh)(extra))
        let digit = try Dense(units: 3, activation: .softmax).named("digit")(joined)
        let model = try Model(inputs: [image, extra], outputs: [digit, mask], seed: 8)
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: [.categoricalCrossentropy, .meanSquaredError])
        var generator = RandomGenerator(seed: 3)
        func inputs(_ count: Int) throws -> [Tensor] {
            [try Tensor.uniform([count, 6, 6, 2], using: &generator), try Tensor.uniform([count, 3], using: &generator)]
        }
        let targets = [try Tensor.oneHot((0..<16).map { $0 % 3 }, classes: 3), try Tensor.uniform([16, 6, 6, 2], using: &generator)]
        try model.fit(x: try inputs(16), y: targets, batchSize: 8, epochs: 2, verbose: .silent)
        #expect(model.onnxInputNames == ["image", "extra"] && model.onnxOutputNames == ["digit", "mask"])

        let x = try inputs(5)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("two.onnx")
        try model.exportONNX(to: file.path)
        let actual = try ONNXRuntimeRunner.outputs(of: file, inputs: [("image", x[0]), ("extra", x[1])], outputNames: ["digit", "mask"])
        let expected = try model.predict(x)
        for (name, (got, want)) in zip(["digit", "mask"], zip(actual, expected)) {
            #expect(got.shape == want.shape, "\(name)")
            let difference = zip(got.scalars, want.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
            #expect(difference < 1e-5, "\(name): largest relative difference \(difference)")
        }
    }

    @Test("attention with a mask input: ONNX Runtime's output matches predict")
    func attentionMask() throws {
        let tokens = Input(shape: [5, 4], name: "tokens"), mask = Input(shape: [5, 5], name: "mask")
        let output = try MultiHeadAttention(heads: 2, keyDim: 3)(tokens, tokens, attentionMask: mask)
        let model = try Model(inputs: [tokens, mask], outputs: [try Flatten()(output)], seed: 8)
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .meanSquaredError)
        var generator = RandomGenerator(seed: 3)
        let x = try Tensor.uniform([6, 5, 4], using: &generator)
        let m = try Tensor(shape: [6, 5, 5], scalars: (0..<150).map { $0 % 7 < 4 ? 1 : 0 })
        try model.fit(x: [x, m], y: [try Tensor.uniform([6, 20], using: &generator)], batchSize: 6, epochs: 2, verbose: .silent)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("attention.onnx")
        try model.exportONNX(to: file.path)
        let actual = try ONNXRuntimeRunner.outputs(of: file, inputs: [("tokens", x), ("mask", m)], outputNames: ["output"])
        let expected = try model.predict([x, m])
        let difference = zip(actual[0].scalars, expected[0].scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(difference < 1e-5, "largest relative difference \(difference)")
    }

    @Test("a model that is not built, or a layer without an ONNX form, is a clear error")
    func errors() throws {
        #expect(throws: ONNXExportError.notBuilt) { try Sequential { Dense(units: 2) }.onnxData() }
        struct Custom: Layer {
            var name = "my_layer"
            mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] { inputShape }
            mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { input }
            mutating func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient }
        }
        let model = Sequential { Dense(units: 2); Custom() }
        try model.build(inputShape: [3])
        #expect { try model.onnxData() } throws: { error in
            "\(error)" == "layer 'my_layer' (Custom) cannot be exported to ONNX: it has no ONNX form; remove it or export without it"
        }
        let masked = Sequential { Embedding(inputDim: 5, outputDim: 2, maskZero: true); LSTM(units: 2) }
        try masked.build(inputShape: [4])
        #expect { try masked.onnxData() } throws: { error in
            "\(error)".hasPrefix("layer 'embedding' (Embedding) cannot be exported to ONNX: maskZero makes a mask")
        }
        let sequence = Input(shape: [4, 3])
        let states = try Model(inputs: [sequence], outputs: try LSTM(units: 2, returnState: true).allOutputs(sequence))
        try states.build(inputShapes: [[4, 3]])
        #expect { try states.onnxData() } throws: { error in
            "\(error)".hasPrefix("layer 'lstm' (LSTM) cannot be exported to ONNX: its call returns 3 tensors (returnState)")
        }
        let start = Input(shape: [2], name: "start")
        let started = try Model(inputs: [sequence, start], outputs: [try GRU(units: 2)(sequence, initialState: [start])])
        try started.build(inputShapes: [[4, 3], [2]])
        #expect { try started.onnxData() } throws: { error in
            "\(error)".hasPrefix("layer 'gru' (GRU) cannot be exported to ONNX: its call has 2 inputs (initial states)")
        }
        let exportable = Sequential { Dense(units: 2) }
        try exportable.build(inputShape: [3])
        #expect { try exportable.exportONNX(to: "/no/such/folder/model.onnx") } throws: { error in
            "\(error)".hasPrefix("cannot write /no/such/folder/model.onnx: ")
        }
    }
}
