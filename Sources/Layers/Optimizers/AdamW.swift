import Tensor

/// Adam with decoupled weight decay (Loshchilov & Hutter), Keras's `AdamW`: before each
/// update `w −= lr · weightDecay · w`, then Adam's step. Keras's default decay is 0.004.
public struct AdamW: SerializableOptimizer {
    private var adam: Adam

    /// AdamW with these hyper-parameters; a bad one is reported by `compile`.
    public init(learningRate: Float = 0.001, weightDecay: Float = 0.004, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-7, schedule: (any LearningRateSchedule)? = nil,
                clipping: GradientClipping = GradientClipping()) {
        adam = Adam(name: "AdamW", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                    weightDecay: weightDecay, schedule: schedule, clipping: clipping)
    }

    public var settings: OptimizerSettings {
        get { adam.settings }
        set { adam.settings = newValue }
    }

    public var state: [String: Tensor] {
        get { adam.state }
        set { adam.state = newValue }
    }

    public mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws {
        try adam.applyRule(weights: &weights, gradients: gradients, step: step, learningRate: learningRate)
    }

    // MARK: Saving

    public static var typeName: String { "adamW" }

    /// The saved hyper-parameters.
    public struct Configuration: Codable, Sendable {
        var learningRate, weightDecay, beta1, beta2, epsilon: Float
        var learningRateMultiplier: Float?
        var schedule: ScheduleRecord?
        var clipping: GradientClipping
    }

    public var configuration: Configuration {
        get throws {
            Configuration(learningRate: settings.learningRate, weightDecay: settings.weightDecay ?? 0, beta1: adam.beta1,
                          beta2: adam.beta2, epsilon: adam.epsilon, learningRateMultiplier: settings.learningRateMultiplier,
                          schedule: try ScheduleRecord(settings.schedule), clipping: settings.clipping)
        }
    }

    public init(configuration c: Configuration) throws {
        self.init(learningRate: c.learningRate, weightDecay: c.weightDecay, beta1: c.beta1, beta2: c.beta2,
                  epsilon: c.epsilon, schedule: try c.schedule?.makeSchedule(), clipping: c.clipping)
        settings.learningRateMultiplier = c.learningRateMultiplier ?? 1
        try settings.throwIfInvalid()
        try settings.validate("AdamW")
    }
}
