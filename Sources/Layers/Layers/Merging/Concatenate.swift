import Tensor

/// Its inputs joined along one axis (Keras's `Concatenate`); every other axis must agree.
public struct Concatenate: MergeLayer {
    public var name = ""
    /// The axis to join along, counting the batch axis as 0 as Keras does: -1 (the default)
    /// is the last (channels of NHWC images, features of vectors); 0 is refused.
    public let axis: Int

    private var check = HyperparameterCheck("Concatenate")

    /// Joins along `axis` (Keras's default, -1: the last axis).
    public init(axis: Int = -1) {
        self.axis = axis
        check.require(axis != 0, "axis", axis, "expected an axis of the samples, not the batch axis 0")
    }

    public mutating func build(inputShapes: [[Int]], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShapes.count >= 2 else {
            throw LayersError.incompatibleInput(layer: name, expected: "at least 2 inputs", received: [inputShapes.count], hint: nil)
        }
        let rank = inputShapes[0].count
        let sampleAxis = axis < 0 ? axis + rank : axis - 1
        guard sampleAxis >= 0, sampleAxis < rank else {
            throw LayersError.invalidArgument(
                layer: name, argument: "axis", value: "\(axis)",
                reason: "expected an axis of the samples, 1...\(rank) or -\(rank)...-1 (0 is the batch axis)")
        }
        var joined = inputShapes[0]
        joined[sampleAxis] = 0
        for shape in inputShapes {
            var other = shape
            if other.count == rank { other[sampleAxis] = 0 }
            guard other == joined.enumerated().map({ $0.offset == sampleAxis ? 0 : $0.element }) else {
                throw LayersError.incompatibleInput(
                    layer: name, expected: "shapes that agree on every axis but \(axis), as (None, "
                        + inputShapes[0].map(String.init).joined(separator: ", ") + ")",
                    received: shape, hint: nil)
            }
            joined[sampleAxis] += shape[sampleAxis]
        }
        return joined
    }

    public mutating func call(_ inputs: [Variable], context: inout ForwardContext) throws -> Variable {
        try Variable.concatenate(inputs, alongAxis: axis)
    }
}

// MARK: Saving

extension Concatenate: SerializableLayer {
    public struct Configuration: Codable, Sendable { var axis: Int }
    public var configuration: Configuration { Configuration(axis: axis) }
    public init(configuration: Configuration) { self.init(axis: configuration.axis) }
}
