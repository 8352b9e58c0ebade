import Tensor

/// Stochastic gradient descent with optional (Nesterov) momentum, as in Keras:
/// `v = momentum·v − lr·g`, then `w += v` (or `w += momentum·v − lr·g` with Nesterov).
public struct SGD: SerializableOptimizer {
    public var settings: OptimizerSettings
    /// The decay of the velocity, in `[0, 1)`; 0 is plain gradient descent.
    public let momentum: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    private var velocity: Tensor?

    /// SGD with these hyper-parameters; a bad one is reported by `compile`.
    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float? = nil,
                schedule: (any LearningRateSchedule)? = nil, clipping: GradientClipping = GradientClipping()) {
        settings = OptimizerSettings(learningRate: learningRate, schedule: schedule, clipping: clipping, weightDecay: weightDecay)
        let given = settings
        settings.record {
            try given.validate("SGD")
            guard momentum >= 0, momentum < 1 else {
                throw LayersError.invalidArgument(layer: "SGD", argument: "momentum", value: "\(momentum)", reason: "expected a value in [0, 1)")
            }
        }
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public var state: [String: Tensor] {
        get { velocity.map { ["velocity": $0] } ?? [:] }
        set { velocity = newValue["velocity"] }
    }

    public mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws {
        if momentum > 0 { velocity = stateTensor(velocity, like: weights) }
        try UpdateRule.sgd(weights: &weights, gradients: gradients, velocity: &velocity, learningRate: learningRate,
                           momentum: momentum, nesterov: nesterov)
    }

    // MARK: Saving

    public static var typeName: String { "sgd" }

    /// The saved hyper-parameters.
    public struct Configuration: Codable, Sendable {
        var learningRate, momentum: Float
        var nesterov: Bool
        var weightDecay, learningRateMultiplier: Float?
        var schedule: ScheduleRecord?
        var clipping: GradientClipping
    }

    public var configuration: Configuration {
        get throws {
            Configuration(learningRate: settings.learningRate, momentum: momentum, nesterov: nesterov,
                          weightDecay: settings.weightDecay, learningRateMultiplier: settings.learningRateMultiplier,
                          schedule: try ScheduleRecord(settings.schedule), clipping: settings.clipping)
        }
    }

    public init(configuration c: Configuration) throws {
        self.init(learningRate: c.learningRate, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay,
                  schedule: try c.schedule?.makeSchedule(), clipping: c.clipping)
        settings.learningRateMultiplier = c.learningRateMultiplier ?? 1
        try settings.throwIfInvalid()
        try settings.validate("SGD")
    }
}
