import Tensor

/// A depthwise separable 2-D convolution over NHWC images, as Keras's `SeparableConv2D`: a
/// depthwise convolution (each channel its own `depthMultiplier` kernels, no bias) followed by
/// a pointwise 1x1 convolution to `filters` channels with the bias and activation. Weights:
/// `depthwiseKernel` `[kh, kw, inputChannels, depthMultiplier]`, `pointwiseKernel`
/// `[1, 1, inputChannels · depthMultiplier, filters]`, `bias` `[filters]`. It costs about
/// `1/filters + 1/(kh·kw)` of a full convolution's multiply-adds.
///
/// ```swift
/// SeparableConv2D(filters: 64, kernelSize: 3, padding: .same, activation: .relu)
/// ```
public struct SeparableConv2D: ActivatedLayer {
    public var name = ""
    /// Output channels.
    public let filters: Int
    /// The depthwise kernel's height and width.
    public let kernelSize: Size2D
    /// The step between windows.
    public let strides: Size2D
    /// `.valid` (no padding) or `.same` (output size = input size / stride, rounded up).
    public let padding: Padding
    /// Depthwise kernels per input channel.
    public let depthMultiplier: Int
    /// The step between the depthwise kernel's taps.
    public let dilationRate: Size2D
    public let activation: ActivationFunction
    /// Whether the layer adds a bias.
    public let useBias: Bool
    /// How the weights start.
    public let depthwiseInitializer, pointwiseInitializer, biasInitializer: Initializer
    /// The depthwise weights `[kh, kw, inputChannels, depthMultiplier]`.
    public var depthwiseKernel: Parameter
    /// The pointwise weights `[1, 1, inputChannels · depthMultiplier, filters]`.
    public var pointwiseKernel: Parameter
    /// The bias `[filters]` (empty when `useBias` is false).
    public var bias: Parameter

    private var check = HyperparameterCheck("SeparableConv2D")
    private var depthwise: DepthwiseConv2DKernel?
    private var pointwise: ConvolutionPasses?
    private var needsInputGradient = true
    private var input = Tensor([])
    private var depthwiseOutput = Tensor([])
    private var depthwiseGradients = DepthwiseConv2DKernel.Gradients()

    /// A depthwise convolution of `kernelSize`, then a pointwise one to `filters` channels.
    public init(
        filters: Int, kernelSize: Size2D, strides: Size2D = 1, padding: Padding = .valid, depthMultiplier: Int = 1,
        dilationRate: Size2D = 1, activation: ActivationFunction = .linear, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform, pointwiseInitializer: Initializer = .glorotUniform,
        biasInitializer: Initializer = .zeros, depthwiseRegularizer: Regularizer? = nil,
        pointwiseRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.pointwiseInitializer = pointwiseInitializer
        self.biasInitializer = biasInitializer
        depthwiseKernel = Parameter(name: "depthwise_kernel", regularizer: depthwiseRegularizer)
        pointwiseKernel = Parameter(name: "pointwise_kernel", regularizer: pointwiseRegularizer)
        bias = Parameter(name: "bias", regularizer: biasRegularizer)
        check.require(filters > 0, "filters", filters, "expected a positive integer")
        check.requireWindow(kernelSize: kernelSize, strides: strides, dilationRate: dilationRate, padding: padding)
        check.require((1...65536).contains(depthMultiplier), "depthMultiplier", depthMultiplier, "expected a positive integer")
        check.require(activation != .softmax, "activation", "softmax", "softmax over channels is not supported in SeparableConv2D")
        activation.check(&check)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        let depthwise = try makeDepthwiseKernel(name, inputShape: inputShape, kernelSize: kernelSize, strides: strides,
                                                dilationRate: dilationRate, padding: padding, multiplier: depthMultiplier)
        let pointwise = try wrappingTensorErrors {
            try Conv2DKernel(inputShape: depthwise.outputShape, filters: filters, kernelSize: (1, 1), algorithm: .im2col)
        }
        depthwiseKernel.value = try depthwiseInitializer.makeTensor(depthwise.weightShape, using: &context.generator)
        pointwiseKernel.value = try pointwiseInitializer.makeTensor(pointwise.weightShape, using: &context.generator)
        if useBias { bias.value = try biasInitializer.makeTensor([filters], using: &context.generator) }
        needsInputGradient = context.needsInputGradient
        self.depthwise = depthwise
        self.pointwise = ConvolutionPasses(kernel: pointwise, activation: activation, needsInputGradient: true)
        return pointwise.outputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard let depthwise, pointwise != nil else {
            throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built")
        }
        self.input = input
        try wrappingTensorErrors { try depthwise.forward(input, weights: depthwiseKernel.value, bias: nil, into: &depthwiseOutput) }
        return try pointwise!.forward(depthwiseOutput, weights: pointwiseKernel.value, bias: useBias ? bias.value : nil)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try backward(outputGradient, preActivation: false)
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor {
        try backward(gradient, preActivation: true)
    }

    private mutating func backward(_ gradient: Tensor, preActivation: Bool) throws -> Tensor {
        guard let depthwise, pointwise != nil else {
            throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built")
        }
        let pointwiseGradients = try pointwise!.backward(gradient, weights: pointwiseKernel.value, preActivation: preActivation)
        pointwiseKernel.gradient = pointwiseGradients.weights
        if useBias { bias.gradient = pointwiseGradients.bias }
        try wrappingTensorErrors {
            try depthwise.backward(input: input, outputGradient: pointwiseGradients.input!, weights: depthwiseKernel.value,
                                   inputGradient: needsInputGradient, into: &depthwiseGradients)
        }
        depthwiseKernel.gradient = depthwiseGradients.weights
        return depthwiseGradients.input ?? Tensor([])
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&depthwiseKernel)
        try body(&pointwiseKernel)
        if useBias { try body(&bias) }
    }
}

// MARK: Saving

extension SeparableConv2D: SerializableLayer {
    public struct Configuration: Codable {
        var filters: Int
        var kernelSize, strides: Size2D
        var padding: Padding
        var depthMultiplier: Int
        var dilationRate: Size2D
        var activation: ActivationFunction
        var useBias: Bool
        var depthwiseInitializer, pointwiseInitializer, biasInitializer: Initializer
        var depthwiseRegularizer, pointwiseRegularizer, biasRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding,
                      depthMultiplier: depthMultiplier, dilationRate: dilationRate, activation: activation, useBias: useBias,
                      depthwiseInitializer: depthwiseInitializer, pointwiseInitializer: pointwiseInitializer,
                      biasInitializer: biasInitializer, depthwiseRegularizer: depthwiseKernel.regularizer,
                      pointwiseRegularizer: pointwiseKernel.regularizer, biasRegularizer: bias.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding,
                  depthMultiplier: c.depthMultiplier, dilationRate: c.dilationRate, activation: c.activation,
                  useBias: c.useBias, depthwiseInitializer: c.depthwiseInitializer,
                  pointwiseInitializer: c.pointwiseInitializer, biasInitializer: c.biasInitializer,
                  depthwiseRegularizer: c.depthwiseRegularizer, pointwiseRegularizer: c.pointwiseRegularizer,
                  biasRegularizer: c.biasRegularizer)
    }
}
