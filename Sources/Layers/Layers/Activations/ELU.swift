import Tensor

/// `x` for positive `x`, else `alpha · (eˣ − 1)`, as a layer.
public struct ELU: ActivationLayer {
    public var name = ""
    public let activation: ActivationFunction
    public var lastOutput = Tensor([])
    /// An ELU layer.
    public init(alpha: Float = 1) { activation = .elu(alpha: alpha) }
}

// MARK: Saving

extension ELU: SerializableLayer {
    public var configuration: ActivationLayerConfiguration { .init(activation: activation) }
    public init(configuration: ActivationLayerConfiguration) throws {
        guard case let .elu(alpha) = configuration.activation else {
            throw ModelFileError.invalidArchitecture("an ELU layer must have an elu activation")
        }
        self.init(alpha: alpha)
    }
}
