import Foundation

/// A learning rate that depends on the optimisation step (counted from 0), Keras style.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for the update after `step` earlier updates.
    func learningRate(atStep step: Int) -> Float
}

/// `initial · rate^(step / decaySteps)`, with the exponent floored when `staircase`.
public struct ExponentialDecay: LearningRateSchedule {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let decayRate: Float
    public let staircase: Bool

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for non-positive steps or rates.
    public init(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false) throws {
        guard decaySteps > 0 else {
            throw LayersError.invalidArgument(layer: "ExponentialDecay", argument: "decaySteps", value: "\(decaySteps)", reason: "expected a positive integer")
        }
        try validateLearningRate(initialLearningRate, "ExponentialDecay")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }

    public func learningRate(atStep step: Int) -> Float {
        var exponent = Float(step) / Float(decaySteps)
        if staircase { exponent.round(.down) }
        return initialLearningRate * pow(decayRate, exponent)
    }
}

/// Linear warm-up from `initialLearningRate` to `warmupTarget` over `warmupSteps`, then
/// cosine decay to `alpha` times the peak over `decaySteps` (Keras's `CosineDecay`).
public struct CosineDecay: LearningRateSchedule {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let alpha: Float
    public let warmupTarget: Float?
    public let warmupSteps: Int

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for bad steps.
    public init(initialLearningRate: Float, decaySteps: Int, alpha: Float = 0, warmupTarget: Float? = nil, warmupSteps: Int = 0) throws {
        guard decaySteps > 0, warmupSteps >= 0 else {
            throw LayersError.invalidArgument(layer: "CosineDecay", argument: "decaySteps/warmupSteps", value: "\(decaySteps)/\(warmupSteps)",
                                              reason: "expected decaySteps > 0 and warmupSteps >= 0")
        }
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
    }

    public func learningRate(atStep step: Int) -> Float {
        let peak = warmupTarget ?? initialLearningRate
        if let warmupTarget, step < warmupSteps {
            return initialLearningRate + (warmupTarget - initialLearningRate) * Float(step) / Float(warmupSteps)
        }
        let fraction = Swift.min(Float(step - (warmupTarget == nil ? 0 : warmupSteps)) / Float(decaySteps), 1)
        let cosine = 0.5 * (1 + cos(Float.pi * fraction))
        return peak * ((1 - alpha) * cosine + alpha)
    }
}

/// `values[i]` while `step <= boundaries[i]` (and the last value after the last boundary).
public struct PiecewiseConstantDecay: LearningRateSchedule {
    public let boundaries: [Int]
    public let values: [Float]

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` unless there is one more value than boundaries.
    public init(boundaries: [Int], values: [Float]) throws {
        guard values.count == boundaries.count + 1, boundaries == boundaries.sorted() else {
            throw LayersError.invalidArgument(layer: "PiecewiseConstantDecay", argument: "values", value: "\(values.count) values",
                                              reason: "expected \(boundaries.count + 1) values for \(boundaries.count) increasing boundaries")
        }
        self.boundaries = boundaries
        self.values = values
    }

    public func learningRate(atStep step: Int) -> Float {
        values[boundaries.firstIndex { step <= $0 } ?? boundaries.count]
    }
}

/// A saved learning-rate schedule (the built-in ones), inside an optimizer's configuration.
public enum ScheduleRecord: Codable, Sendable {
    case exponentialDecay(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool)
    case cosineDecay(initialLearningRate: Float, decaySteps: Int, alpha: Float, warmupTarget: Float?, warmupSteps: Int)
    case piecewiseConstantDecay(boundaries: [Int], values: [Float])

    /// The record of `schedule`. - Throws: ``ModelFileError/unsupported(_:)`` for a custom schedule.
    init?(_ schedule: (any LearningRateSchedule)?) throws {
        switch schedule {
        case nil: return nil
        case let s as ExponentialDecay:
            self = .exponentialDecay(initialLearningRate: s.initialLearningRate, decaySteps: s.decaySteps,
                                     decayRate: s.decayRate, staircase: s.staircase)
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
