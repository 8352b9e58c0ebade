import Tensor

/// The hyperbolic tangent as a layer.
public struct Tanh: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.tanh
    public var lastOutput = Tensor([])
    /// A tanh layer.
    public init() {}
}

// MARK: Saving

extension Tanh: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
