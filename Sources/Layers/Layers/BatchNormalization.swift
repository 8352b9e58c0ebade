import Tensor

/// Normalises each feature (the last axis: channels of images) to zero mean and unit
/// variance, then scales by `gamma` and shifts by `beta`.
///
/// While training it uses the batch's statistics and updates the moving averages
/// `moving = momentum · moving + (1 − momentum) · batch`; at inference it uses the moving
/// averages. Keras's defaults: momentum 0.99, epsilon 0.001.
public struct BatchNormalization: Layer {
    public var name = ""
    /// The weight of the old value in the moving averages.
    public let momentum: Float
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// Scale `[features]`, starts at 1.
    public var gamma = Parameter(name: "gamma")
    /// Shift `[features]`, starts at 0.
    public var beta = Parameter(name: "beta")
    /// The moving mean `[features]` (not trained).
    public var movingMean = Parameter(name: "moving_mean", trainable: false)
    /// The moving (biased) variance `[features]` (not trained).
    public var movingVariance = Parameter(name: "moving_variance", trainable: false)

    private var check = HyperparameterCheck("BatchNormalization")
    private var normalized = Tensor([])      // x̂ of the last forward pass, [rows, features]
    private var inverseStd = Tensor([])      // 1 / √(var + ε) used by that pass
    private var usedBatchStatistics = false

    /// Batch normalisation over the last axis.
    public init(momentum: Float = 0.99, epsilon: Float = 1e-3) {
        self.momentum = momentum
        self.epsilon = epsilon
        check.require(momentum >= 0 && momentum <= 1, "momentum", momentum, "expected a value in [0, 1]")
        check.require(epsilon > 0, "epsilon", epsilon, "expected a positive value")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard let features = inputShape.last else {
            throw incompatibleInput(name, expected: "(None, ..., features)", received: inputShape)
        }
        gamma.value = try Initializer.ones.makeTensor([features], using: &context.generator)
        beta.value = try Initializer.zeros.makeTensor([features], using: &context.generator)
        movingMean.value = try Initializer.zeros.makeTensor([features], using: &context.generator)
        movingVariance.value = try Initializer.ones.makeTensor([features], using: &context.generator)
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let features = input.shape.last ?? 1
        let rows = try input.reshaped([-1, features])
        usedBatchStatistics = context.training
        let mean: Tensor
        let variance: Tensor
        if context.training {
            mean = try rows.mean(alongAxis: 0)
            variance = try rows.broadcastingLastAxis(mean) { ($0 - $1) * ($0 - $1) }.mean(alongAxis: 0)
            let m = momentum
            try movingMean.value.zipInPlace(mean) { old, new in m * old + (1 - m) * new }
            try movingVariance.value.zipInPlace(variance) { old, new in m * old + (1 - m) * new }
        } else {
            mean = movingMean.value
            variance = movingVariance.value
        }
        let epsilon = epsilon
        inverseStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        normalized = try rows.broadcastingLastAxis(mean, -).broadcastingLastAxis(inverseStd, *)
        let output = try normalized.broadcastingLastAxis(gamma.value, *).broadcastingLastAxis(beta.value, +)
        return try output.reshaped(input.shape)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        let features = outputGradient.shape.last ?? 1
        let dy = try outputGradient.reshaped([-1, features])
        beta.gradient = try dy.sum(alongAxis: 0)
        gamma.gradient = try (dy * normalized).sum(alongAxis: 0)
        let dNormalized = try dy.broadcastingLastAxis(gamma.value, *)
        guard usedBatchStatistics else {
            return try dNormalized.broadcastingLastAxis(inverseStd, *).reshaped(outputGradient.shape)
        }
        // dx = (1/M)·σ⁻¹·(M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)), the sums over the rows.
        let m = Float(dy.shape[0])
        let sumD = try dNormalized.sum(alongAxis: 0)
        let sumDX = try (dNormalized * normalized).sum(alongAxis: 0)
        let projected = try normalized.broadcastingLastAxis(sumDX, *)
        let centred = try (dNormalized * m).broadcastingLastAxis(sumD, -) - projected
        let dx = try centred.broadcastingLastAxis(inverseStd) { value, s in value * s / m }
        return try dx.reshaped(outputGradient.shape)
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&gamma)
        try body(&beta)
        try body(&movingMean)
        try body(&movingVariance)
    }
}
