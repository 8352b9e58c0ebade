import Tensor

/// Sets a random fraction `rate` of the inputs to 0 while training and scales the rest by
/// `1 / (1 − rate)`, so that inference (where it does nothing) sees the same expected values.
public struct Dropout: Layer {
    public var name = ""
    /// The fraction of inputs dropped, in `[0, 1)`.
    public let rate: Float
    private var check = HyperparameterCheck("Dropout")
    private var kernel: DropoutKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])
    private var active = false

    /// Dropout of a fraction `rate` of the inputs.
    public init(rate: Float) {
        self.rate = rate
        check.require(rate >= 0 && rate < 1, "rate", rate, "expected a value in [0, 1)")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        kernel = try DropoutKernel(rate: rate)
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        active = context.training && rate > 0
        guard active else { return input }
        guard kernel != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        // One draw of the model's generator seeds this step's mask (see DropoutKernel).
        try kernel!.forward(input, seed: context.generator.next(), into: &output)
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard active, let kernel else { return outputGradient }
        try kernel.backward(outputGradient: outputGradient, into: &inputGradient)
        return inputGradient
    }
}

// MARK: Saving

extension Dropout: SerializableLayer {
    public struct Configuration: Codable { var rate: Float }
    public var configuration: Configuration { Configuration(rate: rate) }
    public init(configuration: Configuration) { self.init(rate: configuration.rate) }
}
