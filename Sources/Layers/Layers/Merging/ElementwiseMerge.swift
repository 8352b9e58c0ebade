import Tensor

/// A merge layer that combines inputs of one shape element by element (Keras's `_Merge`):
/// the shape check is shared, and each layer says only how it combines.
public protocol ElementwiseMerge: MergeLayer {
    /// How many inputs it takes: at least 2, and exactly 2 for ``Subtract``.
    static var inputCounts: ClosedRange<Int> { get }
    /// The combination of a batch of each input, all of one shape.
    static func combine(_ inputs: [Variable]) throws -> Variable
}

extension ElementwiseMerge {
    public static var inputCounts: ClosedRange<Int> { 2...Int.max }

    public mutating func build(inputShapes: [[Int]], context: inout BuildContext) throws -> [Int] {
        guard Self.inputCounts.contains(inputShapes.count) else {
            throw LayersError.incompatibleInput(
                layer: name, expected: Self.inputCounts.upperBound == Self.inputCounts.lowerBound
                    ? "exactly \(Self.inputCounts.lowerBound) inputs" : "at least \(Self.inputCounts.lowerBound) inputs",
                received: [inputShapes.count], hint: "the list has \(inputShapes.count)")
        }
        for shape in inputShapes.dropFirst() where shape != inputShapes[0] {
            throw LayersError.incompatibleInput(
                layer: name, expected: "inputs of one shape (None, \(inputShapes[0].map(String.init).joined(separator: ", ")))",
                received: shape, hint: "every input of \(Self.self) must have the same shape; add a Dense or Reshape to match them")
        }
        return inputShapes[0]
    }

    public mutating func call(_ inputs: [Variable], context: inout ForwardContext) throws -> Variable {
        try Self.combine(inputs)
    }
}

/// Folds `inputs` pairwise with `combine`, left to right.
func fold(_ inputs: [Variable], _ combine: (Variable, Variable) throws -> Variable) throws -> Variable {
    try inputs.dropFirst().reduce(inputs[0], combine)
}
