import Foundation
import Testing
import Layers
import Tensor

/// A model written as a Swift type (PyTorch's `nn.Module`, Keras's subclassing): its `call`
/// composes built-in layers and operations, with a residual connection.
struct ResidualMLP: DifferentiableLayer {
    var name = ""
    let units: Int
    let activation: ActivationFunction
    var first, second, head: Dense

    init(units: Int = 8, activation: ActivationFunction = .tanh) {
        (self.units, self.activation) = (units, activation)
        first = Dense(units: units, activation: activation)
        second = Dense(units: units)
        head = Dense(units: 3, activation: .softmax)
    }

    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        let hidden = try first.build(inputShape: inputShape, context: &context)
        _ = try second.build(inputShape: hidden, context: &context)
        return try head.build(inputShape: hidden, context: &context)
    }

    mutating func call(_ input: Variable, context: inout ForwardContext) throws -> Variable {
        let hidden = try first(input, context: &context)
        let residual = try (hidden + second(hidden, context: &context)).relu()
        return try head(residual, context: &context)
    }

    mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try first.forEachParameter(prefixedWith: "first", body)
        try second.forEachParameter(prefixedWith: "second", body)
        try head.forEachParameter(prefixedWith: "head", body)
    }
}

extension ResidualMLP: SerializableLayer {
    struct Configuration: Codable { var units: Int; var activation: ActivationFunction }
    var configuration: Configuration { Configuration(units: units, activation: activation) }
    init(configuration: Configuration) { self.init(units: configuration.units, activation: configuration.activation) }
}

/// Forgets to list one of its layers' parameters.
struct Forgetful: DifferentiableLayer {
    var name = ""
    var dense = Dense(units: 2)
    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try dense.build(inputShape: inputShape, context: &context)
    }
    mutating func call(_ input: Variable, context: inout ForwardContext) throws -> Variable { try dense(input, context: &context) }
}

@Suite("Models written as Swift types")
struct TypedModelTests {
    @Test("a training step through a Swift-type model follows the gradient, into the layer before it too")
    func step() throws {
        try ModelGradientTests().checkStep(Sequential(seed: 3) {
            Input(shape: [5, 5, 1])
            Conv2D(filters: 1, kernelSize: 3, activation: .tanh)
            Flatten()
            ResidualMLP()
        }, loss: .categoricalCrossentropy)
    }

    @Test("it trains as the same network written with the functional API (same initial weights, same steps)")
    func matchesFunctional() throws {
        let typed = Sequential(seed: 6) { Input(shape: [2]); ResidualMLP(units: 16, activation: .relu) }
        let input = Input(shape: [2])
        let hidden = try Dense(units: 16, activation: .relu)(input)
        let residual = try ReLU()(try Add()(hidden, try Dense(units: 16)(hidden)))
        let functional = try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(residual), seed: 6)
        let (x, labels) = SyntheticData.blobs(samples: 120, classes: 3, seed: 2)
        let y = try Tensor.oneHot(labels, classes: 3)
        for model in [typed as Model, functional] {
            try model.compile(optimizer: Adam(learningRate: 0.02), loss: .categoricalCrossentropy)
        }
        #expect(typed.weights == functional.weights, "the same initial weights")
        for model in [typed as Model, functional] { try model.fit(x: x, y: y, batchSize: 16, epochs: 5, verbose: .silent) }
        for (a, b) in zip(typed.weights, functional.weights) { #expect(relativeError(a, b) < 1e-4) }
    }

    @Test("it trains with fit, lists its layers' parameters under their names, and saves and loads bit for bit")
    func trainsAndSaves() throws {
        LayerRegistry.register(ResidualMLP.self)
        let model = Sequential(seed: 6) { Input(shape: [2]); ResidualMLP(units: 16, activation: .relu) }
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .categoricalCrossentropy, metrics: [.accuracy])
        #expect(model.layers[1].parameters.map(\.name) == ["first/kernel", "first/bias", "second/kernel", "second/bias",
                                                          "head/kernel", "head/bias"])
        let (x, labels) = SyntheticData.blobs(samples: 150, classes: 3, seed: 4)
        let y = try Tensor.oneHot(labels, classes: 3)
        try model.fit(x: x, y: y, batchSize: 16, epochs: 20, verbose: .silent)
        let accuracy = try model.evaluate(x: x, y: y)[.accuracy]!
        #expect(accuracy > 0.95, "accuracy \(accuracy)")
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("typed.safetensors").path
            try model.save(to: path)
            let loaded = try Model.load(from: path)
            #expect(try loaded.predict(x) == (try model.predict(x)))
        }
    }

    @Test("a layer's parameter that the model type does not list is an error naming it")
    func forgottenParameters() throws {
        let model = Sequential(seed: 1) { Input(shape: [3]); Forgetful() }
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect {
            try model.trainOnBatch(x: randomTensor([4, 3], seed: 1), y: randomTensor([4, 2], seed: 2))
        } throws: { error in "\(error)".contains("'kernel'") && "\(error)".contains("forEachParameter") }
    }
}
