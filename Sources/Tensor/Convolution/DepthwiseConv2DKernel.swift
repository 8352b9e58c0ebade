/// A depthwise 2-D convolution of NHWC images, as Keras's `DepthwiseConv2D`: each input channel
/// `c` convolved with its own `multiplier` kernels, giving output channels `c · multiplier + j`.
/// Weights are `[KH, KW, C, multiplier]`. With one kernel per channel there is no product to
/// give to GEMM: each tap is a multiply-add over the channels of a pixel, contiguous in NHWC.
///
/// The kernel follows the contract of all kernels: made from its geometry, `forward(…, into:)`
/// sizes its output, `backward(…, into:)` computes the gradients. Images are split across
/// threads; the weight and bias gradients are per-thread sums added in a fixed order, so a
/// result repeats exactly for a given thread count.
public struct DepthwiseConv2DKernel: Sendable {
    /// Where the kernel window lands on the input (strides, dilation, padding).
    public let window: WindowGeometry
    /// Channels of each input image.
    public let channels: Int
    /// Kernels per input channel.
    public let multiplier: Int

    /// The gradients of the loss with respect to the operands.
    public struct Gradients: Sendable {
        /// dL/dInput, `[N, H, W, C]`; nil when not requested.
        public var input: Tensor?
        /// dL/dWeights, `[KH, KW, C, multiplier]`.
        public var weights = Tensor(uninitializedShape: [0])
        /// dL/dBias, `[C · multiplier]`.
        public var bias = Tensor(uninitializedShape: [0])

        /// Empty gradients, to be filled by ``DepthwiseConv2DKernel/backward(input:outputGradient:weights:inputGradient:into:)``.
        public init() {}
    }

