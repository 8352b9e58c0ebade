import Tensor

/// A layer's activation as a pass of its own after the layer's kernel, and its derivative:
/// keeps what backward needs (the output, and the input for GELU and swish, while training only).
struct ActivationPass {
    let activation: ActivationFunction
    private var output = Tensor([])
    private var preActivation = Tensor([])

    init(_ activation: ActivationFunction) { self.activation = activation }

    /// `activation(z)`, in `z`'s place.
    mutating func forward(_ z: inout Tensor, training: Bool) throws -> Tensor {
        preActivation = activation.needsInput && training ? z : Tensor([])
        try activation.apply(to: &z)
        output = z
        return output
    }

    /// dLoss/dz from dLoss/dOutput for the last ``forward(_:training:)``.
    func backward(_ outputGradient: Tensor) throws -> Tensor {
        try activation.backward(input: activation.needsInput ? preActivation : nil, output: output,
                                outputGradient: outputGradient)
    }
}
