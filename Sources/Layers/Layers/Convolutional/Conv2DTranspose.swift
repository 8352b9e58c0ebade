import Tensor

/// A transposed 2-D convolution over NHWC images, as Keras's `Conv2DTranspose`: it enlarges
/// images by `strides` (the decoder half of an autoencoder or a U-Net), `[h, w, c]` becoming
/// `[h·s + max(k − s, 0), w·s + max(k − s, 0), filters]` with `.valid` and `[h·s, w·s, filters]`
/// with `.same`. Its `kernel` is Keras's `[kh, kw, filters, inputChannels]`. Runs on
/// ``Conv2DTransposeKernel``.
///
/// ```swift
/// Conv2DTranspose(filters: 32, kernelSize: 3, strides: 2, padding: .same, activation: .relu)  // 7x7 → 14x14
/// ```
public struct Conv2DTranspose: ActivatedLayer {
    public var name = ""
    /// Output channels.
    public let filters: Int
    /// The kernel's height and width.
    public let kernelSize: Size2D
    /// The enlargement: the step between the windows of the convolution this one transposes.
    public let strides: Size2D
    /// `.valid` or `.same`.
    public let padding: Padding
    public let activation: ActivationFunction
    /// Whether the layer adds a bias.
    public let useBias: Bool
    /// How the kernel and the bias start.
    public let kernelInitializer, biasInitializer: Initializer
    /// The weights `[kh, kw, filters, inputChannels]`.
    public var kernel: Parameter
    /// The bias `[filters]` (empty when `useBias` is false).
    public var bias: Parameter

    private var check = HyperparameterCheck("Conv2DTranspose")
    private var convolution: Conv2DTransposeKernel?
    private var needsInputGradient = true
    private var input = Tensor([])
    private var convolved = Tensor([])
    private var activationPass: ActivationPass
    private var gradients = Conv2DTransposeKernel.Gradients()

    /// A transposed convolution to `filters` channels with a `kernelSize` kernel.
    public init(
        filters: Int, kernelSize: Size2D, strides: Size2D = 1, padding: Padding = .valid,
        activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.activation = activation
        activationPass = ActivationPass(activation)
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        kernel = Parameter(name: "kernel", regularizer: kernelRegularizer)
        bias = Parameter(name: "bias", regularizer: biasRegularizer)
        check.require(filters > 0, "filters", filters, "expected a positive integer")
        check.requireWindow(kernelSize: kernelSize, strides: strides, dilationRate: 1, padding: padding)
        check.require(activation != .softmax, "activation", "softmax", "softmax over channels is not supported in Conv2DTranspose")
        activation.check(&check)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
        }
        let convolution = try wrappingTensorErrors {
            try Conv2DTransposeKernel(inputShape: inputShape, filters: filters, kernelSize: (kernelSize.height, kernelSize.width),
                                      strides: (strides.height, strides.width), padding: padding)
        }
        kernel.value = try kernelInitializer.makeTensor(convolution.weightShape, using: &context.generator)
        if useBias { bias.value = try biasInitializer.makeTensor([filters], using: &context.generator) }
        needsInputGradient = context.needsInputGradient
        self.convolution = convolution
        return convolution.outputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard let convolution else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        self.input = input
        try wrappingTensorErrors {
            try convolution.forward(input, weights: kernel.value, bias: useBias ? bias.value : nil, into: &convolved)
        }
        return try activationPass.forward(&convolved, training: context.training)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try backward(preActivationGradient: activationPass.backward(outputGradient))
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor {
        guard let convolution else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try wrappingTensorErrors {
            try convolution.backward(input: input, outputGradient: gradient, weights: kernel.value,
                                     inputGradient: needsInputGradient, into: &gradients)
        }
        kernel.gradient = gradients.weights
        if useBias { bias.gradient = gradients.bias }
        return gradients.input ?? Tensor([])
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&kernel)
        if useBias { try body(&bias) }
    }
}

// MARK: Saving

extension Conv2DTranspose: SerializableLayer {
    public struct Configuration: Codable {
        var filters: Int
        var kernelSize, strides: Size2D
        var padding: Padding
        var activation: ActivationFunction
        var useBias: Bool
        var kernelInitializer, biasInitializer: Initializer
        var kernelRegularizer, biasRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, activation: activation,
                      useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
                      kernelRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding,
                  activation: c.activation, useBias: c.useBias, kernelInitializer: c.kernelInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer, biasRegularizer: c.biasRegularizer)
    }
}
