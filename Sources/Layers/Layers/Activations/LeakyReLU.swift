import Tensor

/// `x` for positive `x`, else `alpha · x`, as a layer (Keras's default slope is 0.3).
public struct LeakyReLU: ActivationLayer {
    public var name = ""
    public let activation: ActivationFunction
    public var lastOutput = Tensor([])
    /// A leaky ReLU with slope `alpha` for negative inputs.
    public init(alpha: Float = 0.3) { activation = .leakyReLU(alpha: alpha) }
}

// MARK: Saving

extension LeakyReLU: SerializableLayer {
    public var configuration: ActivationLayerConfiguration { .init(activation: activation) }
    public init(configuration: ActivationLayerConfiguration) throws {
        guard case let .leakyReLU(alpha) = configuration.activation else {
            throw ModelFileError.invalidArchitecture("a LeakyReLU layer must have a leakyReLU activation")
        }
        self.init(alpha: alpha)
    }
}
