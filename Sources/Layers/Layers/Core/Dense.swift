import Tensor

/// A fully connected layer: `activation(x · kernel + bias)`, with `kernel` of shape
/// `[inputFeatures, units]`, on the last axis of samples of any rank, as Keras's: samples
/// `[features]` become `[units]`, `[steps, features]` become `[steps, units]` (each step by
/// the same weights). For images, put `Flatten()` before it to connect every pixel.
public struct Dense: ActivatedLayer {
    public var name = ""
    /// Output features.
    public let units: Int
    public let activation: ActivationFunction
    /// Whether the layer adds a bias.
    public let useBias: Bool
    /// How the kernel and the bias start.
    public let kernelInitializer, biasInitializer: Initializer
    /// The weights `[inputFeatures, units]`.
    public var kernel: Parameter
    /// The bias `[units]` (empty when `useBias` is false).
    public var bias: Parameter

    private var check = HyperparameterCheck("Dense")
    private var needsInputGradient = true
    private var input = Tensor([])
    private var output = Tensor([])
    /// `x · W + b` of the last forward pass, for an activation that needs its input.
    private var preActivation = Tensor([])
    /// The last forward pass's input shape, when its samples have more than one axis.
    private var inputShape: [Int]?

    /// A dense layer of `units` outputs.
    public init(
        units: Int, activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        kernel = Parameter(name: "kernel", regularizer: kernelRegularizer)
        bias = Parameter(name: "bias", regularizer: biasRegularizer)
        check.require(units > 0, "units", units, "expected a positive integer")
        activation.check(&check)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard let features = inputShape.last, features > 0 else {
            throw incompatibleInput(name, expected: "(None, ..., features)", received: inputShape,
                                    hint: "Dense works on the last axis of its samples")
        }
        kernel.value = try kernelInitializer.makeTensor([features, units], using: &context.generator)
        if useBias { bias.value = try biasInitializer.makeTensor([units], using: &context.generator) }
        needsInputGradient = context.needsInputGradient
        return inputShape.dropLast() + [units]
    }

    /// `x` as the matrix of its last axis' vectors, `[rows, last]` (the same storage).
    private static func rows(_ x: Tensor) throws -> Tensor {
        x.rank == 2 ? x : try x.reshaped([-1, x.shape.last ?? 1])
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        self.input = try Self.rows(input)
        inputShape = input.rank == 2 ? nil : input.shape
        try Tensor.matmul(self.input, transposed: false, kernel.value, transposed: false, into: &output)
        if activation.needsInput {
            // GELU and swish differentiate from their input: keep x·W + b (while training only:
            // keeping it makes the activation write a copy).
            if useBias { try output.addBias(bias.value) }
            preActivation = context.training ? output : Tensor([])
            try activation.apply(to: &output)
        } else if useBias {
            try activation.applyWithBias(bias.value, to: &output)
        } else {
            try activation.apply(to: &output)
        }
        return input.rank == 2 ? output : try output.reshaped(input.shape.dropLast() + [units])
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try backward(preActivationGradient: activation.backward(
            input: activation.needsInput ? preActivation : nil, output: output, outputGradient: try Self.rows(outputGradient)))
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor {
        let matrix = try Self.rows(gradient)
        try Tensor.matmul(input, transposed: true, matrix, transposed: false, into: &kernel.gradient)
        if useBias { bias.gradient = try matrix.sum(alongAxis: 0) }
        guard needsInputGradient else { return Tensor([]) }
        let inputGradient = try matrix.matmul(kernel.value, transposeOther: true)
        return try inputShape.map { try inputGradient.reshaped($0) } ?? inputGradient
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&kernel)
        if useBias { try body(&bias) }
    }
}

// MARK: Saving

extension Dense: SerializableLayer {
    public struct Configuration: Codable {
        var units: Int
        var activation: ActivationFunction
        var useBias: Bool
        var kernelInitializer, biasInitializer: Initializer
        var kernelRegularizer, biasRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(units: units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
                      biasInitializer: biasInitializer, kernelRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(units: c.units, activation: c.activation, useBias: c.useBias, kernelInitializer: c.kernelInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer, biasRegularizer: c.biasRegularizer)
    }
}
