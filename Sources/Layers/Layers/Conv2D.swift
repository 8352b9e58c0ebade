import Tensor

/// A 2-D convolution over NHWC images: `activation(conv(x, kernel) + bias)` with `kernel`
/// of shape `[kh, kw, inputChannels, filters]`. Computed as im2col + one GEMM per batch.
public struct Conv2D: ActivatedLayer {
    public var name = ""
    /// Output channels.
    public let filters: Int
    /// The kernel's height and width.
    public let kernelSize: Size2D
    /// The step between windows.
    public let strides: Size2D
    /// `.valid` (no padding) or `.same` (output size = input size / stride, rounded up).
    public let padding: Padding
    public let activation: ActivationFunction
    /// Whether the layer adds a bias.
    public let useBias: Bool
    /// How the kernel and the bias start.
    public let kernelInitializer, biasInitializer: Initializer
    /// The weights `[kh, kw, inputChannels, filters]`.
    public var kernel: Parameter
    /// The bias `[filters]` (empty when `useBias` is false).
    public var bias: Parameter

    private var check = HyperparameterCheck("Conv2D")
    private var convolution: Conv2DKernel?
    private var needsInputGradient = true
    private var input = Tensor([])
    private var output = Tensor([])
    private var gradients = Conv2DKernel.Gradients()

    /// A convolution with `filters` kernels of `kernelSize`.
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
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        kernel = Parameter(name: "kernel", regularizer: kernelRegularizer)
        bias = Parameter(name: "bias", regularizer: biasRegularizer)
        check.require(filters > 0, "filters", filters, "expected a positive integer")
        check.require(kernelSize.isPositive, "kernelSize", kernelSize, "expected positive sizes")
        check.require(strides.isPositive, "strides", strides, "expected positive strides")
        check.require(activation != .softmax, "activation", "softmax", "softmax over channels is not supported in Conv2D")
        activation.check(&check)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape,
                                    hint: inputShape.count == 2 ? "add Reshape([h, w, 1]) to give images a channel axis" : nil)
        }
        do {
            convolution = try Conv2DKernel(
                inputShape: inputShape, filters: filters, kernelSize: (kernelSize.height, kernelSize.width),
                strides: (strides.height, strides.width), padding: padding)
        } catch let error as TensorError {
            throw incompatibleInput(name, expected: "images at least \(kernelSize.height)x\(kernelSize.width) with padding .valid",
                                    received: inputShape, hint: "use padding: .same or a smaller kernel (\(error))")
        }
        kernel.value = try kernelInitializer.makeTensor(convolution!.weightShape, using: &context.generator)
        if useBias { bias.value = try biasInitializer.makeTensor([filters], using: &context.generator) }
        needsInputGradient = context.needsInputGradient
        return convolution!.outputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard convolution != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        self.input = input
        try convolution!.forward(input, weights: kernel.value, bias: useBias ? bias.value : nil, into: &output)
        try activation.apply(to: &output)
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try backward(preActivationGradient: activation.backward(output: output, outputGradient: outputGradient))
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor {
        guard convolution != nil else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try convolution!.backward(input: input, outputGradient: gradient, weights: kernel.value,
                                  inputGradient: needsInputGradient, into: &gradients)
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

extension Conv2D: SerializableLayer {
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
