import Tensor

/// The element-wise product of its inputs (Keras's `Multiply`): a gate is `Multiply()(x, gate)`.
public struct Multiply: ElementwiseMerge {
    public var name = ""

    /// A `Multiply` layer.
    public init() {}

    public static func combine(_ inputs: [Variable]) throws -> Variable { try fold(inputs, *) }
}

// MARK: Saving

extension Multiply: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
