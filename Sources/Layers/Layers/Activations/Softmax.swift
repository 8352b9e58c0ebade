import Tensor

/// Softmax over the last axis as a layer.
public struct Softmax: ActivationLayer {
    public var name = ""
    public let activation = ActivationFunction.softmax
    public var lastOutput = Tensor([])
    /// A softmax layer.
    public init() {}
}

// MARK: Saving

extension Softmax: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
