import Tensor

/// The element-wise minimum of its inputs (Keras's `Minimum`); on a tie the gradient goes to the first.
public struct Minimum: ElementwiseMerge {
    public var name = ""

    /// A `Minimum` layer.
    public init() {}

    public static func combine(_ inputs: [Variable]) throws -> Variable { try fold(inputs, Variable.minimum) }
}

// MARK: Saving

extension Minimum: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
