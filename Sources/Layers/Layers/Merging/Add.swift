import Tensor

/// The sum of its inputs (Keras's `Add`): a residual connection is `Add()(x, shortcut)`.
public struct Add: ElementwiseMerge {
    public var name = ""

    /// A `Add` layer.
    public init() {}

    public static func combine(_ inputs: [Variable]) throws -> Variable { try fold(inputs, +) }
}

// MARK: Saving

extension Add: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
