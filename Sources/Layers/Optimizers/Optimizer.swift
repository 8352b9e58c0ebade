import Tensor

/// Updates a model's trainable weights from their gradients, as Keras's optimizers do.
///
/// An optimizer is a policy every optimizer shares, its ``settings`` (learning rate and
/// schedule, gradient clipping, decoupled weight decay), around an update rule of its own
/// (``applyRule(weights:gradients:step:learningRate:)``). The model keeps all trainable
/// weights in one flat buffer and their gradients in another, and calls
/// ``update(weights:gradients:segments:step:)`` once per step: clipping, decay and the rule
/// then run over every parameter at once. A data-parallel run averages that one gradient
/// buffer before the update.
///
/// Write your own by conforming: store the settings, keep the rule's per-weight state in
/// flat tensors (listed in ``state`` so that it can be saved), and compute the rule with
/// `Tensor` operations:
///
/// ```swift
/// struct SignSGD: Optimizer {
///     var settings = OptimizerSettings(learningRate: 0.01)
///     var state: [String: Tensor] { get { [:] } set {} }
///     mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws {
///         try weights.zipInPlace(gradients) { w, g in w - learningRate * (g > 0 ? 1 : g < 0 ? -1 : 0) }
///     }
/// }
/// ```
public protocol Optimizer {
    /// The learning rate, its schedule, clipping and weight decay.
    var settings: OptimizerSettings { get set }

    /// The rule's per-weight state (moments, velocities) by name, each a flat tensor shaped
    /// like the weights buffer; empty before the first update. Saved with the model.
    var state: [String: Tensor] { get set }

    /// The update rule, in place over the flat buffer of all trainable weights, with
    /// gradients already clipped and weight decay already applied. `step` counts the
    /// updates before this one; `learningRate` is the rate in force.
    mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws
}

extension Optimizer {
    /// The base learning rate, used when there is no schedule.
    public var learningRate: Float { settings.learningRate }
    /// The learning-rate schedule, if any.
    public var schedule: (any LearningRateSchedule)? { settings.schedule }
    /// Gradient clipping, applied before each update.
    public var clipping: GradientClipping { settings.clipping }
    /// Decoupled weight decay (nil: none).
    public var weightDecay: Float? { settings.weightDecay }

    /// The learning rate in force at `step`.
    public func learningRate(atStep step: Int) -> Float { settings.learningRate(atStep: step) }

    /// One optimisation step over all trainable weights: clips `gradients` (in place), applies
    /// decoupled weight decay `w −= lr · decay · w`, then the update rule.
    ///
    /// - Parameters:
    ///   - weights: every trainable weight, one flat buffer.
    ///   - gradients: their gradients, the same size.
    ///   - segments: where each parameter tensor lies in the buffers (for per-tensor `clipNorm`).
    ///   - step: the number of updates before this one.
    /// - Throws: ``LayersError`` when the buffers differ in size or a segment is outside them.
    public mutating func update(weights: inout Tensor, gradients: inout Tensor, segments: [Range<Int>], step: Int) throws {
        try settings.throwIfInvalid()
        guard weights.shape == gradients.shape, weights.rank == 1 else {
            throw LayersError.invalidData(
                "optimizer update: expected flat weights and gradients of one size, found \(weights.shape) and \(gradients.shape)")
        }
        try wrappingTensorErrors {
            try settings.clipping.clip(&gradients, segments: segments)
            let rate = settings.learningRate(atStep: step)
            if let decay = settings.weightDecay, decay > 0 {
                let factor = 1 - rate * decay
                weights *= factor
            }
            try applyRule(weights: &weights, gradients: gradients, step: step, learningRate: rate)
        }
    }
}

