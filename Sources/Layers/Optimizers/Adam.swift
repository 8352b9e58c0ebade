import Foundation
import Tensor

/// Adam, as in Keras: `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`,
/// `w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)`.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var schedule: (any LearningRateSchedule)?
    public var clipping: GradientClipping
    public let weightDecay: Float?
    /// Decay of the first and second moment estimates.
    public let beta1, beta2: Float
    /// Added to the denominator for stability (Keras: 1e-7).
    public let epsilon: Float
    var moments = SlotStorage()
    var squares = SlotStorage()

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for a bad hyper-parameter.
    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                weightDecay: Float? = nil, schedule: (any LearningRateSchedule)? = nil,
                clipping: GradientClipping = GradientClipping()) throws {
        try self.init(name: "Adam", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                      weightDecay: weightDecay, schedule: schedule, clipping: clipping)
    }

    init(name: String, learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float?,
         schedule: (any LearningRateSchedule)?, clipping: GradientClipping) throws {
        try validateLearningRate(learningRate, name)
        for (argument, value) in [("beta1", beta1), ("beta2", beta2)] where !(value >= 0 && value < 1) {
            throw LayersError.invalidArgument(layer: name, argument: argument, value: "\(value)", reason: "expected a value in [0, 1)")
        }
        guard epsilon > 0 else {
            throw LayersError.invalidArgument(layer: name, argument: "epsilon", value: "\(epsilon)", reason: "expected a positive value")
        }
        if let weightDecay, !(weightDecay >= 0) {
            throw LayersError.invalidArgument(layer: name, argument: "weightDecay", value: "\(weightDecay)", reason: "expected a value >= 0")
        }
        try clipping.validate(name)
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.clipping = clipping
    }

    public mutating func update(_ value: inout Tensor, gradient: Tensor, slot: Int, step: Int, learningRate rate: Float) throws {
        let t = Float(step + 1)
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let correctedRate = rate * (1 - pow(b2, t)).squareRoot() / (1 - pow(b1, t))
        var m = moments.take(slot, like: value)
        var v = squares.take(slot, like: value)
        try m.zipInPlace(gradient) { m, g in m + (g - m) * (1 - b1) }
        try v.zipInPlace(gradient) { v, g in v + (g * g - v) * (1 - b2) }
        let step = try m.zip(v) { m, v in correctedRate * m / (v.squareRoot() + eps) }
        try value -= step
        moments.store(slot, m)
        squares.store(slot, v)
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter), Keras's `AdamW`: before each
/// update `w −= lr · weightDecay · w`. Keras's default decay is 0.004.
public struct AdamW: Optimizer {
    var adam: Adam

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for a bad hyper-parameter.
    public init(learningRate: Float = 0.001, weightDecay: Float = 0.004, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-7, schedule: (any LearningRateSchedule)? = nil,
                clipping: GradientClipping = GradientClipping()) throws {
        adam = try Adam(name: "AdamW", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                        weightDecay: weightDecay, schedule: schedule, clipping: clipping)
    }

    public var learningRate: Float {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    public var schedule: (any LearningRateSchedule)? { adam.schedule }
    public var clipping: GradientClipping { adam.clipping }
    public var weightDecay: Float? { adam.weightDecay }

    public mutating func update(_ value: inout Tensor, gradient: Tensor, slot: Int, step: Int, learningRate: Float) throws {
        try adam.update(&value, gradient: gradient, slot: slot, step: step, learningRate: learningRate)
    }
}
