/// A transposed 2-D convolution of NHWC images (sometimes called a deconvolution), as Keras's
/// `Conv2DTranspose`: the adjoint of the convolution that would map its output back to its
/// input. With strides `s` and a `k` kernel, `[H, W, C]` becomes `[H·s + max(k − s, 0), …]` with
/// `.valid` and `[H·s, W·s]` with `.same`. Weights are Keras's `[KH, KW, filters, C]`.
///
/// It runs the halves of ``Conv2DKernel``'s im2col algorithm the other way round: forward is
/// that convolution's input gradient (`cols = X · Wᵀ`, then col2im), backward is its forward
/// (`dX = im2col(dY) · W`) and its weight gradient (`dW = im2col(dY)ᵀ · X`). Each thread takes
/// a chunk of the batch in cache-sized blocks, and the threads' weight gradients are added in a
/// fixed order, as in ``Conv2DKernel``.
public struct Conv2DTransposeKernel: Sendable {
    /// The geometry of the convolution this one transposes: a window over this kernel's output.
    public let window: WindowGeometry
    /// Channels of each input image.
    public let inputChannels: Int
    /// Output channels.
    public let filters: Int
    /// The most scalars of workspace one thread holds for a block of images (as ``Conv2DKernel``'s).
    public var maximumBlockElements = 1 << 17

    /// The gradients of the loss with respect to the operands.
    public struct Gradients: Sendable {
        /// dL/dInput, `[N, H, W, C]`; nil when not requested.
        public var input: Tensor?
        /// dL/dWeights, `[KH, KW, filters, C]`.
        public var weights = Tensor(uninitializedShape: [0])
        /// dL/dBias, `[filters]`.
        public var bias = Tensor(uninitializedShape: [0])

        /// Empty gradients, to be filled by ``Conv2DTransposeKernel/backward(input:outputGradient:weights:inputGradient:into:)``.
        public init() {}
    }

