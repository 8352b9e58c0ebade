import Tensor

/// The first input minus the second (Keras's `Subtract`): exactly two inputs.
public struct Subtract: ElementwiseMerge {
    public var name = ""

    /// A `Subtract` layer.
    public init() {}

    public static var inputCounts: ClosedRange<Int> { 2...2 }
    public static func combine(_ inputs: [Variable]) throws -> Variable { try inputs[0] - inputs[1] }
}

// MARK: Saving

extension Subtract: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
