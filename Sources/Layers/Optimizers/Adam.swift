import Tensor

/// Adam, as in Keras: `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`,
/// `w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)`; with `weightDecay`, decoupled weight decay
/// first (what ``AdamW`` does by default).
public struct Adam: SerializableOptimizer {
    public var settings: OptimizerSettings
    /// Decay of the first and second moment estimates.
    public let beta1, beta2: Float
    /// Added to the denominator for stability (Keras: 1e-7).
    public let epsilon: Float
    private var firstMoments: Tensor?
    private var secondMoments: Tensor?

    /// Adam with these hyper-parameters; a bad one is reported by `compile`.
    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                weightDecay: Float? = nil, schedule: (any LearningRateSchedule)? = nil,
                clipping: GradientClipping = GradientClipping()) {
        self.init(name: "Adam", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  weightDecay: weightDecay, schedule: schedule, clipping: clipping)
    }

    init(name: String, learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float?,
         schedule: (any LearningRateSchedule)?, clipping: GradientClipping) {
        settings = OptimizerSettings(learningRate: learningRate, schedule: schedule, clipping: clipping, weightDecay: weightDecay)
        let given = settings
        settings.record {
            try given.validate(name)
            for (argument, value) in [("beta1", beta1), ("beta2", beta2)] where !(value >= 0 && value < 1) {
                throw LayersError.invalidArgument(layer: name, argument: argument, value: "\(value)", reason: "expected a value in [0, 1)")
            }
            guard epsilon > 0 else {
                throw LayersError.invalidArgument(layer: name, argument: "epsilon", value: "\(epsilon)", reason: "expected a positive value")
            }
        }
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public var state: [String: Tensor] {
        get {
            var state: [String: Tensor] = [:]
            (state["m"], state["v"]) = (firstMoments, secondMoments)
            return state
        }
        set {
            firstMoments = newValue["m"]
            secondMoments = newValue["v"]
        }
    }

    public mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws {
        var m = stateTensor(firstMoments, like: weights)
        var v = stateTensor(secondMoments, like: weights)
        (firstMoments, secondMoments) = (nil, nil)  // unshared while the rule writes them
        try UpdateRule.adam(weights: &weights, gradients: gradients, firstMoments: &m, secondMoments: &v,
                            learningRate: learningRate, step: step, beta1: beta1, beta2: beta2, epsilon: epsilon)
        (firstMoments, secondMoments) = (m, v)
    }

    // MARK: Saving

    public static var typeName: String { "adam" }

    /// The saved hyper-parameters.
    public struct Configuration: Codable, Sendable {
        var learningRate, beta1, beta2, epsilon: Float
        var weightDecay, learningRateMultiplier: Float?
        var schedule: ScheduleRecord?
        var clipping: GradientClipping
    }

    public var configuration: Configuration {
        get throws {
            Configuration(learningRate: settings.learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                          weightDecay: settings.weightDecay, learningRateMultiplier: settings.learningRateMultiplier,
                          schedule: try ScheduleRecord(settings.schedule), clipping: settings.clipping)
        }
    }

    public init(configuration c: Configuration) throws {
        self.init(learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon,
                  weightDecay: c.weightDecay, schedule: try c.schedule?.makeSchedule(), clipping: c.clipping)
        settings.learningRateMultiplier = c.learningRateMultiplier ?? 1
        try settings.throwIfInvalid()
        try settings.validate("Adam")
    }
}