    /// A transposed convolution of `[H, W, C]` images to `filters` channels with a `kernelSize` kernel.
    /// - Throws: ``TensorError`` for non-positive sizes.
    public init(inputShape: [Int], filters: Int, kernelSize: (height: Int, width: Int),
                strides: (height: Int, width: Int) = (1, 1), padding: Padding = .valid) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidShape(
                operation: "Conv2DTransposeKernel", shape: inputShape, reason: "expected a positive [height, width, channels]")
        }
        guard filters > 0, kernelSize.height > 0, kernelSize.width > 0, strides.height > 0, strides.width > 0 else {
            throw TensorError.invalidArgument(name: "filters, kernelSize, strides",
                                              value: "\(filters), \(kernelSize), \(strides)", reason: "expected positive sizes")
        }
        guard padding != .causal else {
            throw TensorError.invalidArgument(name: "padding", value: "causal", reason: "expected .valid or .same")
        }
        func outputSize(_ input: Int, _ kernel: Int, _ stride: Int) -> Int {
            padding == .same ? input * stride : input * stride + Swift.max(kernel - stride, 0)
        }
        window = try WindowGeometry(
            inputHeight: outputSize(inputShape[0], kernelSize.height, strides.height),
            inputWidth: outputSize(inputShape[1], kernelSize.width, strides.width),
            windowHeight: kernelSize.height, windowWidth: kernelSize.width,
            strideHeight: strides.height, strideWidth: strides.width, padding: padding)
        precondition(window.outputHeight == inputShape[0] && window.outputWidth == inputShape[1])
        (inputChannels, self.filters) = (inputShape[2], filters)
    }

    /// The shape of one output image, `[OH, OW, filters]`.
    public var outputShape: [Int] { [window.inputHeight, window.inputWidth, filters] }
    /// The shape the weights must have, `[KH, KW, filters, C]`.
    public var weightShape: [Int] { [window.windowHeight, window.windowWidth, filters, inputChannels] }

    private var patchSize: Int { window.windowHeight * window.windowWidth * filters }
    private var pixelsPerImage: Int { window.outputHeight * window.outputWidth }
    private var inputImageSize: Int { pixelsPerImage * inputChannels }
    private var outputImageSize: Int { window.inputHeight * window.inputWidth * filters }
    private func blocks(batch: Int) -> ImageBlocks {
        let imagesPerBlock = Swift.max(1, maximumBlockElements / (pixelsPerImage * patchSize + outputImageSize))
        return ImageBlocks(batch: batch, imagesPerBlock: imagesPerBlock, costPerImage: pixelsPerImage * patchSize * inputChannels)
    }

    /// The transposed convolution of an `[N, H, W, C]` batch plus `bias`, into `output`
    /// (resized to `[N, OH, OW, filters]`, reusing its buffer when it can).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the wrong shape.
    public func forward(_ input: Tensor, weights: Tensor, bias: Tensor?, into output: inout Tensor) throws {
        let batch = try batchSize(of: input, operation: "Conv2DTranspose forward")
        try checkParameters(weights: weights, bias: bias)
        try output.resizeDiscardingContents(to: [batch] + outputShape)
        let (x, w, y) = (UnsafePointer(input.storage.pointer), UnsafePointer(weights.storage.pointer), output.storage.pointer)
        let b = bias.map { UnsafePointer($0.storage.pointer) }
        let blocks = blocks(batch: batch)
        let columnsSize = blocks.imagesPerBlock * pixelsPerImage * patchSize
        blocks.run(prepare: { _ in UnsafeMutablePointer<Float>.allocate(capacity: columnsSize) }, finish: { $0.deallocate() }) {
            _, block, columns in
            let rows = block.count * pixelsPerImage
            // cols = X · Wᵀ, W viewed as [KH·KW·F, C].
            BLAS.gemmOnThisThread(transposeA: false, transposeB: true, m: rows, n: patchSize, k: inputChannels,
                                  a: x + block.lowerBound * inputImageSize, lda: inputChannels, b: w, ldb: inputChannels,
                                  c: columns, ldc: patchSize)
            let target = y + block.lowerBound * outputImageSize
            col2imImages(columns, images: block.count, window: window, channels: filters, into: target)
            FusedActivation.identity.applyWithBias(target, rows: block.count * outputImageSize / filters, columns: filters,
                                                   bias: b)
        }
    }

    /// The gradients with respect to weights, bias and (when `inputGradient` is true) the input,
    /// from the gradient with respect to the output of `forward(input, ...)`, into `gradients`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the wrong shape.
    public func backward(
        input: Tensor, outputGradient: Tensor, weights: Tensor, inputGradient: Bool = true, into gradients: inout Gradients
    ) throws {
        let batch = try batchSize(of: input, operation: "Conv2DTranspose backward")
        try checkParameters(weights: weights, bias: nil)
        guard outputGradient.shape == [batch] + outputShape else {
            throw TensorError.shapeMismatch(operation: "Conv2DTranspose backward output gradient",
                                            expected: [batch] + outputShape, found: outputGradient.shape)
        }
        try gradients.weights.resizeDiscardingContents(to: weightShape)
        try gradients.bias.resizeDiscardingContents(to: [filters])
        try gradients.input.resizeForGradient(to: input.shape, if: inputGradient)
        let (x, w, dy) = (UnsafePointer(input.storage.pointer), UnsafePointer(weights.storage.pointer),
                          UnsafePointer(outputGradient.storage.pointer))
        let dx = gradients.input?.storage.pointer
        let blocks = blocks(batch: batch)
        let (weightSums, biasSums) = (PartialSums(chunks: blocks.plan.chunks, size: patchSize * inputChannels),
                                      PartialSums(chunks: blocks.plan.chunks, size: filters))
        defer { weightSums.deallocate(); biasSums.deallocate() }
        let offsets = PatchOffsets(window: window, channels: filters)
        let columnsSize = blocks.imagesPerBlock * pixelsPerImage * patchSize
        blocks.run(prepare: { _ in UnsafeMutablePointer<Float>.allocate(capacity: columnsSize) }, finish: { $0.deallocate() }) {
            chunk, block, columns in
            let rows = block.count * pixelsPerImage
            let gradient = dy + block.lowerBound * outputImageSize
            let biasSum = biasSums.accumulator(chunk)
            for pixel in 0..<(block.count * outputImageSize / filters) {
                for f in 0..<filters { biasSum[f] += gradient[pixel * filters + f] }
            }
            im2colImages(gradient, images: block.count, window: window, channels: filters, offsets: offsets, into: columns)
            // dW += im2col(dY)ᵀ · X, [KH·KW·F, C].
            BLAS.gemmOnThisThread(transposeA: true, transposeB: false, m: patchSize, n: inputChannels, k: rows,
                                  a: columns, lda: patchSize, b: x + block.lowerBound * inputImageSize, ldb: inputChannels,
                                  beta: 1, c: weightSums.accumulator(chunk), ldc: inputChannels)
            guard let dx else { return }
            // dX = im2col(dY) · W.
            BLAS.gemmOnThisThread(transposeA: false, transposeB: false, m: rows, n: inputChannels, k: patchSize,
                                  a: columns, lda: patchSize, b: w, ldb: inputChannels,
                                  c: dx + block.lowerBound * inputImageSize, ldc: inputChannels)
        }
        weightSums.total(into: gradients.weights.storage.pointer)
        biasSums.total(into: gradients.bias.storage.pointer)
    }

    private func batchSize(of input: Tensor, operation: String) throws -> Int {
        let shape = [window.outputHeight, window.outputWidth, inputChannels]
        guard input.rank == 4, Array(input.shape.dropFirst()) == shape, input.shape[0] > 0 else {
            throw TensorError.shapeMismatch(operation: operation + " input [batch, height, width, channels]",
                                            expected: [input.rank == 4 ? Swift.max(input.shape[0], 1) : 1] + shape,
                                            found: input.shape)
        }
        return input.shape[0]
    }

    private func checkParameters(weights: Tensor, bias: Tensor?) throws {
        guard weights.shape == weightShape else {
            throw TensorError.shapeMismatch(
                operation: "Conv2DTranspose weights [kh, kw, filters, cin]", expected: weightShape, found: weights.shape)
        }
        if let bias, bias.shape != [filters] {
            throw TensorError.shapeMismatch(operation: "Conv2DTranspose bias", expected: [filters], found: bias.shape)
        }
    }
}
