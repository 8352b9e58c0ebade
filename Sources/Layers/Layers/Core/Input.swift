import Tensor

/// Declares the shape of one input sample (without the batch axis), as the first element
/// of a ``Sequential``: `Input(shape: [28, 28, 1])`.
///
/// In a functional ``Model`` it is the model's input: layers are called on it, and
/// `Model(inputs:outputs:)` names it. An `Input` and its copies are one input.
public struct Input: Layer {
    public var name = "input"
    /// The shape of one sample.
    public let shape: [Int]
    private var check = HyperparameterCheck("Input")
    /// Shared by the copies: every use of this value in a functional model is one input.
    let identity = Identity()

    /// An input of samples shaped `shape` (for images: `[height, width, channels]`), named
    /// `name` (a model of several inputs numbers inputs of one name: `input`, `input_1`).
    public init(shape: [Int], name: String = "input") {
        self.shape = shape
        self.name = name
        let count = shape.reduce((value: 1, overflow: false)) { partial, dimension in
            let (product, overflow) = partial.value.multipliedReportingOverflow(by: Swift.max(dimension, 1))
            return (product, partial.overflow || overflow)
        }
        check.require(!shape.isEmpty && shape.allSatisfy { $0 > 0 } && !count.overflow && count.value <= Int(Int32.max),
                      "shape", shape, "expected positive dimensions and at most 2³¹ elements per sample")
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

// MARK: Saving

extension Input: SerializableLayer {
    public struct Configuration: Codable { var shape: [Int] }
    public var configuration: Configuration { Configuration(shape: shape) }
    public init(configuration: Configuration) { self.init(shape: configuration.shape) }
}
