import Foundation
import Testing
import Layers
import Tensor

/// Graph models built with the functional API: each is checked by one SGD step against
/// finite differences of its loss (`ModelGradientTests.checkStep`: inputs [5, 5, 1], 3 classes).
@Suite("Functional models")
struct FunctionalModelTests {
    /// A residual block: the convolution's output fans out to the next convolution and to the `Add`.
    static func residual() throws -> Model {
        let input = Input(shape: [5, 5, 1])
        let x = try Conv2D(filters: 2, kernelSize: 3, padding: .same, activation: .tanh)(input)
        let y = try Conv2D(filters: 2, kernelSize: 3, padding: .same, activation: .tanh)(x)
        let sum = try Add()(x, y)
        let output = try Dense(units: 3, activation: .softmax)(try Flatten()(sum))
        return try Model(inputs: input, outputs: output, seed: 3)
    }

    @Test("a residual connection: the step follows the gradient through both paths of the fan-out")
    func residualStep() throws {
        try ModelGradientTests().checkStep(try Self.residual(), loss: .categoricalCrossentropy)
    }

    /// One Dense layer called on two branches: its gradient is the sum over both calls.
    static func sharedDense() throws -> (Model, Dense) {
        let input = Input(shape: [5, 5, 1])
        let flat = try Flatten()(input)
        let left = try Dense(units: 4, activation: .tanh)(flat)
        let right = try Dense(units: 4, activation: .sigmoid)(flat)
        let shared = Dense(units: 3, activation: .tanh).named("shared")
        let merged = try Concatenate()(try shared(left), try shared(right))
        return (try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(merged), seed: 4), shared)
    }

    @Test("a layer called twice shares its weights and sums its gradients")
    func sharedLayer() throws {
        let (model, _) = try Self.sharedDense()
        try ModelGradientTests().checkStep(model, loss: .categoricalCrossentropy)
        #expect(model.layers.filter { $0.name == "shared" }.count == 1)
        #expect(model.graph.nodes.filter { model.layers[$0.layer].name == "shared" }.count == 2)
    }

    @Test("every merge layer passes gradients to each of its inputs", arguments: ["add", "subtract", "multiply", "average",
                                                                               "maximum", "minimum", "concatenate"])
    func merge(_ kind: String) throws {
        let input = Input(shape: [5, 5, 1])
        let flat = try Flatten()(input)
        let a = try Dense(units: 4, activation: .tanh)(flat)
        let b = try Dense(units: 4)(flat)
        let merged: SymbolicTensor = try {
            switch kind {
            case "add": try Add()(a, b)
            case "subtract": try Subtract()(a, b)
            case "multiply": try Multiply()(a, b)
            case "average": try Average()(a, b, a)
            case "maximum": try Maximum()(a, b)
            case "minimum": try Minimum()(a, b)
            default: try Concatenate(axis: 1)(a, b)
            }
        }()
        #expect(merged.shape == (kind == "concatenate" ? [8] : [4]))
        let model = try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(merged), seed: 5)
        try ModelGradientTests().checkStep(model, loss: .categoricalCrossentropy)
    }

    @Test("a chain written with the functional API trains bit for bit as the same Sequential")
    func chainIsSequential() throws {
        let sequential = Sequential(seed: 7) {
            Input(shape: [6])
            Dense(units: 8, activation: .relu)
            Dropout(rate: 0.2)
            Dense(units: 3, activation: .softmax)
        }
        let input = Input(shape: [6])
        var x = try Dense(units: 8, activation: .relu)(input)
        x = try Dropout(rate: 0.2)(x)
        let functional = try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(x), seed: 7)
        let (data, labels) = SyntheticData.blobs(samples: 48, classes: 3, features: 6, seed: 2)
        let y = try Tensor.oneHot(labels, classes: 3)
        var histories: [History] = []
        for model in [sequential as Model, functional] {
            try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy, metrics: [.accuracy])
            histories.append(try model.fit(x: data, y: y, batchSize: 16, epochs: 3, verbose: .silent))
        }
        // Sequential has its Input as a layer, with no weights; the weights match one for one.
        #expect(sequential.weights == functional.weights)
        #expect(histories[0][.loss] == histories[1][.loss])
    }

    @Test("a residual model learns a toy problem with fit, evaluate and predict")
    func trains() throws {
        let input = Input(shape: [2])
        let hidden = try Dense(units: 16, activation: .relu)(input)
        let block = try Add()(hidden, try Dense(units: 16, activation: .relu)(hidden))
        let model = try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(block), seed: 9)
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let (x, labels) = SyntheticData.blobs(samples: 150, classes: 3, seed: 4)
        try model.fit(x: x, y: try Tensor.oneHot(labels, classes: 3), batchSize: 16, epochs: 20, verbose: .silent)
        let (test, testLabels) = SyntheticData.blobs(samples: 60, classes: 3, seed: 4, noiseSeed: 5)
        let result = try model.evaluate(x: test, y: try Tensor.oneHot(testLabels, classes: 3))
        #expect(result[.accuracy]! > 0.95)
        #expect(try model.predict(test).shape == [60, 3])
        let summary = try model.summary()
        #expect(summary.contains("add (Add)") && summary.contains("Connected to"))
        #expect(summary.contains("│ dense, dense_1 "), "the Add reads both Dense layers:\n\(summary)")
    }

    @Test("calls that cannot fit are errors that name the layer, the call and both shapes")
    func callErrors() throws {
        let input = Input(shape: [4, 4, 1])
        let flat = try Flatten()(input)
        let wide = try Dense(units: 5)(flat)
        let narrow = try Dense(units: 3)(flat)
        #expect {
            try Add()(wide, narrow)
        } throws: { error in
            let text = "\(error)"
            return text.contains("add (Add)") && text.contains("[5]") && text.contains("[3]") && text.contains("same shape")
        }
        #expect {
            try Concatenate(axis: 1)(input, flat)
        } throws: { error in "\(error)".contains("concatenate") && "\(error)".contains("[4, 4, 1]") }
        #expect(throws: LayersError.self) { try Conv2D(filters: 2, kernelSize: 3)(flat) }
    }

    @Test("a graph that does not lead from the input, or reuses a name, is refused when the model is made")
    func graphErrors() throws {
        let input = Input(shape: [3])
        let other = Input(shape: [3])
        let mixed = try Add()(try Dense(units: 2)(input), try Dense(units: 2)(other))
        #expect {
            try Model(inputs: input, outputs: mixed)
        } throws: { error in "\(error)".contains("not the model's input") }
        let twins = try Add()(try Dense(units: 2).named("twin")(input), try Dense(units: 2).named("twin")(input))
        #expect {
            try Model(inputs: input, outputs: twins)
        } throws: { error in "\(error)".contains("two different layers are named 'twin'") }
        #expect(throws: LayersError.self) { try Model(inputs: input, outputs: input.symbolic) }
    }

    @Test("saving a graph that is not a chain is a typed error (this version saves chains)")
    func savingGraphs() throws {
        let model = try Self.residual()
        try model.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        #expect(throws: ModelFileError.self) { try model.save(to: "/tmp/never-written.safetensors") }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written.safetensors"))
    }
}
