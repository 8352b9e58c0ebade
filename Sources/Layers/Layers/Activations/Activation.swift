import Tensor

/// The shared behaviour of the activation layers: apply a fixed ``ActivationFunction``.
public protocol ActivationLayer: ActivatedLayer {
    /// The last forward pass's output, from which the backward pass derives the gradient.
    var lastOutput: Tensor { get set }
    /// The last forward pass's input, kept for activations whose derivative needs it
    /// (``ActivationFunction/needsInput``); by default not kept (a layer of a fixed
    /// activation that does not need it).
    var lastInput: Tensor { get set }
}

extension ActivationLayer {
    public var lastInput: Tensor {
        get { Tensor([]) }
        set {}
    }

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
        if activation.needsInput { lastInput = input }
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try activation.backward(input: activation.needsInput ? lastInput : nil, output: lastOutput, outputGradient: outputGradient)
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor { gradient }
}

/// Applies an activation function as a layer: `Activation(.relu)`, `Activation(.gelu())`.
public struct Activation: ActivationLayer {
    public var name = ""
    public let activation: ActivationFunction
    public var lastOutput = Tensor([])
    public var lastInput = Tensor([])
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
