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

@Suite("Optimizers' first steps against hand-computed values")
struct OptimizerTests {
    /// Runs `steps` updates of w = [1, -2] with gradient g = [0.5, -1] each time.
    func run(_ optimizer: inout some Optimizer, steps: Int) throws -> [Float] {
        var value = Tensor([1, -2])
        for step in 0..<steps {
            try optimizer.update(&value, gradient: Tensor([0.5, -1]), slot: 0, step: step,
                                 learningRate: optimizer.learningRate(atStep: step))
        }
        return value.scalars
    }

    func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5) -> Bool {
        zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test func sgd() throws {
        var plain = try SGD(learningRate: 0.1)
        #expect(close(try run(&plain, steps: 2), [0.9, -1.8]))
        // v1 = −0.05, w1 = 0.95; v2 = 0.9·(−0.05) − 0.05 = −0.095, w2 = 0.855 (first coordinate).
        var momentum = try SGD(learningRate: 0.1, momentum: 0.9)
        #expect(close(try run(&momentum, steps: 2), [0.855, -1.71]))
        // Nesterov: w1 = 1 + 0.9·(−0.05) − 0.05 = 0.905; w2 = 0.905 + 0.9·(−0.095) − 0.05 = 0.7695.
        var nesterov = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        #expect(close(try run(&nesterov, steps: 2), [0.7695, -1.539]))
    }

    @Test func adam() throws {
        // Step 1: m = 0.05, v = 0.00025·... the bias-corrected step is lr·sign(g) (up to ε).
        var adam = try Adam(learningRate: 0.1)
        let one = try run(&adam, steps: 1)
        #expect(close(one, [0.9, -1.9], 1e-5))
        // Step 2 with a constant gradient: also lr per step.
        var adam2 = try Adam(learningRate: 0.1)
        #expect(close(try run(&adam2, steps: 2), [0.8, -1.8], 1e-5))
        // AdamW first shrinks w by lr·decay: 1·(1 − 0.1·0.5) = 0.95, then the Adam step.
        var adamW = try AdamW(learningRate: 0.1, weightDecay: 0.5)
        #expect(adamW.weightDecay == 0.5)
        var w = Tensor([1, -2])
        w *= 1 - 0.1 * 0.5
        try adamW.update(&w, gradient: Tensor([0.5, -1]), slot: 0, step: 0, learningRate: 0.1)
        #expect(close(w.scalars, [0.85, -1.8]))
    }

    @Test func rmsprop() throws {
        // v = 0.1·g², step = lr·g/√(v + ε) = lr·g/(√0.1·|g|) = lr/√0.1 · sign(g).
        var rmsprop = try RMSprop(learningRate: 0.01)
        let expectedStep = 0.01 / Float(0.1).squareRoot()
        #expect(close(try run(&rmsprop, steps: 1), [1 - expectedStep, -2 + expectedStep], 1e-4))
    }

    @Test func clipping() throws {
        var gradients = [Tensor([3, 4]), Tensor([0, 12])]
        let byNorm = GradientClipping(clipNorm: 1)
        var clipped = gradients
        try byNorm.clip(&clipped)
        #expect(close(clipped[0].scalars, [0.6, 0.8]) && close(clipped[1].scalars, [0, 1]))
        clipped = gradients
        try GradientClipping(clipValue: 3.5).clip(&clipped)
        #expect(clipped[1].scalars == [0, 3.5] && clipped[0].scalars == [3, 3.5])
        try GradientClipping(globalClipNorm: 6.5).clip(&gradients)  // joint norm 13 → halved
        #expect(close(gradients[0].scalars, [1.5, 2]) && close(gradients[1].scalars, [0, 6]))
    }

    @Test func schedules() throws {
        let exponential = try ExponentialDecay(initialLearningRate: 1, decaySteps: 10, decayRate: 0.5)
        #expect(abs(exponential.learningRate(atStep: 10) - 0.5) < 1e-6 && abs(exponential.learningRate(atStep: 5) - Float(0.5).squareRoot()) < 1e-6)
        let staircase = try ExponentialDecay(initialLearningRate: 1, decaySteps: 10, decayRate: 0.5, staircase: true)
        #expect(staircase.learningRate(atStep: 19) == 0.5)
        let cosine = try CosineDecay(initialLearningRate: 0, decaySteps: 100, alpha: 0.1, warmupTarget: 1, warmupSteps: 10)
        #expect(cosine.learningRate(atStep: 5) == 0.5)
        #expect(abs(cosine.learningRate(atStep: 10) - 1) < 1e-6)
        #expect(abs(cosine.learningRate(atStep: 60) - (0.9 * 0.5 + 0.1)) < 1e-6)
        #expect(abs(cosine.learningRate(atStep: 500) - 0.1) < 1e-6)
        let piecewise = try PiecewiseConstantDecay(boundaries: [10, 20], values: [1, 0.5, 0.1])
        #expect([0, 10, 11, 20, 21].map(piecewise.learningRate(atStep:)) == [1, 1, 0.5, 0.5, 0.1])
        #expect(throws: LayersError.self) { try PiecewiseConstantDecay(boundaries: [10], values: [1]) }
        var scheduled = try SGD(learningRate: 5, schedule: piecewise)
        #expect(scheduled.learningRate(atStep: 15) == 0.5)
        _ = try run(&scheduled, steps: 1)
    }
}
