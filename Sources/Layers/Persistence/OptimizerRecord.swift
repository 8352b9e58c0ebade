import Tensor

/// An optimizer that can be saved with a model, so that training resumes exactly: its
/// configuration as a ``OptimizerRecord`` and its per-parameter state (moments) as tensors.
public protocol SerializableOptimizer: Optimizer {
    /// The type and hyper-parameters.
    var record: OptimizerRecord { get throws }
    /// The per-parameter state, by name (`m/0`, `v/0`, ...).
    var stateTensors: [String: Tensor] { get }
    /// Restores state saved by ``stateTensors``.
    mutating func restoreState(_ tensors: [String: Tensor])
}

/// A saved optimizer: which one and its hyper-parameters.
public enum OptimizerRecord: Codable, Sendable {
    case sgd(learningRate: Float, momentum: Float, nesterov: Bool, schedule: ScheduleRecord?, clipping: GradientClipping)
    case adam(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float?,
              schedule: ScheduleRecord?, clipping: GradientClipping)
    case adamW(learningRate: Float, weightDecay: Float, beta1: Float, beta2: Float, epsilon: Float,
               schedule: ScheduleRecord?, clipping: GradientClipping)
    case rmsprop(learningRate: Float, rho: Float, momentum: Float, epsilon: Float, schedule: ScheduleRecord?, clipping: GradientClipping)

    /// The optimizer this record describes, without state.
    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for hyper-parameters out of range.
    public func makeOptimizer() throws -> any SerializableOptimizer {
        switch self {
        case let .sgd(rate, momentum, nesterov, schedule, clipping):
            try SGD(learningRate: rate, momentum: momentum, nesterov: nesterov, schedule: schedule?.makeSchedule(), clipping: clipping)
        case let .adam(rate, beta1, beta2, epsilon, decay, schedule, clipping):
            try Adam(learningRate: rate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: decay,
                     schedule: schedule?.makeSchedule(), clipping: clipping)
        case let .adamW(rate, decay, beta1, beta2, epsilon, schedule, clipping):
            try AdamW(learningRate: rate, weightDecay: decay, beta1: beta1, beta2: beta2, epsilon: epsilon,
                      schedule: schedule?.makeSchedule(), clipping: clipping)
        case let .rmsprop(rate, rho, momentum, epsilon, schedule, clipping):
            try RMSprop(learningRate: rate, rho: rho, momentum: momentum, epsilon: epsilon,
                        schedule: schedule?.makeSchedule(), clipping: clipping)
        }
    }
}

/// A saved learning-rate schedule (the built-in ones).
public enum ScheduleRecord: Codable, Sendable {
    case exponentialDecay(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool)
    case cosineDecay(initialLearningRate: Float, decaySteps: Int, alpha: Float, warmupTarget: Float?, warmupSteps: Int)
    case piecewiseConstantDecay(boundaries: [Int], values: [Float])

    /// The record of `schedule`. - Throws: ``ModelFileError/unsupported(_:)`` for a custom schedule.
    init?(_ schedule: (any LearningRateSchedule)?) throws {
        switch schedule {
        case nil: return nil
        case let s as ExponentialDecay:
            self = .exponentialDecay(initialLearningRate: s.initialLearningRate, decaySteps: s.decaySteps, decayRate: s.decayRate, staircase: s.staircase)
        case let s as CosineDecay:
            self = .cosineDecay(initialLearningRate: s.initialLearningRate, decaySteps: s.decaySteps, alpha: s.alpha,
                                warmupTarget: s.warmupTarget, warmupSteps: s.warmupSteps)
        case let s as PiecewiseConstantDecay:
            self = .piecewiseConstantDecay(boundaries: s.boundaries, values: s.values)
        default:
            throw ModelFileError.unsupported(
                "a custom learning-rate schedule (\(type(of: schedule!))) cannot be saved; save with includeOptimizer: false")
        }
    }

    /// The schedule, through its validating initialiser.
    func makeSchedule() throws -> any LearningRateSchedule {
        switch self {
        case let .exponentialDecay(rate, steps, decay, staircase):
            try ExponentialDecay(initialLearningRate: rate, decaySteps: steps, decayRate: decay, staircase: staircase)
        case let .cosineDecay(rate, steps, alpha, target, warmup):
            try CosineDecay(initialLearningRate: rate, decaySteps: steps, alpha: alpha, warmupTarget: target, warmupSteps: warmup)
        case let .piecewiseConstantDecay(boundaries, values):
            try PiecewiseConstantDecay(boundaries: boundaries, values: values)
        }
    }
}

extension SGD: SerializableOptimizer {
    public var record: OptimizerRecord {
        get throws { .sgd(learningRate: learningRate, momentum: momentum, nesterov: nesterov, schedule: try ScheduleRecord(schedule), clipping: clipping) }
    }
    public var stateTensors: [String: Tensor] { velocities.exported(prefix: "velocity/") }
    public mutating func restoreState(_ tensors: [String: Tensor]) { velocities.restore(prefix: "velocity/", from: tensors) }
}

extension Adam: SerializableOptimizer {
    public var record: OptimizerRecord {
        get throws {
            .adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                  schedule: try ScheduleRecord(schedule), clipping: clipping)
        }
    }
    public var stateTensors: [String: Tensor] { moments.exported(prefix: "m/").merging(squares.exported(prefix: "v/")) { a, _ in a } }
    public mutating func restoreState(_ tensors: [String: Tensor]) {
        moments.restore(prefix: "m/", from: tensors)
        squares.restore(prefix: "v/", from: tensors)
    }
}

extension AdamW: SerializableOptimizer {
    public var record: OptimizerRecord {
        get throws {
            .adamW(learningRate: learningRate, weightDecay: weightDecay ?? 0, beta1: adam.beta1, beta2: adam.beta2,
                   epsilon: adam.epsilon, schedule: try ScheduleRecord(schedule), clipping: clipping)
        }
    }
    public var stateTensors: [String: Tensor] { adam.stateTensors }
    public mutating func restoreState(_ tensors: [String: Tensor]) { adam.restoreState(tensors) }
}

extension RMSprop: SerializableOptimizer {
    public var record: OptimizerRecord {
        get throws {
            .rmsprop(learningRate: learningRate, rho: rho, momentum: momentum, epsilon: epsilon,
                     schedule: try ScheduleRecord(schedule), clipping: clipping)
        }
    }
    public var stateTensors: [String: Tensor] { squares.exported(prefix: "v/").merging(velocities.exported(prefix: "velocity/")) { a, _ in a } }
    public mutating func restoreState(_ tensors: [String: Tensor]) {
        squares.restore(prefix: "v/", from: tensors)
        velocities.restore(prefix: "velocity/", from: tensors)
    }
}
