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

    /// How many epochs `mnist train` runs when `--epochs` is not given.
    var defaultEpochs: Int {
        switch self {
        case .reference: 15
        case .best: 30
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
    func makeModel(seed: UInt64, augment: Bool) -> Sequential {
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
        }
    }
}
