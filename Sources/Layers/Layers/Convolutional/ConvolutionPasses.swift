import Tensor

/// The forward and backward passes every convolution layer shares, over NHWC batches: the
/// kernel, the activation (a ReLU inside the kernel's own passes, any other as a pass of its
/// own) and the tensors backward needs. `Conv1D` gives it sequences as images one row high.
struct ConvolutionPasses {
    /// The kernel for the layer's geometry.
    var kernel: Conv2DKernel
    let activation: ActivationFunction
    /// False when no layer before needs the input's gradient (the first layer of a model).
    let needsInputGradient: Bool
    private var input = Tensor([])
    private var output = Tensor([])
    /// The convolution before the activation, for an activation that needs its input.
    private var preActivation = Tensor([])
    private var gradients = Conv2DKernel.Gradients()

    init(kernel: Conv2DKernel, activation: ActivationFunction, needsInputGradient: Bool) {
        self.kernel = kernel
        self.activation = activation
        self.needsInputGradient = needsInputGradient
    }

    /// The activations the kernel applies (and differentiates) in its own passes.
    private var fusedActivation: FusedActivation { activation == .relu ? .relu : .identity }

    /// `activation(conv(input, weights) + bias)`, with `weights` of the kernel's `[kh, kw, in, filters]` shape.
    mutating func forward(_ input: Tensor, weights: Tensor, bias: Tensor?) throws -> Tensor {
        self.input = input
        try kernel.forward(input, weights: weights, bias: bias, activation: fusedActivation, into: &output)
        if activation.needsInput { preActivation = output }  // GELU and swish differentiate from their input
        if fusedActivation == .identity { try activation.apply(to: &output) }
        return output
    }

    /// The gradients with respect to the input (empty when not needed), the weights and the
    /// bias, from the gradient with respect to the output (`preActivation`: to the
    /// convolution's result before the activation, as a fused loss gives it).
    mutating func backward(_ outputGradient: Tensor, weights: Tensor, preActivation isPreActivation: Bool = false) throws
        -> Conv2DKernel.Gradients {
        var (gradient, fused) = (outputGradient, isPreActivation ? .identity : fusedActivation)
        if !isPreActivation, fused == .identity {
            gradient = try activation.backward(input: activation.needsInput ? preActivation : nil, output: output,
                                               outputGradient: outputGradient)
        }
        try kernel.backward(input: input, output: output, outputGradient: gradient, weights: weights,
                            activation: fused, inputGradient: needsInputGradient, into: &gradients)
        return gradients
    }
}
