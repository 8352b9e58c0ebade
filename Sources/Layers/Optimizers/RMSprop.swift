import Tensor

/// RMSprop, as in Keras: `v = ρv + (1−ρ)g²`, `w −= lr · g / √(v + ε)`, with optional momentum.
public struct RMSprop: SerializableOptimizer {
    public var settings: OptimizerSettings
    /// Decay of the squared-gradient average.
    public let rho: Float
    /// Momentum on the increments (0: none).
    public let momentum: Float
    /// Added inside the square root (Keras: 1e-7).
    public let epsilon: Float
    private var squares: Tensor?
    private var velocity: Tensor?

    /// RMSprop with these hyper-parameters; a bad one is reported by `compile`.
    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                weightDecay: Float? = nil, schedule: (any LearningRateSchedule)? = nil,
                clipping: GradientClipping = GradientClipping()) {
        settings = OptimizerSettings(learningRate: learningRate, schedule: schedule, clipping: clipping, weightDecay: weightDecay)
        let given = settings
        settings.record {
            try given.validate("RMSprop")
            for (argument, value) in [("rho", rho), ("momentum", momentum)] where !(value >= 0 && value < 1) {
                throw LayersError.invalidArgument(layer: "RMSprop", argument: argument, value: "\(value)", reason: "expected a value in [0, 1)")
            }
            guard epsilon > 0 else {
                throw LayersError.invalidArgument(layer: "RMSprop", argument: "epsilon", value: "\(epsilon)", reason: "expected a positive value")
            }
        }
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var state: [String: Tensor] {
        get {
            var state: [String: Tensor] = [:]
            (state["v"], state["velocity"]) = (squares, velocity)
            return state
        }
        set {
            squares = newValue["v"]
            velocity = newValue["velocity"]
        }
    }

    public mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws {
        var s = stateTensor(squares, like: weights)
        squares = nil
        if momentum > 0 { velocity = stateTensor(velocity, like: weights) }
        try UpdateRule.rmsprop(weights: &weights, gradients: gradients, squares: &s, velocity: &velocity,
                               learningRate: learningRate, rho: rho, momentum: momentum, epsilon: epsilon)
        squares = s
    }

    // MARK: Saving

    public static var typeName: String { "rmsprop" }

    /// The saved hyper-parameters.
    public struct Configuration: Codable, Sendable {
        var learningRate, rho, momentum, epsilon: Float
        var weightDecay, learningRateMultiplier: Float?
        var schedule: ScheduleRecord?
        var clipping: GradientClipping
    }

    public var configuration: Configuration {
        get throws {
            Configuration(learningRate: settings.learningRate, rho: rho, momentum: momentum, epsilon: epsilon,
                          weightDecay: settings.weightDecay, learningRateMultiplier: settings.learningRateMultiplier,
                          schedule: try ScheduleRecord(settings.schedule), clipping: settings.clipping)
        }
    }

    public init(configuration c: Configuration) throws {
        self.init(learningRate: c.learningRate, rho: c.rho, momentum: c.momentum, epsilon: c.epsilon,
                  weightDecay: c.weightDecay, schedule: try c.schedule?.makeSchedule(), clipping: c.clipping)
        settings.learningRateMultiplier = c.learningRateMultiplier ?? 1
        try settings.throwIfInvalid()
        try settings.validate("RMSprop")
    }
}
