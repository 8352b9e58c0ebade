import Tensor

/// A 1-D convolution over sequences `[steps, channels]`: `activation(conv(x, kernel) + bias)`
/// with `kernel` of shape `[kernelSize, inputChannels, filters]`, as Keras's `Conv1D`.
/// `padding: .causal` pads the start only, so that step `t` of the output sees steps `≤ t` of
/// the input (WaveNet-style stacks with growing `dilationRate`). It runs on ``Conv2DKernel``
/// with each sequence as an image one row high.
///
/// ```swift
/// let model = Sequential {
///     Input(shape: [100, 8])
///     Conv1D(filters: 16, kernelSize: 3, padding: .causal, dilationRate: 2, activation: .relu)
///     GlobalAveragePooling1D()
///     Dense(units: 1)
/// }
/// ```
public struct Conv1D: ActivatedLayer {
    public var name = ""
    /// Output channels.
    public let filters: Int
    /// The window's length in steps.
    public let kernelSize: Int
    /// The step between windows.
    public let strides: Int
    /// `.valid` (no padding), `.same` (output steps = input steps / stride, rounded up) or
    /// `.causal` (`(kernelSize - 1) · dilationRate` zeros before the first step).
    public let padding: Padding
    /// The step between the kernel's taps (1: adjacent steps).
    public let dilationRate: Int
    public let activation: ActivationFunction
    /// Whether the layer adds a bias.
    public let useBias: Bool
    /// How the kernel and the bias start.
    public let kernelInitializer, biasInitializer: Initializer
    /// The weights `[kernelSize, inputChannels, filters]`.
    public var kernel: Parameter
    /// The bias `[filters]` (empty when `useBias` is false).
    public var bias: Parameter

    private var check = HyperparameterCheck("Conv1D")
    private var convolution: ConvolutionPasses?

    /// A convolution with `filters` kernels of `kernelSize` steps.
    public init(
        filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dilationRate: Int = 1,
        activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        self.filters = filters
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
        check.require((1...65536).contains(kernelSize), "kernelSize", kernelSize, "expected a positive integer")
        check.require((1...65536).contains(strides), "strides", strides, "expected a positive integer")
        check.require((1...65536).contains(dilationRate), "dilationRate", dilationRate, "expected a positive integer")
        check.require(dilationRate == 1 || strides == 1, "dilationRate", dilationRate,
                      "expected strides 1 with a dilation rate above 1, as Keras")
        check.require(activation != .softmax, "activation", "softmax", "softmax over channels is not supported in Conv1D")
        activation.check(&check)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShape.count == 2 else {
            throw incompatibleInput(name, expected: "(None, steps, channels)", received: inputShape,
                                    hint: inputShape.count == 1 ? "add Reshape([steps, 1]) to give steps a channel axis" : nil)
        }
        let convolution: Conv2DKernel
        do {
            convolution = try Conv2DKernel(
                inputShape: [1] + inputShape, filters: filters, kernelSize: (1, kernelSize), strides: (1, strides),
                dilation: (1, dilationRate), padding: padding, algorithm: .im2col)
        } catch let error as TensorError {
            let span = (kernelSize - 1) * dilationRate + 1
            throw incompatibleInput(name, expected: "sequences of at least \(span) steps with padding .valid",
                                    received: inputShape, hint: "use padding: .same or .causal, or a smaller kernel (\(error))")
        }
        kernel.value = try kernelInitializer.makeTensor([kernelSize, inputShape[1], filters], using: &context.generator)
        if useBias { bias.value = try biasInitializer.makeTensor([filters], using: &context.generator) }
        self.convolution = ConvolutionPasses(kernel: convolution, activation: activation,
                                             needsInputGradient: context.needsInputGradient)
        return [convolution.window.outputWidth, filters]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard convolution != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        let output = try convolution!.forward(try input.sequencesAsImages(), weights: try imageKernel(),
                                              bias: useBias ? bias.value : nil)
        return try output.imagesAsSequences()
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try backward(outputGradient, preActivation: false)
    }

    public mutating func backward(preActivationGradient gradient: Tensor) throws -> Tensor {
        try backward(gradient, preActivation: true)
    }

    /// The kernel as ``Conv2DKernel`` takes it, `[1, kernelSize, inputChannels, filters]` (the same scalars).
    private func imageKernel() throws -> Tensor { try wrappingTensorErrors { try kernel.value.reshaped([1] + kernel.value.shape) } }

    private mutating func backward(_ gradient: Tensor, preActivation: Bool) throws -> Tensor {
        guard convolution != nil else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        let gradients = try convolution!.backward(try gradient.sequencesAsImages(), weights: try imageKernel(),
                                                  preActivation: preActivation)
        kernel.gradient = try gradients.weights.reshaped(kernel.value.shape)
        if useBias { bias.gradient = gradients.bias }
        return try gradients.input?.imagesAsSequences() ?? Tensor([])
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&kernel)
        if useBias { try body(&bias) }
    }
}

// MARK: Saving

extension Conv1D: SerializableLayer {
    public struct Configuration: Codable {
        var filters, kernelSize, strides: Int
        var padding: Padding
        var dilationRate: Int
        var activation: ActivationFunction
        var useBias: Bool
        var kernelInitializer, biasInitializer: Initializer
        var kernelRegularizer, biasRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, dilationRate: dilationRate,
                      activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
                      biasInitializer: biasInitializer, kernelRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding,
                  dilationRate: c.dilationRate, activation: c.activation, useBias: c.useBias,
                  kernelInitializer: c.kernelInitializer, biasInitializer: c.biasInitializer,
                  kernelRegularizer: c.kernelRegularizer, biasRegularizer: c.biasRegularizer)
    }
}
