import Tensor

/// A 2-D convolution over NHWC images: `activation(conv(x, kernel) + bias)` with `kernel`
/// of shape `[kh, kw, inputChannels, filters]`, computed by ``Conv2DKernel`` with the
/// algorithm it prefers for the geometry (Winograd for 3×3 stride-1 kernels over 8 or more
/// channels, im2col + GEMM otherwise) unless `algorithm` asks for one. A ReLU activation is
/// applied and differentiated inside the kernel's own passes.
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
    /// The algorithm asked for; nil lets ``Conv2DKernel/Algorithm/preferred(for:inputChannels:)`` choose.
    public let algorithm: Conv2DKernel.Algorithm?
    /// The algorithm the built layer computes with (nil before `build`); the model's summary lists it.
    public var computedAlgorithm: Conv2DKernel.Algorithm? { convolution?.kernel.algorithm }
    /// The weights `[kh, kw, inputChannels, filters]`.
    public var kernel: Parameter
    /// The bias `[filters]` (empty when `useBias` is false).
    public var bias: Parameter

    /// The step between the kernel's taps (1: adjacent pixels).
    public let dilationRate: Size2D

    private var check = HyperparameterCheck("Conv2D")
    private var convolution: ConvolutionPasses?

    /// A convolution with `filters` kernels of `kernelSize`.
    public init(
        filters: Int, kernelSize: Size2D, strides: Size2D = 1, padding: Padding = .valid, dilationRate: Size2D = 1,
        activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, algorithm: Conv2DKernel.Algorithm? = nil
    ) {
        self.filters = filters
        self.algorithm = algorithm
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        kernel = Parameter(name: "kernel", regularizer: kernelRegularizer)
        bias = Parameter(name: "bias", regularizer: biasRegularizer)
        check.require(filters > 0, "filters", filters, "expected a positive integer")
        check.requireWindow(kernelSize: kernelSize, strides: strides, dilationRate: dilationRate, padding: padding)
        check.require(activation != .softmax, "activation", "softmax", "softmax over channels is not supported in Conv2D")
        activation.check(&check)
        let winogradFits = kernelSize.height == 3 && kernelSize.width == 3 && strides == 1 && dilationRate == 1
        check.require(algorithm == nil || algorithm == .im2col || winogradFits, "algorithm", algorithm?.rawValue ?? "",
                      "expected a 3x3 kernel with stride 1 and no dilation for Winograd; use .im2col or leave the choice to the layer")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape,
                                    hint: inputShape.count == 2 ? "add Reshape([h, w, 1]) to give images a channel axis" : nil)
        }
        let convolution: Conv2DKernel
        do {
            convolution = try Conv2DKernel(
                inputShape: inputShape, filters: filters, kernelSize: (kernelSize.height, kernelSize.width),
                strides: (strides.height, strides.width), dilation: (dilationRate.height, dilationRate.width),
                padding: padding, algorithm: algorithm)
        } catch let error as TensorError {
            throw incompatibleInput(name, expected: "images at least \(kernelSize.height)x\(kernelSize.width) with padding .valid",
                                    received: inputShape, hint: "use padding: .same or a smaller kernel (\(error))")
        }
        kernel.value = try kernelInitializer.makeTensor(convolution.weightShape, using: &context.generator)
        if useBias { bias.value = try biasInitializer.makeTensor([filters], using: &context.generator) }
        self.convolution = ConvolutionPasses(kernel: convolution, activation: activation,
                                             needsInputGradient: context.needsInputGradient)
        return convolution.outputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard convolution != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        return try convolution!.forward(input, weights: kernel.value, bias: useBias ? bias.value : nil)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try backward(outputGradient, preActivation: false)
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor {
        try backward(gradient, preActivation: true)
    }

    private mutating func backward(_ gradient: Tensor, preActivation: Bool) throws -> Tensor {
        guard convolution != nil else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        let gradients = try convolution!.backward(gradient, weights: kernel.value, preActivation: preActivation)
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
        /// Absent (1) in files of earlier versions.
        var dilationRate: Size2D?
        var activation: ActivationFunction
        var useBias: Bool
        var kernelInitializer, biasInitializer: Initializer
        var kernelRegularizer, biasRegularizer: Regularizer?
        var algorithm: Conv2DKernel.Algorithm?
    }
    public var configuration: Configuration {
        Configuration(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding,
                      dilationRate: dilationRate == 1 ? nil : dilationRate, activation: activation,
                      useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
                      kernelRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer, algorithm: algorithm)
    }
    public init(configuration c: Configuration) {
        self.init(filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding,
                  dilationRate: c.dilationRate ?? 1, activation: c.activation, useBias: c.useBias, kernelInitializer: c.kernelInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer, biasRegularizer: c.biasRegularizer,
                  algorithm: c.algorithm)
    }
}
