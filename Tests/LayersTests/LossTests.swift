import Foundation
import Testing
import Layers
import Tensor

@Suite("Losses against closed forms")
struct LossTests {
    let p = try! Tensor(shape: [2, 3], scalars: [0.7, 0.2, 0.1, 0.1, 0.3, 0.6])
    let y = try! Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 0, 1])

    @Test func categoricalCrossentropy() throws {
        let (value, gradient) = try Loss.categoricalCrossentropy.compute(prediction: p, target: y)
        #expect(abs(value - -(log(0.7) + log(0.6)) / 2) < 1e-6)
        // d/dp of −Σ y log p / N = −y / (p N)
        #expect(relativeError(gradient, try Tensor(shape: [2, 3], scalars: [-1 / 1.4, 0, 0, 0, 0, -1 / 1.2])) < 1e-5)
        let fused = try Loss.categoricalCrossentropy.compute(prediction: p, target: y, fused: true)
        #expect(fused.value == value)
        #expect(relativeError(fused.gradient, try (p - y) / 2) < 1e-6)
    }

    @Test func sparseEqualsOneHot() throws {
        let labels = try Tensor(shape: [2], scalars: [0, 2])
        let sparse = try Loss.sparseCategoricalCrossentropy.compute(prediction: p, target: labels)
        let dense = try Loss.categoricalCrossentropy.compute(prediction: p, target: y)
        #expect(sparse.value == dense.value && sparse.gradient == dense.gradient)
    }

    @Test("from logits: stable for large logits, and equal to softmax + probabilities")
    func fromLogits() throws {
        let logits = try Tensor(shape: [2, 3], scalars: [2, 1, 0.5, -1, 0, 3])
        let (value, gradient) = try Loss.categoricalCrossentropy(fromLogits: true).compute(prediction: logits, target: y)
        let viaProbabilities = try Loss.categoricalCrossentropy.compute(prediction: logits.softmax(), target: y)
        #expect(abs(value - viaProbabilities.value) < 1e-5)
        #expect(relativeError(gradient, try (logits.softmax() - y) / 2) < 1e-6)
        let huge = try Tensor(shape: [1, 2], scalars: [1000, -1000])
        let (hugeValue, hugeGradient) = try Loss.categoricalCrossentropy(fromLogits: true)
            .compute(prediction: huge, target: Tensor(shape: [1, 2], scalars: [0, 1]))
        #expect(abs(hugeValue - 2000) < 1e-2 && hugeGradient.scalars.allSatisfy { $0.isFinite })
    }

    @Test("probabilities of 0 and 1 are clipped, never infinite")
    func clipping() throws {
        let certain = try Tensor(shape: [1, 2], scalars: [0, 1])
        let (value, gradient) = try Loss.categoricalCrossentropy.compute(prediction: certain, target: Tensor(shape: [1, 2], scalars: [1, 0]))
        #expect(abs(value - -log(Float(1e-7))) < 1e-3)
        #expect(gradient.scalars.allSatisfy { $0.isFinite })
    }

    @Test func binaryCrossentropy() throws {
        let probabilities = Tensor([0.9, 0.2, 0.6, 0.4])
        let targets = Tensor([1, 0, 0, 1])
        let (value, gradient) = try Loss.binaryCrossentropy.compute(prediction: probabilities, target: targets)
        let expected = -(log(0.9) + log(0.8) + log(0.4) + log(0.4)) / 4
        #expect(abs(value - Float(expected)) < 1e-6)
        let logits = Tensor([2.2, -1.4, 0.4, -0.4])
        let fromLogits = try Loss.binaryCrossentropy(fromLogits: true).compute(prediction: logits, target: targets)
        let viaSigmoid = try Loss.binaryCrossentropy.compute(prediction: logits.sigmoid(), target: targets)
        #expect(abs(fromLogits.value - viaSigmoid.value) < 1e-5)
        // The gradient with respect to p, chained through the sigmoid, is the logits' gradient.
        let chained = try viaSigmoid.gradient * logits.sigmoid().map { $0 * (1 - $0) }
        #expect(relativeError(fromLogits.gradient, chained) < 1e-5)
        #expect(relativeError(gradient, try probabilities.zip(targets) { p, y in (p - y) / (p * (1 - p)) / 4 }) < 1e-5)
    }

    @Test func meanSquaredError() throws {
        let (value, gradient) = try Loss.meanSquaredError.compute(prediction: Tensor([1, 2, 4]), target: Tensor([1, 1, 1]))
        #expect(value == Float(0 + 1 + 9) / 3)
        #expect(gradient.scalars == [0, 2.0 / 3, 2])
    }

    @Test("the tape-computed losses: values against their closed forms, gradients against finite differences",
          arguments: [("mean_absolute_error", Loss.meanAbsoluteError), ("huber", .huber(delta: 0.3)),
                      ("kl_divergence", .kullbackLeiblerDivergence), ("cosine_similarity", .cosineSimilarity)])
    func tapeLosses(_ name: String, _ loss: Loss) throws {
        let prediction = try Tensor(shape: [2, 3], scalars: [0.2, 0.5, 0.3, 0.6, 0.1, 0.3])
        let target = try Tensor(shape: [2, 3], scalars: [0.1, 0.7, 0.2, 0.5, 0.4, 0.1])
        let (p, y) = (prediction.scalars.map(Double.init), target.scalars.map(Double.init))
        let expected: Double = switch name {
        case "mean_absolute_error": zip(p, y).map { abs($0 - $1) }.reduce(0, +) / 6
        case "huber": zip(p, y).map { abs($0 - $1) <= 0.3 ? 0.5 * ($0 - $1) * ($0 - $1) : 0.3 * (abs($0 - $1) - 0.15) }.reduce(0, +) / 6
        case "kl_divergence": zip(p, y).map { $1 * log($1 / $0) }.reduce(0, +) / 2
        default: -(0..<2).map { row -> Double in
            let (a, b) = (p[(row * 3)..<(row * 3 + 3)], y[(row * 3)..<(row * 3 + 3)])
            return zip(a, b).map { $0 * $1 }.reduce(0, +) / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
        }.reduce(0, +) / 2
        }
        let (value, gradient) = try loss.compute(prediction: prediction, target: target)
        #expect(loss.name == name)
        #expect(abs(Double(value) - expected) < 1e-5, "\(name): \(value) against \(expected)")
        var numeric = [Float](repeating: 0, count: 6)
        for index in 0..<6 {
            var (plus, minus) = (prediction, prediction)
            plus.withUnsafeMutableBufferPointer { $0[index] += 1e-3 }
            minus.withUnsafeMutableBufferPointer { $0[index] -= 1e-3 }
            numeric[index] = (try loss.compute(prediction: plus, target: target).value
                              - loss.compute(prediction: minus, target: target).value) / 2e-3
        }
        #expect(relativeError(gradient, try Tensor(shape: [2, 3], scalars: numeric)) < 1e-2, "\(name)")
    }

    @Test("Huber's delta is checked by compile")
    func huberDelta() throws {
        let model = Sequential { Input(shape: [2]); Dense(units: 1) }
        #expect {
            try model.compile(optimizer: SGD(), loss: .huber(delta: 0))
        } throws: { error in "\(error)" == "huber: invalid delta = 0.0: expected a positive, finite value" }
    }

    @Test("accuracy with a mean squared error on one output is binary accuracy, not a constant 1")
    func accuracyForRegression() throws {
        let prediction = try Tensor(shape: [4, 1], scalars: [0.9, 0.2, 0.7, 0.4])
        let target = try Tensor(shape: [4, 1], scalars: [1, 0, 0, 0])
        let counted = try Metric.accuracy.correct(prediction: prediction, target: target, loss: .meanSquaredError)
        #expect(counted.correct == 3 && counted.total == 4)
        // A regression target is rarely hit exactly: no 1.0 from an argmax over one column.
        let regression = try Metric.accuracy.correct(prediction: prediction, target: prediction * 10, loss: .meanSquaredError)
        #expect(regression.correct == 0)
    }

    @Test("the logs' accuracy is read the same way whatever kind of accuracy was logged")
    func logsAccuracy() throws {
        let binary: Logs = [.loss: 0.3, .metric(.binaryAccuracy): 0.75, LogKey.metric(.binaryAccuracy).validation: 0.5]
        #expect(binary.accuracy == 0.75 && binary.validationAccuracy == 0.5)
        let plain: Logs = [.accuracy: 0.9, .metric(.categoricalAccuracy): 0.1]
        #expect(plain.accuracy == 0.9)
        #expect(([.loss: 1] as Logs).accuracy == nil)
    }

    @Test("metrics count what Keras counts")
    func metrics() throws {
        let loss = Loss.categoricalCrossentropy
        #expect(try Metric.accuracy.correct(prediction: p, target: y, loss: loss) == (2, 2))
        let wrong = try Tensor(shape: [2, 3], scalars: [0, 1, 0, 1, 0, 0])
        #expect(try Metric.accuracy.correct(prediction: p, target: wrong, loss: loss) == (0, 2))
        #expect(try Metric.topKCategoricalAccuracy(k: 2).correct(prediction: p, target: wrong, loss: loss) == (1, 2))
        #expect(try Metric.accuracy.correct(prediction: p, target: Tensor([0, 1]), loss: .sparseCategoricalCrossentropy) == (1, 2))
        #expect(try Metric.accuracy.correct(prediction: Tensor([0.7, 0.2]), target: Tensor([1, 1]), loss: .binaryCrossentropy) == (1, 2))
    }
}
