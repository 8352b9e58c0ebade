import Foundation
import Testing
import Layers
import Tensor

/// The custom layer of the README: `y = x · scale`, one trainable scale per feature, written
/// forward-only (the model's tape differentiates it).
struct Scale: DifferentiableLayer {
    var name = ""
    var scale = Parameter(name: "scale")

    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        scale.value = try Tensor.ones([inputShape.last ?? 1])
        return inputShape
    }

    mutating func call(_ input: Variable, context: inout ForwardContext) throws -> Variable {
        try input * context[scale]
    }

    mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&scale)
    }
}

/// The same layer with its backward pass written by hand (as the built-in layers do it).
struct HandWrittenScale: Layer {
    var name = ""
    var scale = Parameter(name: "scale")
    private var input = Tensor([])

    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        scale.value = try Tensor.ones([inputShape.last ?? 1])
        return inputShape
    }

    mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        self.input = input
        return try input.broadcastingLastAxis(scale.value, *)
    }

    mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        // dL/dscale = Σ over the batch of dy · x; dL/dx = dy · scale.
        scale.gradient = try (outputGradient * input).reshaped([-1, scale.value.count]).sum(alongAxis: 0)
        return try outputGradient.broadcastingLastAxis(scale.value, *)
    }

    mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&scale)
    }
}

/// `y = (x·W) ⊙ σ(x·V + c)`, forward-only: the input fans out to two products; with
/// `countsCalls`, a non-trainable parameter counts the training calls.
struct GatedDense: DifferentiableLayer {
    var name = ""
    let units: Int
    var kernel = Parameter(name: "kernel")
    var gateKernel = Parameter(name: "gate_kernel")
    var gateBias = Parameter(name: "gate_bias")
    var calls = Parameter(name: "calls", trainable: false)
    let countsCalls: Bool
    let forgetsGateBias: Bool

    init(units: Int, countsCalls: Bool = false, forgetsGateBias: Bool = false) {
        self.units = units
        self.countsCalls = countsCalls
        self.forgetsGateBias = forgetsGateBias
    }

    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        kernel.value = try Tensor.glorotUniform([inputShape.last!, units], using: &context.generator)
        gateKernel.value = try Tensor.glorotUniform([inputShape.last!, units], using: &context.generator)
        gateBias.value = try Tensor.filled([units], with: 0.1)
        calls.value = try Tensor.zeros([1])
        return Array(inputShape.dropLast()) + [units]
    }

    mutating func call(_ input: Variable, context: inout ForwardContext) throws -> Variable {
        if context.training { calls.value += 1 }
        let gate = try (input.matmul(context[gateKernel]) + context[gateBias]).sigmoid()
        return try input.matmul(context[kernel]) * gate
    }

    mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&kernel)
        try body(&gateKernel)
        if !forgetsGateBias { try body(&gateBias) }
        if countsCalls { try body(&calls) }
    }
}

@Suite("Custom layers")
struct CustomLayerTests {
    @Test("a custom layer's hand-written backward matches finite differences")
    func gradients() throws {
        let check = try checkGradients(HandWrittenScale(), sampleShape: [4], batch: 3)
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test("a training step through a forward-only layer follows the loss's gradient, to the layers before it too")
    func forwardOnlyStep() throws {
        try ModelGradientTests().checkStep(Sequential(seed: 5) {
            Input(shape: [5, 5, 1])
            Conv2D(filters: 2, kernelSize: 3, activation: .tanh)
            Reshape([9, 2])
            GatedDense(units: 3)
            Flatten()
            Dense(units: 3, activation: .softmax)
        }, loss: .categoricalCrossentropy)
    }

    @Test("a forward-only layer trains, updates its state in training only, and round-trips through a file")
    func forwardOnlyTrainsAndSaves() throws {
        LayerRegistry.register(Scale.self)
        let model = Sequential(seed: 2) {
            Input(shape: [3])
            Scale()
        }
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .meanSquaredError)
        let x = randomTensor([64, 3], seed: 1)
        let target = try x.broadcastingLastAxis(Tensor([2, -1, 0.5]), *)
        try model.fit(x: x, y: target, batchSize: 16, epochs: 100, verbose: .silent)
        let learned = model.weights[0].scalars
        #expect(zip(learned, [2, -1, 0.5]).allSatisfy { abs($0 - $1) < 0.05 }, "\(learned)")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("forward-only-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try model.save(to: file.path)
        let loaded = try Model.load(from: file.path)
        #expect(try loaded.predict(x) == (try model.predict(x)))

        let gated = Sequential(seed: 3) {
            Input(shape: [4])
            GatedDense(units: 2, countsCalls: true)
        }
        try gated.compile(optimizer: SGD(), loss: .meanSquaredError)
        _ = try gated.predict(randomTensor([5, 4], seed: 2))
        try gated.trainOnBatch(x: randomTensor([5, 4], seed: 2), y: randomTensor([5, 2], seed: 3))
        #expect(gated.weights[3].scalars == [1], "one training call counted, none for predict")
    }

    /// A hand-written layer whose backward returns a gradient of the wrong shape.
    struct WrongGradient: Layer {
        var name = ""
        mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] { inputShape }
        mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { input }
        mutating func backward(_ outputGradient: Tensor) throws -> Tensor { try outputGradient.reshaped([-1]) }
    }

    @Test("a backward pass that returns the wrong shape is blamed on its own layer, with both shapes")
    func wrongGradientShape() throws {
        let model = Sequential(seed: 3) {
            Input(shape: [4])
            Dense(units: 3)
            WrongGradient()
            Dense(units: 2)
        }
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect {
            try model.trainOnBatch(x: randomTensor([5, 4], seed: 2), y: randomTensor([5, 2], seed: 3))
        } throws: { error in
            let text = "\(error)"
            return text.contains("'wrong_gradient'") && text.contains("[15]") && text.contains("[5, 3]")
        }
    }

    @Test("a forward-only layer that does not list a parameter it uses is an error that names the parameter")
    func forgottenParameter() throws {
        let model = Sequential(seed: 3) {
            Input(shape: [4])
            GatedDense(units: 2, forgetsGateBias: true)
        }
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect {
            try model.trainOnBatch(x: randomTensor([5, 4], seed: 2), y: randomTensor([5, 2], seed: 3))
        } throws: { error in
            "\(error)".contains("gated_dense") && "\(error)".contains("'gate_bias'") && "\(error)".contains("forEachParameter")
        }
    }

    @Test("a custom layer trains inside a Sequential, with summary and weights")
    func trainsInSequential() throws {
        let model = Sequential(seed: 2) {
            Input(shape: [3])
            Scale()
        }
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .meanSquaredError)
        #expect(try model.summary().contains("│ scale (Scale)"))
        let x = randomTensor([64, 3], seed: 1)
        let target = try x.broadcastingLastAxis(Tensor([2, -1, 0.5]), *)
        try model.fit(x: x, y: target, batchSize: 16, epochs: 100, verbose: .silent)
        let learned = model.weights[0].scalars
        #expect(zip(learned, [2, -1, 0.5]).allSatisfy { abs($0 - $1) < 0.05 }, "\(learned)")
    }
}
