import Testing
import Layers
import Tensor

/// The custom layer of the README: `y = x · scale`, one trainable scale per feature.
struct Scale: Layer {
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

@Suite("Custom layers")
struct CustomLayerTests {
    @Test("a custom layer's backward matches finite differences")
    func gradients() throws {
        let check = try checkGradients(Scale(), sampleShape: [4], batch: 3)
        #expect(check.worst < 1e-2, "\(check)")
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
