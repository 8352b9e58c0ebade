import Foundation
import Testing
import Layers
import Tensor

@Suite("Optimizers: whole steps against hand-computed values")
struct OptimizerTests {
    /// Runs `steps` whole updates (clipping, decay, rule) of w = [1, -2] with gradient g = [0.5, -1].
    func run(_ optimizer: inout some Optimizer, steps: Int, from firstStep: Int = 0) throws -> [Float] {
        var weights = Tensor([1, -2])
        for step in firstStep..<(firstStep + steps) {
            var gradients = Tensor([0.5, -1])
            try optimizer.update(weights: &weights, gradients: &gradients, segments: [0..<2], step: step)
        }
        return weights.scalars
    }

    func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test func sgd() throws {
        var plain = SGD(learningRate: 0.1)
        #expect(close(try run(&plain, steps: 2), [0.9, -1.8]))
        // v1 = −0.05, w1 = 0.95; v2 = 0.9·(−0.05) − 0.05 = −0.095, w2 = 0.855 (first coordinate).
        var momentum = SGD(learningRate: 0.1, momentum: 0.9)
        #expect(close(try run(&momentum, steps: 2), [0.855, -1.71]))
        #expect(momentum.state["velocity"].map { close($0.scalars, [-0.095, 0.19]) } == true)
        // Nesterov: w1 = 1 + 0.9·(−0.05) − 0.05 = 0.905; w2 = 0.905 + 0.9·(−0.095) − 0.05 = 0.7695.
        var nesterov = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        #expect(close(try run(&nesterov, steps: 2), [0.7695, -1.539]))
    }

    @Test func adam() throws {
        // Step 1: m = 0.05, v = 0.00025, and the bias-corrected step is lr·sign(g) (up to ε).
        var adam = Adam(learningRate: 0.1)
        #expect(close(try run(&adam, steps: 1), [0.9, -1.9]))
        #expect(adam.state["m"].map { close($0.scalars, [0.05, -0.1]) } == true)
        #expect(adam.state["v"].map { close($0.scalars, [0.00025, 0.001], 1e-7) } == true)
        // Step 2 with a constant gradient: also lr per step.
        var adam2 = Adam(learningRate: 0.1)
        #expect(close(try run(&adam2, steps: 2), [0.8, -1.8]))
    }

    @Test("AdamW (and Adam with weightDecay) decay the weights before the step, decoupled from the gradient")
    func decoupledWeightDecay() throws {
        // w·(1 − lr·decay) = 1·(1 − 0.1·0.5) = 0.95, then Adam's step −0.1 → 0.85; −2·0.95 + 0.1 = −1.8.
        var adamW = AdamW(learningRate: 0.1, weightDecay: 0.5)
        #expect(adamW.weightDecay == 0.5)
        #expect(close(try run(&adamW, steps: 1), [0.85, -1.8]))
        var adam = Adam(learningRate: 0.1, weightDecay: 0.5)
        #expect(close(try run(&adam, steps: 1), [0.85, -1.8]))
        // SGD: w·(1 − 0.1·0.5) − 0.1·g = 0.95 − 0.05 = 0.9; −1.9 + 0.1 = −1.8.
        var sgd = SGD(learningRate: 0.1, weightDecay: 0.5)
        #expect(close(try run(&sgd, steps: 1), [0.9, -1.8]))
    }

    @Test func rmsprop() throws {
        // v = 0.1·g², step = lr·g/√(v + ε) = lr·g/(√0.1·|g|) = lr/√0.1 · sign(g).
        var rmsprop = RMSprop(learningRate: 0.01)
        let first = 0.01 / Float(0.1).squareRoot()
        #expect(close(try run(&rmsprop, steps: 1), [1 - first, -2 + first], 1e-4))
        // With momentum 0.5: v2 = 0.19·g², u2 = 0.5·u1 + lr/√0.19 · sign(g), w2 = w0 − u1 − u2.
        var withMomentum = RMSprop(learningRate: 0.01, momentum: 0.5)
        let second = 0.5 * first + 0.01 / Float(0.19).squareRoot()
        #expect(close(try run(&withMomentum, steps: 2), [1 - first - second, -2 + first + second], 1e-4))
    }

    @Test("clipping by value, per-parameter norm and global norm over the flat buffer")
    func clipping() throws {
        let segments = [0..<2, 2..<4]
        var gradients = Tensor([3, 4, 0, 12])
        try GradientClipping(clipNorm: 1).clip(&gradients, segments: segments)
        #expect(close(gradients.scalars, [0.6, 0.8, 0, 1]))
        gradients = Tensor([3, 4, 0, 12])
        try GradientClipping(clipValue: 3.5).clip(&gradients, segments: segments)
        #expect(gradients.scalars == [3, 3.5, 0, 3.5])
        gradients = Tensor([3, 4, 0, 12])
        try GradientClipping(globalClipNorm: 6.5).clip(&gradients, segments: segments)  // joint norm 13 → halved
        #expect(close(gradients.scalars, [1.5, 2, 0, 6]))
        // Inside a whole step: SGD with lr 1 moves w = 0 by exactly −clipped g.
        var sgd = SGD(learningRate: 1, clipping: GradientClipping(clipNorm: 1))
        var weights = try Tensor.zeros([4])
        gradients = Tensor([3, 4, 0, 12])
        try sgd.update(weights: &weights, gradients: &gradients, segments: segments, step: 0)
        #expect(close(weights.scalars, [-0.6, -0.8, 0, -1]))
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
        // The update uses the scheduled rate, not the constant one: at step 15 it is 0.5.
        var scheduled = SGD(learningRate: 5, schedule: piecewise)
        #expect(scheduled.learningRate(atStep: 15) == 0.5)
        #expect(close(try run(&scheduled, steps: 1, from: 15), [0.75, -1.5]))
    }