/// What every optimizer has around its update rule: the learning rate (a constant or a
/// schedule, times a multiplier that callbacks change), gradient clipping and decoupled
/// weight decay.
///
/// **Changing the rate while a schedule runs.** Callbacks such as ``ReduceLROnPlateau``
/// and ``LearningRateScheduler`` set ``Model/learningRate``. Without a schedule that
/// replaces the constant rate. With a schedule it sets ``learningRateMultiplier`` so that
/// the rate in force at that step is the value set, and the schedule goes on from there,
/// scaled: a `CosineDecay` lowered by `ReduceLROnPlateau(factor: 0.5)` keeps its shape at
/// half the height. (Keras raises an error instead.)
public struct OptimizerSettings: Sendable {
    /// The constant learning rate, used when ``schedule`` is nil.
    public var learningRate: Float
    /// A learning rate that depends on the step; when set it replaces ``learningRate``.
    public var schedule: (any LearningRateSchedule)?
    /// Multiplies the rate (constant or scheduled); 1 unless a callback changed the rate
    /// while a schedule runs.
    public var learningRateMultiplier: Float
    /// Gradient clipping, applied before each update.
    public var clipping: GradientClipping
    /// Decoupled weight decay (Loshchilov & Hutter): `w −= lr · weightDecay · w` before each
    /// update; nil or 0 for none.
    public var weightDecay: Float?

    /// Settings with the given policy.
    public init(learningRate: Float, schedule: (any LearningRateSchedule)? = nil, learningRateMultiplier: Float = 1,
                clipping: GradientClipping = GradientClipping(), weightDecay: Float? = nil) {
        self.learningRate = learningRate
        self.schedule = schedule
        self.learningRateMultiplier = learningRateMultiplier
        self.clipping = clipping
        self.weightDecay = weightDecay
    }

    /// The learning rate in force at `step`.
    public func learningRate(atStep step: Int) -> Float {
        (schedule?.learningRate(atStep: step) ?? learningRate) * learningRateMultiplier
    }

    /// Makes `rate` the learning rate in force at `step`: the constant rate without a
    /// schedule, the multiplier of the schedule with one.
    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for a rate that
    ///   is not positive and finite, or a schedule whose rate at `step` is 0.
    public mutating func setLearningRate(_ rate: Float, atStep step: Int) throws {
        try validateLearningRate(rate, "optimizer")
        guard let schedule else {
            learningRate = rate
            learningRateMultiplier = 1
            return
        }
        let scheduled = schedule.learningRate(atStep: step)
        guard scheduled > 0, scheduled.isFinite else {
            throw LayersError.invalidArgument(
                layer: "optimizer", argument: "learningRate", value: "\(rate)",
                reason: "the schedule's rate at step \(step) is \(scheduled), so it cannot be scaled to another value")
        }
        learningRateMultiplier = rate / scheduled
    }

    /// The first bad hyper-parameter an optimizer's `init` found, kept until `compile` (or
    /// the first update) reports it, as a layer's are: so an optimizer is made without `try`.
    var problem: LayersError?

    /// Runs `check`, keeping the first error it throws as ``problem``.
    mutating func record(_ check: () throws -> Void) {
        guard problem == nil else { return }
        do { try check() } catch let error as LayersError { problem = error } catch { problem = .invalidData("\(error)") }
    }

    /// Throws the first bad hyper-parameter the optimizer was made with.
    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` naming the optimizer and the argument.
    public func throwIfInvalid() throws {
        if let problem { throw problem }
    }

    /// The hyper-parameter errors of these settings, for the optimizers' inits.
    func validate(_ optimizer: String) throws {
        try validateLearningRate(learningRate, optimizer)
        if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) {
            throw LayersError.invalidArgument(
                layer: optimizer, argument: "weightDecay", value: "\(weightDecay)", reason: "expected a finite value >= 0")
        }
        guard learningRateMultiplier > 0, learningRateMultiplier.isFinite else {
            throw LayersError.invalidArgument(
                layer: optimizer, argument: "learningRateMultiplier", value: "\(learningRateMultiplier)",
                reason: "expected a positive, finite value")
        }
        try clipping.validate(optimizer)
    }
}

/// An optimizer's state tensor: `existing`, or zeros shaped like `weights` when there is none
/// yet or it does not fit (state starts at zero, and restarts if the weights change size).
func stateTensor(_ existing: Tensor?, like weights: Tensor) -> Tensor {
    if let existing, existing.shape == weights.shape { return existing }
    return Tensor.zeros(like: weights)
}

/// Checks a learning rate for an optimizer's init.
func validateLearningRate(_ rate: Float, _ optimizer: String) throws {
    guard rate > 0, rate.isFinite else {
        throw LayersError.invalidArgument(layer: optimizer, argument: "learningRate", value: "\(rate)", reason: "expected a positive, finite value")
    }
}
