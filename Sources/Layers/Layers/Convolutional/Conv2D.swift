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
    public var computedAlgorithm: Conv2DKernel.Algorithm? { convolution?.algorithm }
    /// The weights `[kh, kw, inputChannels, filters]`.
    public var kernel: Parameter
    /// The bias `[filters]` (empty when `useBias` is false).
    public var bias: Parameter

    private var check = HyperparameterCheck("Conv2D")
    private var convolution: Conv2DKernel?
    private var needsInputGradient = true
    private var input = Tensor([])
    private var output = Tensor([])
    /// The convolution before the activation, for an activation that needs its input.
    private var preActivation = Tensor([])
    private var gradients = Conv2DKernel.Gradients()

    /// A convolution with `filters` kernels of `kernelSize`.
    public init(
        filters: Int, kernelSize: Size2D, strides: Size2D = 1, padding: Padding = .valid,
        activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, algorithm: Conv2DKernel.Algorithm? = nil
    ) {
        self.filters = filters
        self.algorithm = algorithm
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
        let winogradFits = kernelSize.height == 3 && kernelSize.width == 3 && strides.height == 1 && strides.width == 1
        check.require(algorithm == nil || algorithm == .im2col || winogradFits, "algorithm", algorithm?.rawValue ?? "",
                      "expected a 3x3 kernel with stride 1 for Winograd; use .im2col or leave the choice to the layer")
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
                strides: (strides.height, strides.width), padding: padding, algorithm: algorithm)
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
        try convolution!.forward(input, weights: kernel.value, bias: useBias ? bias.value : nil,
                                 activation: fusedActivation, into: &output)
        if activation.needsInput { preActivation = output }  // GELU and swish differentiate from their input
        if fusedActivation == .identity { try activation.apply(to: &output) }
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard fusedActivation == .identity else { return try backward(outputGradient, fused: fusedActivation) }
        return try backward(preActivationGradient: activation.backward(
            input: activation.needsInput ? preActivation : nil, output: output, outputGradient: outputGradient))
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor {
        try backward(gradient, fused: .identity)
    }

    /// The activations the kernel applies (and differentiates) in its own passes; the others
    /// are a separate pass here.
    private var fusedActivation: FusedActivation { activation == .relu ? .relu : .identity }

    private mutating func backward(_ gradient: Tensor, fused: FusedActivation) throws -> Tensor {
        guard convolution != nil else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try convolution!.backward(input: input, output: output, outputGradient: gradient, weights: kernel.value,
                                  activation: fused, inputGradient: needsInputGradient, into: &gradients)
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
        var algorithm: Conv2DKernel.Algorithm?
    }
    public var configuration: Configuration {
        Configuration(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, activation: activation,
                      useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
                      kernelRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer, algorithm: algorithm)
    }
    public init(configuration c: Configuration) {
        self.init(filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding,
                  activation: c.activation, useBias: c.useBias, kernelInitializer: c.kernelInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer, biasRegularizer: c.biasRegularizer,
                  algorithm: c.algorithm)
    }
}