    /// A depthwise convolution of `[H, W, C]` images with `multiplier` kernels of `kernelSize` per channel.
    /// - Throws: ``TensorError`` for non-positive sizes or a `.valid` window larger than the image.
    public init(
        inputShape: [Int], multiplier: Int, kernelSize: (height: Int, width: Int),
        strides: (height: Int, width: Int) = (1, 1), dilation: (height: Int, width: Int) = (1, 1), padding: Padding = .valid
    ) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidShape(
                operation: "DepthwiseConv2DKernel", shape: inputShape, reason: "expected a positive [height, width, channels]")
        }
        guard multiplier > 0 else {
            throw TensorError.invalidArgument(name: "multiplier", value: "\(multiplier)", reason: "expected a positive integer")
        }
        window = try WindowGeometry(
            inputHeight: inputShape[0], inputWidth: inputShape[1], windowHeight: kernelSize.height,
            windowWidth: kernelSize.width, strideHeight: strides.height, strideWidth: strides.width,
            dilationHeight: dilation.height, dilationWidth: dilation.width, padding: padding)
        (channels, self.multiplier) = (inputShape[2], multiplier)
    }

    /// Output channels, `channels · multiplier`.
    public var outputChannels: Int { channels * multiplier }
    /// The shape of one output image, `[OH, OW, C · multiplier]`.
    public var outputShape: [Int] { [window.outputHeight, window.outputWidth, outputChannels] }
    /// The shape the weights must have, `[KH, KW, C, multiplier]`.
    public var weightShape: [Int] { [window.windowHeight, window.windowWidth, channels, multiplier] }

    private var inputImageSize: Int { window.inputHeight * window.inputWidth * channels }
    private var outputImageSize: Int { outputShape.reduce(1, *) }
    private var costPerImage: Int { outputImageSize * window.windowHeight * window.windowWidth }

    /// `conv + bias` of an `[N, H, W, C]` batch, into `output` (resized to `[N, OH, OW, C · multiplier]`).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the wrong shape.
    public func forward(_ input: Tensor, weights: Tensor, bias: Tensor?, into output: inout Tensor) throws {
        let batch = try window.batchSize(of: input, channels: channels, operation: "DepthwiseConv2D forward")
        try checkParameters(weights: weights, bias: bias)
        try output.resizeDiscardingContents(to: [batch] + outputShape)
        let (x, w, y) = (UnsafePointer(input.storage.pointer), UnsafePointer(weights.storage.pointer), output.storage.pointer)
        let b = bias.map { UnsafePointer($0.storage.pointer) }
        parallelChunks(count: batch, costPerItem: costPerImage) { images in
            for n in images {
                let (image, result) = (x + n * inputImageSize, y + n * outputImageSize)
                forEachTap { outputOffset, inputOffset, weightOffset, first in
                    let (out, pixel, kernel) = (result + outputOffset, inputOffset.map { image + $0 }, w + weightOffset)
                    if first {
                        if let b { out.update(from: b, count: outputChannels) } else { out.update(repeating: 0, count: outputChannels) }
                    }
                    guard let pixel else { return }
                    multiplyAdd(pixel, kernel, into: out)
                }
            }
        }
    }

    /// The gradients with respect to weights, bias and (when `inputGradient` is true) the input,
    /// from the gradient with respect to the output of `forward(input, ...)`, into `gradients`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the wrong shape.
    public func backward(
        input: Tensor, outputGradient: Tensor, weights: Tensor, inputGradient: Bool = true, into gradients: inout Gradients
    ) throws {
        let batch = try window.batchSize(of: input, channels: channels, operation: "DepthwiseConv2D backward")
        try checkParameters(weights: weights, bias: nil)
        guard outputGradient.shape == [batch] + outputShape else {
            throw TensorError.shapeMismatch(
                operation: "DepthwiseConv2D backward output gradient", expected: [batch] + outputShape, found: outputGradient.shape)
        }
        try gradients.weights.resizeDiscardingContents(to: weightShape)
        try gradients.bias.resizeDiscardingContents(to: [outputChannels])
        try gradients.input.resizeForGradient(to: input.shape, if: inputGradient)
        let (x, w, dy) = (UnsafePointer(input.storage.pointer), UnsafePointer(weights.storage.pointer),
                          UnsafePointer(outputGradient.storage.pointer))
        let dx = gradients.input?.storage.pointer
        let plan = ParallelChunks(count: batch, costPerItem: 2 * costPerImage)
        let (weightSums, biasSums) = (PartialSums(chunks: plan.chunks, size: weightShape.reduce(1, *)),
                                      PartialSums(chunks: plan.chunks, size: outputChannels))
        defer { weightSums.deallocate(); biasSums.deallocate() }
        plan.run { chunk, images in
            let (dW, dB) = (weightSums.accumulator(chunk), biasSums.accumulator(chunk))
            for n in images {
                let (image, gradient) = (x + n * inputImageSize, dy + n * outputImageSize)
                let imageGradient = dx.map { $0 + n * inputImageSize }
                imageGradient?.update(repeating: 0, count: inputImageSize)
                forEachTap { outputOffset, inputOffset, weightOffset, first in
                    let g = gradient + outputOffset
                    if first { for q in 0..<outputChannels { dB[q] += g[q] } }
                    guard let inputOffset else { return }
                    multiplyAdd(image + inputOffset, g, into: dW + weightOffset)
                    if let imageGradient { transposedMultiplyAdd(g, w + weightOffset, into: imageGradient + inputOffset) }
                }
            }
        }
        weightSums.total(into: gradients.weights.storage.pointer)
        biasSums.total(into: gradients.bias.storage.pointer)
    }

    /// `out[c·m + j] += pixel[c] · kernel[c·m + j]`: one tap over the channels of a pixel.
    private func multiplyAdd(_ pixel: UnsafePointer<Float>, _ kernel: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if multiplier == 1 {
            for c in 0..<channels { out[c] += pixel[c] * kernel[c] }
        } else {
            for c in 0..<channels {
                for j in 0..<multiplier { out[c * multiplier + j] += pixel[c] * kernel[c * multiplier + j] }
            }
        }
    }

    /// `pixel[c] += Σⱼ gradient[c·m + j] · kernel[c·m + j]`: one tap's share of the input gradient.
    private func transposedMultiplyAdd(
        _ gradient: UnsafePointer<Float>, _ kernel: UnsafePointer<Float>, into pixel: UnsafeMutablePointer<Float>
    ) {
        for c in 0..<channels {
            var sum: Float = 0
            for j in 0..<multiplier { sum += gradient[c * multiplier + j] * kernel[c * multiplier + j] }
            pixel[c] += sum
        }
    }

    /// Calls `body(outputOffset, inputOffset, weightOffset, first)` for each tap of each output
    /// pixel of one image (`inputOffset` nil where the tap falls on padding; `first` true for an
    /// output pixel's first tap, so that the pixel can be started).
    private func forEachTap(_ body: (_ outputOffset: Int, _ inputOffset: Int?, _ weightOffset: Int, _ first: Bool) -> Void) {
        let g = window
        for oh in 0..<g.outputHeight {
            for ow in 0..<g.outputWidth {
                let outputOffset = (oh * g.outputWidth + ow) * outputChannels
                for kh in 0..<g.windowHeight {
                    let ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight
                    for kw in 0..<g.windowWidth {
                        let iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth
                        let inside = ih >= 0 && ih < g.inputHeight && iw >= 0 && iw < g.inputWidth
                        body(outputOffset, inside ? (ih * g.inputWidth + iw) * channels : nil,
                             (kh * g.windowWidth + kw) * outputChannels, kh == 0 && kw == 0)
                    }
                }
            }
        }
    }

    private func checkParameters(weights: Tensor, bias: Tensor?) throws {
        guard weights.shape == weightShape else {
            throw TensorError.shapeMismatch(
                operation: "DepthwiseConv2D weights [kh, kw, channels, multiplier]", expected: weightShape, found: weights.shape)
        }
        if let bias, bias.shape != [outputChannels] {
            throw TensorError.shapeMismatch(operation: "DepthwiseConv2D bias", expected: [outputChannels], found: bias.shape)
        }
    }
}
