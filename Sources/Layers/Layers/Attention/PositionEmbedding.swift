import Tensor

/// A learned embedding of each step's position, as KerasHub's `PositionEmbedding`: called on
/// sequences `[steps, features]` (`steps` at most `sequenceLength`), it returns rows
/// `0..<steps` of its trained table `embeddings` `[sequenceLength, features]`, the same for
/// every sample, to be added to the sequence (the input gives only the shape):
///
/// ```swift
/// let patches = Input(shape: [16, 64])
/// let tokens = try Add()(patches, try PositionEmbedding(sequenceLength: 16)(patches))
/// ```
public struct PositionEmbedding: Layer {
    public var name = ""
    /// The longest sequence the table covers.
    public let sequenceLength: Int
    /// How the table starts (KerasHub's default: Glorot uniform).
    public let initializer: Initializer
    /// The table `[sequenceLength, features]`.
    public var embeddings = Parameter(name: "embeddings")

    private var check = HyperparameterCheck("PositionEmbedding")
    private var inputShape: [Int] = []

    /// Position embeddings for sequences of up to `sequenceLength` steps.
    public init(sequenceLength: Int, initializer: Initializer = .glorotUniform) {
        self.sequenceLength = sequenceLength
        self.initializer = initializer
        check.require(sequenceLength > 0, "sequenceLength", sequenceLength, "expected a positive integer")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShape.count == 2, (1...sequenceLength).contains(inputShape[0]), inputShape[1] > 0 else {
            throw incompatibleInput(name, expected: "(None, steps, features) with at most \(sequenceLength) steps",
                                    received: inputShape)
        }
        embeddings.value = try initializer.makeTensor([sequenceLength, inputShape[1]], using: &context.generator)
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        inputShape = input.shape
        return try wrappingTensorErrors {
            try embeddings.value.slice([0..<input.shape[1]]).broadcast(to: input.shape)
        }
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try wrappingTensorErrors {
            // The table's used rows get the sum over the batch; the input only gave the shape.
            var gradient = try Tensor.zeros(embeddings.value.shape)
            try gradient.write(try outputGradient.sum(alongAxis: 0), at: [0])
            embeddings.gradient = gradient
            return try Tensor.zeros(inputShape)
        }
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&embeddings)
    }
}

// MARK: Saving

extension PositionEmbedding: SerializableLayer {
    public struct Configuration: Codable {
        var sequenceLength: Int
        var initializer: Initializer
    }
    public var configuration: Configuration { Configuration(sequenceLength: sequenceLength, initializer: initializer) }
    public init(configuration c: Configuration) { self.init(sequenceLength: c.sequenceLength, initializer: c.initializer) }
}
