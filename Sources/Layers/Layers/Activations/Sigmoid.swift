import Tensor

/// The logistic sigmoid as a layer.
public struct Sigmoid: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.sigmoid
    public var lastOutput = Tensor([])
    /// A sigmoid layer.
    public init() {}
}

// MARK: Saving

extension Sigmoid: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
