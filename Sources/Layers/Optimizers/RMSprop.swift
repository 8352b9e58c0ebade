import Tensor

/// RMSprop, as in Keras: `v = ρv + (1−ρ)g²`, `w −= lr · g / √(v + ε)`, with optional momentum.
public struct RMSprop: Optimizer {
    public var learningRate: Float
    public var schedule: (any LearningRateSchedule)?
    public var clipping: GradientClipping
    /// Decay of the squared-gradient average.
    public let rho: Float
    /// Momentum on the increments (0: none).
    public let momentum: Float
    /// Added inside the square root (Keras: 1e-7).
    public let epsilon: Float
    var squares = SlotStorage()
    var velocities = SlotStorage()

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for a bad hyper-parameter.
    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                schedule: (any LearningRateSchedule)? = nil, clipping: GradientClipping = GradientClipping()) throws {
        try validateLearningRate(learningRate, "RMSprop")
        for (argument, value) in [("rho", rho), ("momentum", momentum)] where !(value >= 0 && value < 1) {
            throw LayersError.invalidArgument(layer: "RMSprop", argument: argument, value: "\(value)", reason: "expected a value in [0, 1)")
        }
        try clipping.validate("RMSprop")
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.schedule = schedule
        self.clipping = clipping
    }

    public mutating func update(_ value: inout Tensor, gradient: Tensor, slot: Int, step: Int, learningRate rate: Float) throws {
        let (rho, eps, m) = (rho, epsilon, momentum)
        var v = squares.take(slot, like: value)
        try v.zipInPlace(gradient) { v, g in rho * v + (1 - rho) * g * g }
        let increment = try gradient.zip(v) { g, v in rate * g / (v + eps).squareRoot() }
        squares.store(slot, v)
        guard m > 0 else {
            try value -= increment
            return
        }
        var velocity = velocities.take(slot, like: value)
        try velocity.zipInPlace(increment) { v, i in m * v + i }
        try value -= velocity
        velocities.store(slot, velocity)
    }
}
