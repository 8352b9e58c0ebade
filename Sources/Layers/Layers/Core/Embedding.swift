import Tensor

/// Turns integer indices into vectors: row `i` of the trained table `embeddings`
/// (`[inputDim, outputDim]`) for each index `i`, as Keras's `Embedding`. Samples of indices
/// `[steps]` become `[steps, outputDim]`; any sample shape works and gains a last axis.
///
/// The indices come as the scalars of the input tensor and must be whole numbers in
/// `0..<inputDim`; anything else (2.5, −1, `inputDim`) is an error naming the index and
/// its position (NaN is refused before, by the model). Indices get no gradient. Rows named several times in a batch get the sum
/// of their gradients.
///
/// ```swift
/// // Words of a 10,000-word vocabulary, 20 per sample, as 64-dimensional vectors.
/// let model = Sequential { Input(shape: [20]); Embedding(inputDim: 10_000, outputDim: 64); Flatten(); Dense(units: 1) }
/// ```
public struct Embedding: Layer {
    public var name = ""
    /// The number of distinct indices (the vocabulary size).
    public let inputDim: Int
    /// The length of each vector.
    public let outputDim: Int
    /// How the table starts (Keras's default: uniform in ±0.05).
    public let embeddingsInitializer: Initializer
    /// Whether index 0 is padding: the output then carries a mask (see ``MaskingLayer``) that
    /// is 0 where the index is 0, which the recurrent layers, attention and the 1-D global
    /// poolings after it respect, as Keras's `mask_zero`. Index 0 still has a row of the table.
    public let maskZero: Bool
    /// The table `[inputDim, outputDim]`.
    public var embeddings: Parameter

    private var check = HyperparameterCheck("Embedding")
    private var indices: [Int] = []

    /// An embedding of `inputDim` indices into vectors of `outputDim`.
    public init(
        inputDim: Int, outputDim: Int, embeddingsInitializer: Initializer = .randomUniform(),
        embeddingsRegularizer: Regularizer? = nil, maskZero: Bool = false
    ) {
        self.inputDim = inputDim
        self.maskZero = maskZero
        self.outputDim = outputDim
        self.embeddingsInitializer = embeddingsInitializer
        embeddings = Parameter(name: "embeddings", regularizer: embeddingsRegularizer)
        check.require(inputDim > 0 && inputDim <= 1 << 24, "inputDim", inputDim,
                      "expected a positive count up to 2^24 (indices travel as Float)")
        check.require(outputDim > 0, "outputDim", outputDim, "expected a positive integer")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        embeddings.value = try embeddingsInitializer.makeTensor([inputDim, outputDim], using: &context.generator)
        return inputShape + [outputDim]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        indices.removeAll(keepingCapacity: true)
        for (position, value) in input.scalars.enumerated() {
            guard value >= 0, value < Float(inputDim), value.rounded(.towardZero) == value else {
                throw LayersError.invalidData(
                    "\(name): expected whole-number indices in 0..<\(inputDim), found \(value) at position \(position) "
                        + "of an input of shape \(input.shape)")
            }
            indices.append(Int(value))
        }
        return try wrappingTensorErrors {
            try embeddings.value.gathering(rows: indices, indexShape: input.shape)
        }
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try wrappingTensorErrors {
            embeddings.gradient = try outputGradient.scatteringRows(indices, into: [inputDim, outputDim])
            // Indices are not differentiable: a layer before this one gets zeros.
            return try Tensor.zeros(Array(outputGradient.shape.dropLast()))
        }
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&embeddings)
    }
}

// MARK: Saving

extension Embedding: SerializableLayer {
    public struct Configuration: Codable {
        var inputDim, outputDim: Int
        var embeddingsInitializer: Initializer
        var embeddingsRegularizer: Regularizer?
        /// Absent (false) in files of earlier versions.
        var maskZero: Bool?
    }
    public var configuration: Configuration {
        Configuration(inputDim: inputDim, outputDim: outputDim, embeddingsInitializer: embeddingsInitializer,
                      embeddingsRegularizer: embeddings.regularizer, maskZero: maskZero ? true : nil)
    }
    public init(configuration c: Configuration) {
        self.init(inputDim: c.inputDim, outputDim: c.outputDim, embeddingsInitializer: c.embeddingsInitializer,
                  embeddingsRegularizer: c.embeddingsRegularizer, maskZero: c.maskZero ?? false)
    }
}

extension Embedding: MaskingLayer {
    /// With `maskZero`, 1 where the index is not 0 (the input's shape); nil otherwise.
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? {
        maskZero ? inputs[0].map { $0 == 0 ? 0 : 1 } : nil
    }
}
