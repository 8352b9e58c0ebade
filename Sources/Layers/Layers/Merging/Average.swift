import Tensor

/// The element-wise mean of its inputs (Keras's `Average`).
public struct Average: ElementwiseMerge {
    public var name = ""

    /// A `Average` layer.
    public init() {}

    public static func combine(_ inputs: [Variable]) throws -> Variable { try fold(inputs, +) / Float(inputs.count) }
}

// MARK: Saving

extension Average: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
