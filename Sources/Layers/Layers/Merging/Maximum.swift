import Tensor

/// The element-wise maximum of its inputs (Keras's `Maximum`); on a tie the gradient goes to the first.
public struct Maximum: ElementwiseMerge {
    public var name = ""

    /// A `Maximum` layer.
    public init() {}

    public static func combine(_ inputs: [Variable]) throws -> Variable { try fold(inputs, Variable.maximum) }
}

// MARK: Saving

extension Maximum: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
