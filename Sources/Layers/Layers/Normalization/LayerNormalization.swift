import Tensor

/// Normalises each sample's vectors on their last axis (the features of each token, or of
/// each pixel) to zero mean and unit variance, then scales by `gamma` and shifts by `beta`
/// per feature, as Keras's `LayerNormalization(axis=-1)`.
///
/// Unlike ``BatchNormalization`` it uses no batch statistics, so it behaves the same in
/// training and inference and for any batch size: the normalisation of transformers.
///
/// ```swift
/// let block = Sequential { Input(shape: [16, 64]); LayerNormalization(); Dense(units: 64, activation: .gelu()) }
/// ```
public struct LayerNormalization: Layer {
    public var name = ""
    /// Added to the variance before the square root (Keras's default 0.001).
    public let epsilon: Float
    /// Whether the layer adds the trained offset `beta`.
    public let center: Bool
    /// Whether the layer multiplies by the trained scale `gamma`.
    public let scale: Bool
    /// Scale `[features]`, starts at 1 (empty when `scale` is false).
    public var gamma: Parameter
    /// Shift `[features]`, starts at 0 (empty when `center` is false).
    public var beta: Parameter

    private var check = HyperparameterCheck("LayerNormalization")
    private var kernel: LayerNormKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])

    /// Layer normalisation over the last axis.
    public init(
        epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
        betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil
    ) {
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        gamma = Parameter(name: "gamma", regularizer: gammaRegularizer)
        beta = Parameter(name: "beta", regularizer: betaRegularizer)
        check.require(epsilon > 0 && epsilon.isFinite, "epsilon", epsilon, "expected a positive finite value")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard let features = inputShape.last, features > 0 else {
            throw incompatibleInput(name, expected: "(None, ..., features)", received: inputShape)
        }
        if scale { gamma.value = try Tensor.ones([features]) }
        if center { beta.value = try Tensor.zeros([features]) }
        kernel = try LayerNormKernel(features: features, epsilon: epsilon)
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard kernel != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        try kernel!.forward(input, gamma: scale ? gamma.value : nil, beta: center ? beta.value : nil, into: &output)
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let kernel else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        // Without `scale` or `center` the unused gradient lands in a parameter that is not listed.
        try kernel.backward(outputGradient: outputGradient, gamma: scale ? gamma.value : nil, into: &inputGradient,
                            gammaGradient: &gamma.gradient, betaGradient: &beta.gradient)
        return inputGradient
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        if scale { try body(&gamma) }
        if center { try body(&beta) }
    }
}

// MARK: Saving

extension LayerNormalization: SerializableLayer {
    public struct Configuration: Codable {
        var epsilon: Float
        var center, scale: Bool
        var betaRegularizer, gammaRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(epsilon: epsilon, center: center, scale: scale, betaRegularizer: beta.regularizer,
                      gammaRegularizer: gamma.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(epsilon: c.epsilon, center: c.center, scale: c.scale, betaRegularizer: c.betaRegularizer,
                  gammaRegularizer: c.gammaRegularizer)
    }
}
