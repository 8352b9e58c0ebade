import Layers

/// The models `mnist train` can build.
enum Recipe: String, CaseIterable, Sendable {
    /// The reference CNN of the README: two convolutions, dropout, softmax; 34,826 weights.
    case reference
    /// The most accurate model: six convolutions in two stages, each followed by batch
    /// normalisation, a strided 5x5 convolution instead of pooling, dropout between stages,
    /// and stronger augmentation (rotation, shift and zoom). About 6x the reference's
    /// computation per image.
    case best
    /// A small residual network built with the functional API: a stem, two stride-2
    /// convolutions between three residual blocks (each two 3x3 convolutions with batch
    /// normalisation, added to the block's input), global average pooling; the best recipe's
    /// augmentation.
    case resnet
    /// A recurrent network: each image as a sequence of its 28 rows, read in both directions
    /// by two stacked bidirectional LSTMs of 64 units; the reference's augmentation.
    case lstm
    /// A vision transformer: 4x4 patches embedded by a strided convolution into 49 tokens of
    /// 64 features, a learned position embedding, four pre-norm encoder blocks (multi-head
    /// self-attention and a GELU MLP, each added to its input), then average pooling over the
    /// tokens; the reference's augmentation.
    case vit

    /// How many epochs `mnist train` runs when `--epochs` is not given.
    var defaultEpochs: Int {
        switch self {
        case .reference: 15
        case .best: 30
        case .resnet: 20
        case .lstm: 15
        case .vit: 30
        }
    }

    /// The name of the models this recipe makes, so that a saved model tells its recipe.
    var modelName: String { "mnist_\(rawValue)" }

    /// The recipe of a model this command made, from the model's name.
    init?(modelName: String) {
        guard modelName.hasPrefix("mnist_") else { return nil }
        self.init(rawValue: String(modelName.dropFirst("mnist_".count)))
    }

    /// The model, with the augmentation layers in front when `augment` is true.
    func makeModel(seed: UInt64, augment: Bool) throws -> Model {
        switch self {
        case .reference:
            Sequential(seed: seed, name: modelName) {
                Input(shape: [28, 28, 1])
                if augment {
                    RandomRotation(0.05)
                    RandomTranslation(height: 0.08, width: 0.08)
                }
                Conv2D(filters: 32, kernelSize: 3, activation: .relu)
                MaxPooling2D(poolSize: 2)
                Conv2D(filters: 64, kernelSize: 3, activation: .relu)
                MaxPooling2D(poolSize: 2)
                Flatten()
                Dropout(rate: 0.5)
                Dense(units: 10, activation: .softmax)
            }
        case .best:
            Sequential(seed: seed, name: modelName) {
                Input(shape: [28, 28, 1])
                if augment {
                    RandomRotation(0.03)
                    RandomZoom(heightFactor: 0.1)
                    RandomTranslation(height: 0.1, width: 0.1)
                }
                // Batch normalisation's shift makes a convolution's bias redundant.
                for filters in [32, 64] {
                    Conv2D(filters: filters, kernelSize: 3, useBias: false)
                    BatchNormalization()
                    ReLU()
                    Conv2D(filters: filters, kernelSize: 3, useBias: false)
                    BatchNormalization()
                    ReLU()
                    Conv2D(filters: filters, kernelSize: 5, strides: 2, padding: .same, useBias: false)
                    BatchNormalization()
                    ReLU()
                    Dropout(rate: 0.4)
                }
                Flatten()
                Dense(units: 128, useBias: false)
                BatchNormalization()
                ReLU()
                Dropout(rate: 0.4)
                Dense(units: 10, activation: .softmax)
            }
        case .resnet:
            try residualNetwork(seed: seed, augment: augment)
        case .lstm:
            Sequential(seed: seed, name: modelName) {
                Input(shape: [28, 28, 1])
                if augment {
                    RandomRotation(0.05)
                    RandomTranslation(height: 0.08, width: 0.08)
                }
                Reshape([28, 28])  // 28 steps of 28 pixels
                Bidirectional(LSTM(units: 64, returnSequences: true))
                Bidirectional(LSTM(units: 64))
                Dense(units: 10, activation: .softmax)
            }
        case .vit:
            try visionTransformer(seed: seed, augment: augment)
        }
    }

    /// The `vit` recipe: 28x28 → 7x7 patches of 4x4 pixels → 49 tokens of 64 features.
    private func visionTransformer(seed: UInt64, augment: Bool) throws -> Model {
        let (tokens, features) = (49, 64)
        let input = Input(shape: [28, 28, 1])
        var x = input.symbolic
        if augment {
            x = try RandomRotation(0.05)(x)
            x = try RandomTranslation(height: 0.08, width: 0.08)(x)
        }
        x = try Conv2D(filters: features, kernelSize: 4, strides: 4)(x)  // one token per 4x4 patch
        x = try Reshape([tokens, features])(x)
        x = try Add()(x, try PositionEmbedding(sequenceLength: tokens)(x))
        for _ in 0..<4 {
            let normalized = try LayerNormalization()(x)
            // No dropout: a first run with 0.1 in the attention and the MLP underfitted (98.68 %).
            x = try Add()(x, try MultiHeadAttention(heads: 4, keyDim: features / 4)(normalized, normalized))
            let hidden = try Dense(units: 2 * features, activation: .gelu())(try LayerNormalization()(x))
            x = try Add()(x, try Dense(units: features)(hidden))
        }
        x = try GlobalAveragePooling1D()(try LayerNormalization()(x))
        return try Model(inputs: input, outputs: try Dense(units: 10, activation: .softmax)(x), name: modelName, seed: seed)
    }

    /// The `resnet` recipe: 28x28 → 14x14 (32 channels) → 7x7 (64 channels), one residual
    /// block at 14x14 and two at 7x7.
    private func residualNetwork(seed: UInt64, augment: Bool) throws -> Model {
        /// Convolution without bias (batch normalisation's shift replaces it), batch
        /// normalisation, then ReLU unless the block adds its shortcut first.
        func convolution(_ x: SymbolicTensor, _ filters: Int, strides: Int = 1, relu: Bool = true) throws -> SymbolicTensor {
            let y = try BatchNormalization()(
                try Conv2D(filters: filters, kernelSize: 3, strides: Size2D(strides, strides), padding: .same, useBias: false)(x))
            return relu ? try ReLU()(y) : y
        }
        func residualBlock(_ x: SymbolicTensor, _ filters: Int) throws -> SymbolicTensor {
            let y = try convolution(try convolution(x, filters), filters, relu: false)
            return try ReLU()(try Add()(x, y))
        }
        let input = Input(shape: [28, 28, 1])
        var x = input.symbolic
        if augment {
            x = try RandomRotation(0.03)(x)
            x = try RandomZoom(heightFactor: 0.1)(x)
            x = try RandomTranslation(height: 0.1, width: 0.1)(x)
        }
        x = try convolution(x, 32)
        x = try convolution(x, 32, strides: 2)
        x = try residualBlock(x, 32)
        x = try convolution(x, 64, strides: 2)
        x = try residualBlock(x, 64)
        x = try residualBlock(x, 64)
        x = try Dropout(rate: 0.3)(try GlobalAveragePooling2D()(x))
        return try Model(inputs: input, outputs: try Dense(units: 10, activation: .softmax)(x), name: modelName, seed: seed)
    }
}
