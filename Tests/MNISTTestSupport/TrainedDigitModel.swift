import Datasets
import Foundation
import Layers
import Tensor

/// A small network trained on real MNIST once per test process, for tests that need a model
/// that reads digits (photos, the server, the browser page). A perceptron, not a CNN: the tests
/// run in debug builds, where dense layers (all BLAS) train in seconds and convolutions do not.
public enum TrainedDigitModel {
    /// The MNIST folder (`MNIST_DIR`, then the cache), if it holds the data.
    public static let mnistFolder = try? MNIST.locate()

    nonisolated(unsafe) private static var cached: (model: Sequential, mnist: MNIST)?
    private static let lock = NSLock()

    /// The trained model and the data set it was trained on.
    public static func shared() throws -> (model: Sequential, mnist: MNIST) {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        guard let folder = mnistFolder else { throw DatasetError.missingFile(folder: "MNIST_DIR", expected: ["MNIST"]) }
        let mnist = try MNIST.load(from: folder)
        let model = Sequential(seed: 11) {
            Input(shape: [28, 28, 1])
            Flatten()
            Dense(units: 256, activation: .relu)
            Dense(units: 10, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 2e-3), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let count = 30_000
        try model.fit(x: try mnist.train.images.slice(batch: 0..<count), y: try mnist.train.oneHotLabels.slice(batch: 0..<count),
                      batchSize: 128, epochs: 3, verbose: .silent)
        cached = (model, mnist)
        return (model, mnist)
    }
}
