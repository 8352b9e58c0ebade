import Tensor

/// The shared behaviour of the activation layers: apply a fixed ``ActivationFunction``.
public protocol ActivationLayer: ActivatedLayer {
    /// The last forward pass's output, from which the backward pass derives the gradient.
    var lastOutput: Tensor { get set }
}

extension ActivationLayer {
    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] { inputShape }

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

/// `max(x, 0)` as a layer.
public struct ReLU: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.relu
    public var lastOutput = Tensor([])
    /// A ReLU layer.
    public init() {}
}

/// `x` for positive `x`, else `alpha · x`, as a layer (Keras's default slope is 0.3).
public struct LeakyReLU: ActivationLayer {
    public var name = ""
    public let activation: ActivationFunction
    public var lastOutput = Tensor([])
    /// A leaky ReLU with slope `alpha` for negative inputs.
    public init(alpha: Float = 0.3) { activation = .leakyReLU(alpha: alpha) }
}

/// `x` for positive `x`, else `alpha · (eˣ − 1)`, as a layer.
public struct ELU: ActivationLayer {
    public var name = ""
    public let activation: ActivationFunction
    public var lastOutput = Tensor([])
    /// An ELU layer.
    public init(alpha: Float = 1) { activation = .elu(alpha: alpha) }
}

/// The logistic sigmoid as a layer.
public struct Sigmoid: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.sigmoid
    public var lastOutput = Tensor([])
    /// A sigmoid layer.
    public init() {}
}

/// The hyperbolic tangent as a layer.
public struct Tanh: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.tanh
    public var lastOutput = Tensor([])
    /// A tanh layer.
    public init() {}
}

/// Softmax over the last axis as a layer.
public struct Softmax: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.softmax
    public var lastOutput = Tensor([])
    /// A softmax layer.
    public init() {}
}
