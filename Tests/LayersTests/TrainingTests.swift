import Testing
import Layers
import Tensor

@Suite("Training")
struct TrainingTests {
    func blobModel(seed: UInt64 = 3) -> Sequential {
        Sequential(seed: seed) {
            Input(shape: [2])
            Dense(units: 16, activation: .relu)
            Dense(units: 3, activation: .softmax)
        }
    }

    @Test("separable blobs reach high accuracy")
    func blobs() throws {
        let (x, labels) = SyntheticData.blobs(samples: 300, classes: 3, seed: 1)
        let model = blobModel()
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let history = try model.fit(x: x, y: Tensor.oneHot(labels, classes: 3), batchSize: 32, epochs: 20, verbose: .silent)
        #expect(history[.loss].count == 20)
        #expect(history[.loss].last! < history[.loss].first! / 4)
        #expect(history[.accuracy].last! > 0.97)
        let (testX, testLabels) = SyntheticData.blobs(samples: 150, classes: 3, seed: 1, noiseSeed: 99)
        let predicted = try model.predict(testX).argmax(alongAxis: -1)
        #expect(Float(zip(predicted, testLabels).filter { $0 == $1 }.count) / 150 > 0.97)
    }

    @Test("XOR needs the hidden layer and is learned")
    func xor() throws {
        let (x, y) = SyntheticData.xor(samples: 400, seed: 2)
        let model = Sequential(seed: 5) {
            Input(shape: [2])
            Dense(units: 16, activation: .tanh)
            Dense(units: 1, activation: .sigmoid)
        }
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .binaryCrossentropy, metrics: [.accuracy])
        try model.fit(x: x, y: y, batchSize: 16, epochs: 60, verbose: .silent)
        let result = try model.evaluate(x: x, y: y)
        #expect(result[.accuracy]! > 0.95, "\(result)")
    }

    @Test("a small CNN learns horizontal vs vertical bars")
    func convolutionalNetwork() throws {
        let (x, labels) = SyntheticData.bars(samples: 200, seed: 3)
        let model = Sequential(seed: 7) {
            Input(shape: [8, 8, 1])
            Conv2D(filters: 4, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Flatten()
            Dense(units: 2, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy, metrics: [.accuracy])
        let y = try Tensor(shape: [200], scalars: labels.map(Float.init))
        let history = try model.fit(x: x, y: y, batchSize: 20, epochs: 15, validationSplit: 0.2, verbose: .silent)
        #expect(history[.valAccuracy].last! >= 0.95, "\(history.history)")
    }

    @Test("one seed repeats a run exactly: initialisation, shuffling and dropout")
    func reproducibility() throws {
        let (x, labels) = SyntheticData.blobs(samples: 120, classes: 3, seed: 4)
        let y = try Tensor.oneHot(labels, classes: 3)
        func run(seed: UInt64) throws -> (History, [Tensor]) {
            let model = Sequential(seed: seed) {
                Input(shape: [2])
                Dense(units: 8, activation: .relu)
                Dropout(rate: 0.3)
                Dense(units: 3, activation: .softmax)
            }
            try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .categoricalCrossentropy, metrics: [.accuracy])
            let history = try model.fit(x: x, y: y, batchSize: 16, epochs: 3, validationSplit: 0.25, verbose: .silent)
            return (history, model.weights)
        }
        let (first, firstWeights) = try run(seed: 11)
        let (second, secondWeights) = try run(seed: 11)
        let (other, _) = try run(seed: 12)
        #expect(first.history == second.history)
        #expect(firstWeights == secondWeights)
        #expect(first.history[.loss] != other.history[.loss])
    }

    @Test("validationSplit holds out the last fraction, before shuffling")
    func validationSplitTakesTheLastSamples() throws {
        // The last 25% of the samples have targets the first 75% never show: a model fitted
        // on the first part cannot score well on them, so val_loss stays high.
        let x = try Tensor(shape: [40, 1], scalars: (0..<40).map { Float($0 % 10) / 10 })
        let y = try Tensor(shape: [40, 1], scalars: (0..<40).map { $0 < 30 ? 0 : 5 })
        let model = Sequential(seed: 1) { Input(shape: [1]); Dense(units: 1) }
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .meanSquaredError)
        let history = try model.fit(x: x, y: y, batchSize: 10, epochs: 30, validationSplit: 0.25, verbose: .silent)
        #expect(history[.loss].last! < 0.1)
        #expect(history[.valLoss].last! > 20)
    }

    @Test("the loss with L2 regularisation includes the penalty")
    func regularization() throws {
        let model = Sequential(seed: 1) {
            Input(shape: [2])
            Dense(units: 1, kernelInitializer: .ones, kernelRegularizer: .l2(0.5))
        }
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let x = try Tensor.zeros([4, 2])
        let y = try Tensor.zeros([4, 1])
        // Prediction 0 = target, so the loss is only 0.5 · (1² + 1²) = 1, and the kernel
        // gradient 2 · 0.5 · w = w moves each weight to 1 − 0.1 · 1 = 0.9.
        let logs = try model.trainOnBatch(x: x, y: y)
        #expect(abs(logs[.loss]! - 1) < 1e-6)
        #expect(model.weights[0].scalars.allSatisfy { abs($0 - 0.9) < 1e-6 })
    }

    @Test("predict works before compile and in batches")
    func predictInBatches() throws {
        let model = blobModel()
        let x = randomTensor([37, 2], seed: 5)
        let all = try model.predict(x, batchSize: 100)
        let batched = try model.predict(x, batchSize: 8)
        #expect(all.shape == [37, 3])
        #expect(relativeError(all, batched) < 1e-6)
    }
}
