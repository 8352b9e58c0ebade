import Layers

/// The reference CNN of the issues: 28x28x1 → Conv2D 32 3x3 ReLU → MaxPool 2 →
/// Conv2D 64 3x3 ReLU → MaxPool 2 → Flatten → Dropout 0.5 → Dense 10 softmax,
/// optionally with a rotation augmentation in front.
func referenceCNN(seed: UInt64 = 1, augmentation: Bool = false) -> Sequential {
    Sequential(seed: seed) {
        Input(shape: [28, 28, 1])
        if augmentation { RandomRotation(0.05) }
        Conv2D(filters: 32, kernelSize: 3, activation: .relu)
        MaxPooling2D(poolSize: 2)
        Conv2D(filters: 64, kernelSize: 3, activation: .relu)
        MaxPooling2D(poolSize: 2)
        Flatten()
        Dropout(rate: 0.5)
        Dense(units: 10, activation: .softmax)
    }
}
