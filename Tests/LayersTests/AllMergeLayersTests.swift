import Foundation
import Testing
import Layers
import Tensor

/// One row per built-in merge layer; `AllLayersTests.coverage` checks that this table and
/// `layerCases` together have every registered built-in type.
struct MergeCase: CustomTestStringConvertible, Sendable {
    let make: @Sendable () -> any MergeLayer
    /// How many branches it merges, and its output's shape for branches of 4 features.
    let inputs: Int
    let outputShape: [Int]
    /// The same type with a bad hyper-parameter and the argument the error must name.
    let bad: (@Sendable () -> any MergeLayer, argument: String)?
    /// Whether the branches are sequences `[5, 4]` (each image's rows) rather than `[4]`.
    var sequences = false
    /// Its parameter count, as the summary shows it.
    var parameters = 0

    var typeName: String { type(of: make()).typeName }
    var testDescription: String { typeName }
}

let mergeCases: [MergeCase] = [
    MergeCase(make: { Add() }, inputs: 2, outputShape: [4], bad: nil),
    MergeCase(make: { Subtract() }, inputs: 2, outputShape: [4], bad: nil),
    MergeCase(make: { Multiply() }, inputs: 3, outputShape: [4], bad: nil),
    MergeCase(make: { Average() }, inputs: 3, outputShape: [4], bad: nil),
    MergeCase(make: { Maximum() }, inputs: 2, outputShape: [4], bad: nil),
    MergeCase(make: { Minimum() }, inputs: 2, outputShape: [4], bad: nil),
    MergeCase(make: { Concatenate(axis: 1) }, inputs: 3, outputShape: [12], bad: ({ Concatenate(axis: 0) }, "axis")),
    // Query, value and key; weights 3 · (4·2·3 + 2·3) for the projections, 2·3·4 + 4 for the output.
    MergeCase(make: { MultiHeadAttention(heads: 2, keyDim: 3) }, inputs: 3, outputShape: [5, 4],
              bad: ({ MultiHeadAttention(heads: 0, keyDim: 3) }, "heads"), sequences: true, parameters: 118),
    MergeCase(make: { MultiHeadAttention(heads: 1, keyDim: 2, valueDim: 3, useBias: false, outputShape: 2, useCausalMask: true) },
              inputs: 2, outputShape: [5, 2], bad: ({ MultiHeadAttention(heads: 1, keyDim: 2, dropout: 1) }, "dropout"),
              sequences: true, parameters: 34),
]

@Suite("Every built-in merge layer: gradient, save/load, summary, bad hyper-parameter", .serialized)
struct AllMergeLayersTests {
    /// [5, 5, 1] images, flattened, into `inputs` Dense branches of 4 features (one with tanh), merged, then 3 classes.
    static func model(_ c: MergeCase, merge: (any MergeLayer)? = nil) throws -> Model {
        let input = Input(shape: [5, 5, 1])
        let flat = c.sequences ? try Reshape([5, 5])(input) : try Flatten()(input)
        let branches = try (0..<c.inputs).map { try Dense(units: 4, activation: $0 == 0 ? .tanh : .linear)(flat) }
        let merged = try (merge ?? c.make()).callAsFunction(branches)
        #expect(merged.shape == c.outputShape)
        let features = c.sequences ? try Flatten()(merged) : merged
        return try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(features), seed: 5)
    }

    @Test("a training step follows the gradient to every branch", arguments: mergeCases)
    func gradient(_ c: MergeCase) throws {
        try ModelGradientTests().checkStep(try Self.model(c), loss: .categoricalCrossentropy)
    }

    @Test("a saved and loaded graph predicts bit for bit the same, with the same calls and configuration", arguments: mergeCases)
    func roundTrip(_ c: MergeCase) throws {
        let model = try Self.model(c)
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy)
        let x = randomTensor([6, 5, 5, 1], seed: 8)
        try model.trainOnBatch(x: x, y: try Tensor.oneHot([0, 1, 2, 0, 1, 2], classes: 3))
        let loaded = try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("graph.safetensors").path
            try model.save(to: path)
            return try Model.load(from: path)
        }
        #expect(!(loaded is Sequential) && loaded.graph == model.graph)
        #expect(try loaded.predict(x).scalars == model.predict(x).scalars)
        #expect(loaded.weights.map(\.scalars) == model.weights.map(\.scalars))
        let merge = try #require(loaded.layers.first { type(of: $0).typeName == c.typeName } as? any SerializableLayer)
        let original = try #require(model.layers.first { type(of: $0).typeName == c.typeName } as? any SerializableLayer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the order of keys is otherwise unspecified
        #expect(try encoder.encode(merge.configuration) == encoder.encode(original.configuration))
        // Training resumes exactly from the file.
        try model.trainOnBatch(x: x, y: try Tensor.oneHot([2, 1, 0, 2, 1, 0], classes: 3))
        try loaded.trainOnBatch(x: x, y: try Tensor.oneHot([2, 1, 0, 2, 1, 0], classes: 3))
        #expect(loaded.weights.map(\.scalars) == model.weights.map(\.scalars))
    }

    @Test("the summary shows the merge, its output shape and what it is connected to", arguments: mergeCases)
    func summaryRow(_ c: MergeCase) throws {
        let model = try Self.model(c)
        let summary = try model.summary()
        let name = try #require(model.layers.first { type(of: $0).typeName == c.typeName }).name
        let row = try #require(summary.split(separator: "\n").first { $0.contains("\(name) (\(c.typeName))") })
        let branches = ["dense", "dense_1", "dense_2"].prefix(c.inputs).joined(separator: ", ")
        let shape = "(None, " + c.outputShape.map(String.init).joined(separator: ", ") + ")"
        #expect(row.contains(shape) && row.contains(" \(c.parameters) │") && row.contains(branches), "\(summary)")
    }

    @Test("a bad hyper-parameter is reported at compile, naming the layer type and the argument", arguments: mergeCases)
    func badHyperparameter(_ c: MergeCase) throws {
        guard let (make, argument) = c.bad else {
            let configuration = try JSONEncoder().encode((c.make() as! any SerializableLayer).configuration)
            #expect(String(decoding: configuration, as: UTF8.self) == "{}")
            return
        }
        #expect {
            let model = try Self.model(c, merge: make())
            try model.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        } throws: { error in
            "\(error)".contains(c.typeName) && "\(error)".contains("invalid \(argument) =")
        }
    }
}
