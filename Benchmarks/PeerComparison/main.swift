// A model in SwiftLayers, measured exactly as Peers/keras_peer.py measures Keras: p50 of
// 40 training steps and predictions on one batch of 128 after 5 warm-up runs, and one
// epoch of fit on MNIST (validationSplit 0.1) when MNIST_DIR is set.
// Usage: PeerComparison [reference|augmented|batchnorm]; `augmented` is the reference CNN
// behind `mnist train`'s default augmentation (no Keras counterpart: for the epoch-time
// cost of augmentation).
import Datasets
import Foundation
import Layers
import Tensor

/// The reference CNN.
func reference() -> [any Layer] {
    [
        Conv2D(filters: 32, kernelSize: 3, activation: .relu),
        MaxPooling2D(poolSize: 2),
        Conv2D(filters: 64, kernelSize: 3, activation: .relu),
        MaxPooling2D(poolSize: 2),
        Flatten(),
        Dropout(rate: 0.5),
        Dense(units: 10, activation: .softmax),
    ]
}

/// The reference CNN behind `mnist train`'s default augmentation.
func augmented() -> [any Layer] {
    [RandomRotation(0.05), RandomTranslation(height: 0.08, width: 0.08)] + reference()
}

/// `mnist train --recipe best` without its augmentation layers.
func batchnorm() -> [any Layer] {
    var stack: [any Layer] = []
    for filters in [32, 64] {
        for (size, strides, padding) in [(3, 1, Padding.valid), (3, 1, .valid), (5, 2, .same)] {
            stack += [Conv2D(filters: filters, kernelSize: Size2D(size, size), strides: Size2D(strides, strides), padding: padding, useBias: false),
                      BatchNormalization(), ReLU()]
        }
        stack.append(Dropout(rate: 0.4))
    }
    return stack + [Flatten(), Dense(units: 128, useBias: false), BatchNormalization(), ReLU(), Dropout(rate: 0.4),
                    Dense(units: 10, activation: .softmax)]
}

let models = ["reference": reference, "augmented": augmented, "batchnorm": batchnorm]
let name = CommandLine.arguments.dropFirst().first ?? "reference"
guard let layers = models[name] else {
    FileHandle.standardError.write(Data("unknown model '\(name)'; expected one of \(models.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}

func model() throws -> Sequential {
    let model = Sequential([Input(shape: [28, 28, 1])] + layers(), seed: 1)
    try model.compile(optimizer: Adam(learningRate: 1e-3), loss: .categoricalCrossentropy, metrics: [.accuracy])
    return model
}

func p50(_ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<5 { try body() }
    var times: [Double] = []
    for _ in 0..<40 {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15)
    }
    return times.sorted()[times.count / 2]
}

var generator = RandomGenerator(seed: 2)
let x = try Tensor.uniform([128, 28, 28, 1], using: &generator)
let y = try Tensor.oneHot((0..<128).map { $0 % 10 }, classes: 10)
let network = try model()
let train = try p50 { try network.trainOnBatch(x: x, y: y) }
let predict = try p50 { _ = try network.predict(x, batchSize: 128) }

var epoch = Double.nan
if let folder = ProcessInfo.processInfo.environment["MNIST_DIR"] {
    let mnist = try MNIST.load(from: URL(fileURLWithPath: folder))
    let fresh = try model()
    let start = Date()
    try fresh.fit(x: mnist.train.images, y: mnist.train.oneHotLabels, batchSize: 128, epochs: 1, validationSplit: 0.1, verbose: .silent)
    epoch = Date().timeIntervalSince(start)
}
print(String(format: "swift-layers (OpenBLAS) \(name): train_step_ms=%.2f predict_ms=%.2f epoch_s=%.2f", train, predict, epoch))
