import Layers

/// The models `mnist train` can build.
enum Recipe: String, CaseIterable, Sendable {
    /// The reference CNN of the README: two convolutions, dropout, softmax; 34,826 weights.
    case reference

    /// The model, with the augmentation layers in front when `augment` is true.
    func makeModel(seed: UInt64, augment: Bool) -> Sequential {
        switch self {
        case .reference:
            Sequential(seed: seed) {
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
        }
    }
}
