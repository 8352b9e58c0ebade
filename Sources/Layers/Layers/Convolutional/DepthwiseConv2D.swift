import Tensor

/// A depthwise 2-D convolution over NHWC images, as Keras's `DepthwiseConv2D`: each input
/// channel convolved with its own `depthMultiplier` kernels (output channel `c · m + j`), with
/// `kernel` of shape `[kh, kw, inputChannels, depthMultiplier]`: MobileNet's spatial step,
/// `kh · kw` multiply-adds per output scalar instead of `kh · kw · inputChannels`. Runs on
/// ``DepthwiseConv2DKernel``.
///
/// ```swift
/// DepthwiseConv2D(kernelSize: 3, padding: .same, activation: .relu)
/// ```
public struct DepthwiseConv2D: ActivatedLayer {
    public var name = ""
    /// The kernel's height and width.
    public let kernelSize: Size2D
    /// The step between windows.
    public let strides: Size2D
    /// `.valid` (no padding) or `.same` (output size = input size / stride, rounded up).
    public let padding: Padding
    /// Kernels per input channel.
    public let depthMultiplier: Int
    /// The step between the kernel's taps (1: adjacent pixels).
    public let dilationRate: Size2D
    public let activation: ActivationFunction
    /// Whether the layer adds a bias.
    public let useBias: Bool
    /// How the kernel and the bias start.
    public let depthwiseInitializer, biasInitializer: Initializer
    /// The weights `[kh, kw, inputChannels, depthMultiplier]`.
    public var kernel: Parameter
    /// The bias `[inputChannels · depthMultiplier]` (empty when `useBias` is false).
    public var bias: Parameter

    private var check = HyperparameterCheck("DepthwiseConv2D")
    private var convolution: DepthwiseConv2DKernel?
    private var needsInputGradient = true
    private var input = Tensor([])
    private var convolved = Tensor([])
    private var activationPass: ActivationPass
    private var gradients = DepthwiseConv2DKernel.Gradients()

    /// A depthwise convolution with `depthMultiplier` kernels of `kernelSize` per channel.
    public init(
        kernelSize: Size2D, strides: Size2D = 1, padding: Padding = .valid, depthMultiplier: Int = 1,
        dilationRate: Size2D = 1, activation: ActivationFunction = .linear, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        depthwiseRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilationRate = dilationRate
        self.activation = activation
        activationPass = ActivationPass(activation)
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.biasInitializer = biasInitializer
        kernel = Parameter(name: "kernel", regularizer: depthwiseRegularizer)
        bias = Parameter(name: "bias", regularizer: biasRegularizer)
        check.requireWindow(kernelSize: kernelSize, strides: strides, dilationRate: dilationRate, padding: padding)
        check.require((1...65536).contains(depthMultiplier), "depthMultiplier", depthMultiplier, "expected a positive integer")
        check.require(activation != .softmax, "activation", "softmax", "softmax over channels is not supported in DepthwiseConv2D")
        activation.check(&check)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        let convolution = try makeDepthwiseKernel(name, inputShape: inputShape, kernelSize: kernelSize, strides: strides,
                                                  dilationRate: dilationRate, padding: padding, multiplier: depthMultiplier)
        kernel.value = try depthwiseInitializer.makeTensor(convolution.weightShape, using: &context.generator)
        if useBias { bias.value = try biasInitializer.makeTensor([convolution.outputChannels], using: &context.generator) }
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

extension HyperparameterCheck {
    /// The checks every 2-D convolution layer makes on its window.
    mutating func requireWindow(kernelSize: Size2D, strides: Size2D, dilationRate: Size2D, padding: Padding) {
        require(kernelSize.isPositive, "kernelSize", kernelSize, "expected positive sizes")
        require(strides.isPositive, "strides", strides, "expected positive strides")
        require(dilationRate.isPositive, "dilationRate", dilationRate, "expected positive rates")
        require(dilationRate == 1 || strides == 1, "dilationRate", dilationRate,
                "expected strides 1 with a dilation rate above 1, as Keras")
        require(padding != .causal, "padding", "causal", "expected .valid or .same; causal padding is Conv1D's")
    }
}

/// The depthwise kernel of a layer for `inputShape`, or an input error naming the layer.
func makeDepthwiseKernel(
    _ name: String, inputShape: [Int], kernelSize: Size2D, strides: Size2D, dilationRate: Size2D, padding: Padding,
    multiplier: Int
) throws -> DepthwiseConv2DKernel {
    guard inputShape.count == 3 else {
        throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
    }
    do {
        return try DepthwiseConv2DKernel(
            inputShape: inputShape, multiplier: multiplier, kernelSize: (kernelSize.height, kernelSize.width),
            strides: (strides.height, strides.width), dilation: (dilationRate.height, dilationRate.width), padding: padding)
    } catch let error as TensorError {
        throw incompatibleInput(name, expected: "images at least \(kernelSize.height)x\(kernelSize.width) with padding .valid",
                                received: inputShape, hint: "use padding: .same or a smaller kernel (\(error))")
    }
}

// MARK: Saving

extension DepthwiseConv2D: SerializableLayer {
    public struct Configuration: Codable {
        var kernelSize, strides: Size2D
        var padding: Padding
        var depthMultiplier: Int
        var dilationRate: Size2D
        var activation: ActivationFunction
        var useBias: Bool
        var depthwiseInitializer, biasInitializer: Initializer
        var depthwiseRegularizer, biasRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(kernelSize: kernelSize, strides: strides, padding: padding, depthMultiplier: depthMultiplier,
                      dilationRate: dilationRate, activation: activation, useBias: useBias,
                      depthwiseInitializer: depthwiseInitializer, biasInitializer: biasInitializer,
                      depthwiseRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(kernelSize: c.kernelSize, strides: c.strides, padding: c.padding, depthMultiplier: c.depthMultiplier,
                  dilationRate: c.dilationRate, activation: c.activation, useBias: c.useBias,
                  depthwiseInitializer: c.depthwiseInitializer, biasInitializer: c.biasInitializer,
                  depthwiseRegularizer: c.depthwiseRegularizer, biasRegularizer: c.biasRegularizer)
    }
}