    @Test("setting the rate under a schedule scales the schedule from then on")
    func multiplierUnderSchedule() throws {
        var settings = OptimizerSettings(
            learningRate: 1, schedule: try CosineDecay(initialLearningRate: 0.1, decaySteps: 100))
        let before = settings.learningRate(atStep: 50)  // 0.05
        try settings.setLearningRate(0.01, atStep: 50)
        #expect(abs(settings.learningRate(atStep: 50) - 0.01) < 1e-7)
        #expect(abs(settings.learningRateMultiplier - 0.01 / before) < 1e-5)
        #expect(abs(settings.learningRate(atStep: 25) - 0.2 * (0.05 * (1 + cos(Float.pi / 4)))) < 1e-6)
        #expect(throws: LayersError.self) { try settings.setLearningRate(-1, atStep: 0) }
        var constant = OptimizerSettings(learningRate: 1)
        try constant.setLearningRate(0.3, atStep: 7)
        #expect(constant.learningRate == 0.3 && constant.learningRate(atStep: 1000) == 0.3)
    }

    @Test("ReduceLROnPlateau lowers the applied rate of a model trained with CosineDecay")
    func reduceOnPlateauWithSchedule() throws {
        let model = Sequential(seed: 1) {
            Input(shape: [2])
            Dense(units: 1)
        }
        let schedule = try CosineDecay(initialLearningRate: 0.1, decaySteps: 1000)
        try model.compile(optimizer: SGD(learningRate: 1, schedule: schedule), loss: .meanSquaredError)
        let x = try Tensor(shape: [4, 2], scalars: [1, 0, 0, 1, 1, 1, 0, 0])
        // minDelta so large that no epoch counts as an improvement: the rate halves after the 2nd epoch.
        let reduce = try ReduceLROnPlateau(monitor: .loss, factor: 0.5, patience: 1, minDelta: 1e9)
        let history = try model.fit(x: x, y: try x.sum(alongAxis: 1).reshaped([4, 1]), batchSize: 4, epochs: 3,
                                    callbacks: [reduce], verbose: .silent)
        // Logged at the end of each epoch (after 1, 2, 3 steps); the reduction at the end of epoch 2
        // applies from then on: the third epoch's step ran at half the schedule; the end of
        // epoch 3 halves it again.
        let rates = history[.learningRate]
        #expect(abs(rates[0] - schedule.learningRate(atStep: 1)) < 1e-7)
        #expect(abs(rates[1] - schedule.learningRate(atStep: 2)) < 1e-7)
        #expect(abs(rates[2] - 0.5 * schedule.learningRate(atStep: 3)) < 1e-7)
        #expect(abs(model.learningRate! - 0.25 * schedule.learningRate(atStep: 3)) < 1e-7)
    }

    /// An optimizer made with a bad hyper-parameter, and what the error must name.
    struct BadOptimizer: Sendable, CustomTestStringConvertible {
        let type, argument: String
        let make: @Sendable () -> any Optimizer
        var testDescription: String { "\(type) \(argument)" }
    }

    @Test("every optimizer's hyper-parameters are checked: made without try, reported by compile and by update",
          arguments: [
              BadOptimizer(type: "SGD", argument: "learningRate") { SGD(learningRate: 0) },
              BadOptimizer(type: "SGD", argument: "momentum") { SGD(momentum: 1) },
              BadOptimizer(type: "Adam", argument: "beta1") { Adam(beta1: 1) },
              BadOptimizer(type: "Adam", argument: "weightDecay") { Adam(weightDecay: -1) },
              BadOptimizer(type: "AdamW", argument: "weightDecay") { AdamW(weightDecay: .nan) },
              BadOptimizer(type: "RMSprop", argument: "rho") { RMSprop(rho: -0.1) },
              BadOptimizer(type: "RMSprop", argument: "clipNorm") { RMSprop(clipping: GradientClipping(clipNorm: 0)) },
          ])
    func badHyperparameters(_ bad: BadOptimizer) throws {
        let (type, argument, optimizer) = (bad.type, bad.argument, bad.make())
        let model = Sequential { Input(shape: [3]); Dense(units: 2) }
        #expect {
            try model.compile(optimizer: optimizer, loss: .meanSquaredError)
        } throws: { error in "\(error)".hasPrefix("\(type): invalid \(argument) =") }
        var direct = optimizer
        var (weights, gradients) = (try Tensor.ones([4]), try Tensor.ones([4]))
        #expect(throws: LayersError.self) { try direct.update(weights: &weights, gradients: &gradients, segments: [0..<4], step: 0) }
        #expect(weights == (try Tensor.ones([4])), "no update with a bad hyper-parameter")
    }

    @Test("good hyper-parameters make an optimizer that compile accepts")
    func goodHyperparameters() throws {
        for optimizer in [SGD(momentum: 0.9) as any Optimizer, Adam(), AdamW(), RMSprop(momentum: 0.5)] {
            try Sequential { Input(shape: [3]); Dense(units: 2) }.compile(optimizer: optimizer, loss: .meanSquaredError)
        }
    }
}
