import Tensor

/// Stochastic gradient descent with optional (Nesterov) momentum, as in Keras:
/// `v = momentum·v − lr·g`, then `w += v` (or `w += momentum·v − lr·g` with Nesterov).
public struct SGD: Optimizer {
    public var learningRate: Float
    public var schedule: (any LearningRateSchedule)?
    public var clipping: GradientClipping
    /// The decay of the velocity, in `[0, 1)`; 0 is plain gradient descent.
    public let momentum: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    var velocities = SlotStorage()

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for a bad hyper-parameter.
    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false,
                schedule: (any LearningRateSchedule)? = nil, clipping: GradientClipping = GradientClipping()) throws {
        try validateLearningRate(learningRate, "SGD")
        guard momentum >= 0, momentum < 1 else {
            throw LayersError.invalidArgument(layer: "SGD", argument: "momentum", value: "\(momentum)", reason: "expected a value in [0, 1)")
        }
        try clipping.validate("SGD")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.schedule = schedule
        self.clipping = clipping
    }

    public mutating func update(_ value: inout Tensor, gradient: Tensor, slot: Int, step: Int, learningRate rate: Float) throws {
        guard momentum > 0 else {
            try value.zipInPlace(gradient) { w, g in w - rate * g }
            return
        }
        let m = momentum
        var velocity = velocities.take(slot, like: value)
        try velocity.zipInPlace(gradient) { v, g in m * v - rate * g }
        if nesterov {
            try value.zipInPlace(velocity) { w, v in w + m * v }
            try value.zipInPlace(gradient) { w, g in w - rate * g }
        } else {
            try value += velocity
        }
        velocities.store(slot, velocity)
    }
}
