/// What ``Conv2DKernel`` asks of the implementation of an ``Conv2DKernel/Algorithm``, made for
/// one geometry: NHWC images `[N, H, W, C]`, weights `[KH, KW, C, F]`, outputs `[N, OH, OW, F]`,
/// all contiguous. Implementations split the batch across threads themselves (``ImageBlocks``)
/// and sum per-thread gradients in a fixed order (``PartialSums``).
protocol ConvolutionAlgorithm: Sendable {
    /// `activation(convolution + bias)` of `batch` images into `output`.
    func forward(
        _ input: UnsafePointer<Float>, batch: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        activation: FusedActivation, into output: UnsafeMutablePointer<Float>
    )

    /// The weight and bias gradients (overwritten) and, when `inputGradient` is not nil, the
    /// input gradient, given the gradient with respect to the output of
    /// `forward(input, ..., activation: activation)`, whose `output` a ReLU needs.
    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>?, outputGradient: UnsafePointer<Float>, batch: Int,
        weights: UnsafePointer<Float>, activation: FusedActivation, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
    )
}
