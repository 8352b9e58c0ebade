import Foundation
import Testing
import Layers
import Tensor

@Suite("Sample and class weights")
struct SampleWeightTests {
    @Test("a weighted loss is Σ wᵢ·lᵢ / N, each sample's gradient scaled by its weight",
          arguments: [Loss.categoricalCrossentropy, .categoricalCrossentropy(fromLogits: true), .binaryCrossentropy,
                      .meanSquaredError, .meanAbsoluteError, .huber(delta: 0.2), .cosineSimilarity])
    func weightedLoss(_ loss: Loss) throws {
        let p = randomTensor([4, 3], seed: 1).map { abs($0) * 0.8 + 0.1 }
        let y = loss.kind == .categoricalCrossentropy ? try Tensor.oneHot([0, 2, 1, 2], classes: 3)
            : randomTensor([4, 3], seed: 2).map { abs($0) }
        let weights = try Tensor(shape: [4], scalars: [1, 0, 2.5, 0.5])
        let (value, gradient) = try loss.compute(prediction: p, target: y, sampleWeights: weights)
        // Each sample's loss from the unweighted loss of that sample alone.
        let expected = try (0..<4).reduce(0.0) { total, row in
            total + Double(weights.scalars[row]) * Double(try loss.compute(
                prediction: p.slice(batch: row..<(row + 1)), target: y.slice(batch: row..<(row + 1))).value)
        } / 4
        #expect(abs(Double(value) - expected) < 1e-5, "\(loss.name): \(value) against \(expected)")
        let numeric = numericGradient(of: { Double(try! loss.compute(prediction: $0, target: y, sampleWeights: weights).value) },
                                      at: p, step: 1e-3)
        #expect(relativeError(gradient, numeric) < 1e-2, "\(loss.name)")
        #expect(try gradient.slice(batch: 1..<2).scalars.allSatisfy { $0 == 0 }, "a weight of 0 gives no gradient")
    }

    /// Dense layers only: a sample with weight 0 adds exact zeros to every gradient sum.
    static func model() throws -> Sequential {
        let model = Sequential(seed: 8) { Input(shape: [2]); Dense(units: 8, activation: .tanh); Dense(units: 3, activation: .softmax) }
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: .categoricalCrossentropy, metrics: [.accuracy])
        return model
    }

    @Test("weights of 2 double every gradient: training equals training at twice the learning rate, bit for bit")
    func doubledWeights() throws {
        let (x, labels) = SyntheticData.blobs(samples: 48, classes: 3, seed: 5)
        let y = try Tensor.oneHot(labels, classes: 3)
        let weighted = try Self.model()
        try weighted.fit(x: x, y: y, batchSize: 16, epochs: 3, sampleWeight: try Tensor(shape: [48], repeating: 2), verbose: .silent)
        let faster = Sequential(seed: 8) { Input(shape: [2]); Dense(units: 8, activation: .tanh); Dense(units: 3, activation: .softmax) }
        try faster.compile(optimizer: SGD(learningRate: 0.2), loss: .categoricalCrossentropy)
        try faster.fit(x: x, y: y, batchSize: 16, epochs: 3, verbose: .silent)
        #expect(weighted.weights == faster.weights)
    }

    @Test("a class weighted 0 has no effect: its samples' inputs can be anything")
    func zeroClassWeight() throws {
        let (x, labels) = SyntheticData.blobs(samples: 48, classes: 3, seed: 5)
        let y = try Tensor.oneHot(labels, classes: 3)
        var noisy = x
        noisy.withUnsafeMutableBufferPointer { buffer in
            for (sample, label) in labels.enumerated() where label == 0 { buffer[2 * sample] += 7; buffer[2 * sample + 1] -= 3 }
        }
        var results: [[Tensor]] = []
        for inputs in [x, noisy] {
            let model = try Self.model()
            try model.fit(x: inputs, y: y, batchSize: 16, epochs: 3, classWeight: [0: 0], verbose: .silent)
            results.append(model.weights)
        }
        #expect(results[0] == results[1])
        // With the class weighted as the others, the changed inputs change the weights.
        let plain = try Self.model()
        try plain.fit(x: noisy, y: y, batchSize: 16, epochs: 3, verbose: .silent)
        #expect(plain.weights != results[1])
        // Sparse labels through a data source weigh the same classes the same way.
        let sparse = Sequential(seed: 8) { Input(shape: [2]); Dense(units: 8, activation: .tanh); Dense(units: 3, activation: .softmax) }
        try sparse.compile(optimizer: SGD(learningRate: 0.1), loss: .sparseCategoricalCrossentropy)
        let indices = try Tensor(shape: [48], scalars: labels.map(Float.init))
        try sparse.fit(TensorSamples(x: x, y: indices), batchSize: 16, epochs: 3, classWeight: [0: 0], verbose: .silent)
        #expect(zip(sparse.weights, results[0]).allSatisfy { relativeError($0, $1) < 1e-6 })
    }

    @Test("bad weights are refused before training, saying what was expected")
    func badWeights() throws {
        let model = try Self.model()
        let (x, labels) = SyntheticData.blobs(samples: 6, classes: 3, seed: 5)
        let y = try Tensor.oneHot(labels, classes: 3)
        let before = model.weights
        #expect { try model.fit(x: x, y: y, sampleWeight: try Tensor.ones([5]), verbose: .silent) } throws: {
            "\($0)".contains("expected sampleWeight of shape [6]")
        }
        #expect { try model.fit(x: x, y: y, sampleWeight: try Tensor(shape: [6], scalars: [1, 1, -1, 1, 1, 1]), verbose: .silent) } throws: {
            "\($0)".contains("sampleWeight[2] is -1.0")
        }
        #expect { try model.fit(x: x, y: y, classWeight: [1: .nan], verbose: .silent) } throws: { "\($0)".contains("classWeight[1]") }
        let regression = Sequential(seed: 1) { Input(shape: [2]); Dense(units: 1) }
        try regression.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect { try regression.fit(x: x, y: try Tensor.ones([6, 1]), classWeight: [0: 2], verbose: .silent) } throws: {
            "\($0)".contains("classWeight needs a loss over classes")
        }
        #expect(model.weights == before, "nothing trained")
    }
}
