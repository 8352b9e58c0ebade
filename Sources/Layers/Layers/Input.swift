import Tensor

/// Declares the shape of one input sample (without the batch axis), as the first element
/// of a ``Sequential``: `Input(shape: [28, 28, 1])`.
public struct Input: Layer {
    public var name = "input"
    /// The shape of one sample.
    public let shape: [Int]
    private var check = HyperparameterCheck("Input")

    /// An input of samples shaped `shape` (for images: `[height, width, channels]`).
    public init(shape: [Int]) {
        self.shape = shape
        check.require(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "shape", shape, "expected positive dimensions")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShape == shape else {
            throw incompatibleInput(name, expected: "\(shape)", received: inputShape)
        }
        return shape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { input }
    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient }
}
