import Tensor

/// Normalises each feature (the last axis: channels of images) to zero mean and unit
/// variance, then scales by `gamma` and shifts by `beta`.
///
/// While training it uses the batch's statistics and updates the moving averages
/// `moving = momentum · moving + (1 − momentum) · batch`; at inference it uses the moving
/// averages. Keras's defaults: momentum 0.99, epsilon 0.001.
///
/// The moving averages start at mean 0 and variance 1 and forget that start by
/// `momentum^steps`: with 0.99, about 1.4 % is left after 422 steps (one MNIST epoch at
/// batch 128). When the real variance is far from 1 (a first convolution's outputs are
/// around 0.005), inference in the first epoch is off, as in Keras; a lower momentum
/// forgets faster.
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
    public var movingVariance = Parameter(name: "moving_variance", trainable: false, nonNegative: true)

    /// Whether this copy also applies the ReLU that alone reads its output in a model: the
    /// model sets it on its own copy (see ``Model/fusesLayers``), so that one pass does both
    /// and the ReLU node passes its input through; a layer you make never has it.
    var rectifiesOutput = false

    private var check = HyperparameterCheck("BatchNormalization")
    private var kernel: BatchNormKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])

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
        kernel = try BatchNormKernel(features: features, epsilon: epsilon)
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard kernel != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        try kernel!.forward(input, gamma: gamma.value, beta: beta.value, movingMean: &movingMean.value,
                            movingVariance: &movingVariance.value, momentum: momentum, training: context.training,
                            activation: rectifiesOutput ? .relu : .identity, into: &output)
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let kernel else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try kernel.backward(outputGradient: outputGradient, gamma: gamma.value, activation: rectifiesOutput ? .relu : .identity,
                            output: output, into: &inputGradient, gammaGradient: &gamma.gradient, betaGradient: &beta.gradient)
        return inputGradient
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&gamma)
        try body(&beta)
        try body(&movingMean)
        try body(&movingVariance)
    }
}

// MARK: Saving

extension BatchNormalization: SerializableLayer {
    public struct Configuration: Codable { var momentum, epsilon: Float }
    public var configuration: Configuration { Configuration(momentum: momentum, epsilon: epsilon) }
    public init(configuration: Configuration) { self.init(momentum: configuration.momentum, epsilon: configuration.epsilon) }
}
