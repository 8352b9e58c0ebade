import Testing
import Datasets
import Layers
import Tensor

@Suite("End to end on real MNIST", .serialized)
struct MNISTTrainingTests {
    @Test("the reference CNN trained briefly on 3,000 real digits classifies held-out digits well",
          .enabled(if: MNISTTests.realFolder != nil, "MNIST is not available (set MNIST_DIR to a folder with the four IDX files)"))
    func trainsOnRealDigits() throws {
        let mnist = try MNIST.load(from: try #require(MNISTTests.realFolder))
        let x = try mnist.train.images.slice(batch: 0..<3000)
        let y = try mnist.train.oneHotLabels.slice(batch: 0..<3000)
        let model = Sequential(seed: 7) {
            Input(shape: [28, 28, 1])
            Conv2D(filters: 16, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Conv2D(filters: 32, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Flatten()
            Dense(units: 10, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 2e-3), loss: .categoricalCrossentropy, metrics: [.accuracy])
        try model.fit(x: x, y: y, batchSize: 64, epochs: 2, verbose: .silent)
        let testX = try mnist.test.images.slice(batch: 0..<1000)
        let testY = try mnist.test.oneHotLabels.slice(batch: 0..<1000)
        let result = try model.evaluate(x: testX, y: testY, batchSize: 250)
        // 2 epochs on 5% of the data: a working pipeline gets well above 90%; chance is 10%.
        #expect(result[.accuracy]! > 0.9, "\(result)")
    }
}
