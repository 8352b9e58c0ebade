import Tensor

/// `max(x, 0)` as a layer.
public struct ReLU: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.relu
    public var lastOutput = Tensor([])
    /// A ReLU layer.
    public init() {}
}

// MARK: Saving

extension ReLU: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
