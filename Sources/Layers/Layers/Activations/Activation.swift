import Tensor

/// The shared behaviour of the activation layers: apply a fixed ``ActivationFunction``.
public protocol ActivationLayer: ActivatedLayer {
    /// The last forward pass's output, from which the backward pass derives the gradient.
    var lastOutput: Tensor { get set }
}

extension ActivationLayer {
    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        var check = HyperparameterCheck(Self.typeName)
        activation.check(&check, argument: Self.self == Activation.self ? "activation" : "alpha")
        try check.throwIfInvalid()
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var output = input
        try activation.apply(to: &output)
        lastOutput = output
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try activation.backward(output: lastOutput, outputGradient: outputGradient)
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor { gradient }
}

/// Applies an activation function as a layer: `Activation(.relu)`.
public struct Activation: ActivationLayer {
    public var name = ""
    public let activation: ActivationFunction
    public var lastOutput = Tensor([])
    /// A layer applying `activation`.
    public init(_ activation: ActivationFunction) { self.activation = activation }
}

// MARK: Saving

extension Activation: SerializableLayer {
    public var configuration: ActivationLayerConfiguration { .init(activation: activation) }
    public init(configuration: ActivationLayerConfiguration) { self.init(configuration.activation) }
}

/// The configuration of the activation layers that take an activation function.
public struct ActivationLayerConfiguration: Codable, Sendable {
    var activation: ActivationFunction
}
