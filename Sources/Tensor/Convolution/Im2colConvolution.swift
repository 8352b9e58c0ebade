/// Convolution as im2col + GEMM, the reference algorithm: any geometry.
///
/// A block of images becomes one `[images·OH·OW, KH·KW·C]` column matrix (``im2colImages``),
/// and one GEMM with the weights viewed as `[KH·KW·C, F]` gives the block's NHWC output,
/// to which the bias and the activation are applied while it is in cache. Backward, per block:
/// the pre-activation gradient `dZ` and the bias gradient in one pass, `dW += colsᵀ · dZ`,
/// `dCols = dZ · Wᵀ`, then col2im. Each GEMM has one named helper, as in Caffe; each thread
/// takes a chunk of the batch (``ImageBlocks``) with single-threaded BLAS calls.
struct Im2colConvolution: ConvolutionAlgorithm {
    let window: WindowGeometry
    let channels: Int
    let filters: Int
    let imagesPerBlock: Int

    /// A convolution whose blocks hold at most `blockScalars` scalars of columns and output.
    init(window: WindowGeometry, channels: Int, filters: Int, blockScalars: Int) {
        (self.window, self.channels, self.filters) = (window, channels, filters)
        let pixels = window.outputHeight * window.outputWidth
        imagesPerBlock = Swift.max(1, blockScalars / (pixels * (window.windowHeight * window.windowWidth * channels + filters)))
    }

    private var patchSize: Int { window.windowHeight * window.windowWidth * channels }
    private var pixelsPerImage: Int { window.outputHeight * window.outputWidth }
    private var inputImageSize: Int { window.inputHeight * window.inputWidth * channels }
    private var outputImageSize: Int { pixelsPerImage * filters }
    private func blocks(batch: Int) -> ImageBlocks {
        ImageBlocks(batch: batch, imagesPerBlock: imagesPerBlock, costPerImage: pixelsPerImage * patchSize * filters)
    }

    func forward(
        _ input: UnsafePointer<Float>, batch: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        activation: FusedActivation, into output: UnsafeMutablePointer<Float>
    ) {
        let offsets = PatchOffsets(window: window, channels: channels)
        blocks(batch: batch).run(prepare: { _ in Workspace(self, activation: .identity) }, finish: { $0.deallocate() }) {
            _, block, workspace in
            let rows = block.count * pixelsPerImage
            im2colImages(input + block.lowerBound * inputImageSize, images: block.count, window: window, channels: channels,
                         offsets: offsets, into: workspace.columns)
            let target = output + block.lowerBound * outputImageSize
            forwardProduct(rows: rows, columns: workspace.columns, weights: weights, into: target)
            activation.applyWithBias(target, rows: rows, columns: filters, bias: bias)
        }
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>?, outputGradient: UnsafePointer<Float>, batch: Int,
        weights: UnsafePointer<Float>, activation: FusedActivation, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        let blocks = blocks(batch: batch)
        let (weightSums, biasSums) = (PartialSums(chunks: blocks.plan.chunks, size: patchSize * filters),
                                      PartialSums(chunks: blocks.plan.chunks, size: filters))
        defer { weightSums.deallocate(); biasSums.deallocate() }
        let offsets = PatchOffsets(window: window, channels: channels)
        blocks.run(prepare: { _ in Workspace(self, activation: activation) }, finish: { $0.deallocate() }) {
            chunk, block, workspace in
            let rows = block.count * pixelsPerImage
            let dZ = activation.backward(
                outputGradient: outputGradient + block.lowerBound * outputImageSize,
                output: output.map { $0 + block.lowerBound * outputImageSize }, rows: rows, columns: filters,
                preActivationGradient: workspace.preActivationGradient, addingColumnSumsTo: biasSums.accumulator(chunk))
            im2colImages(input + block.lowerBound * inputImageSize, images: block.count, window: window, channels: channels,
                         offsets: offsets, into: workspace.columns)
            weightGradientProduct(rows: rows, columns: workspace.columns, preActivationGradient: dZ,
                                  into: weightSums.accumulator(chunk))
            guard let inputGradient else { return }
            // dCols overwrites the columns, which dW no longer needs.
            columnGradientProduct(rows: rows, preActivationGradient: dZ, weights: weights, into: workspace.columns)
            col2imImages(workspace.columns, images: block.count, window: window, channels: channels,
                         into: inputGradient + block.lowerBound * inputImageSize)
        }
        weightSums.total(into: weightGradient)
        biasSums.total(into: biasGradient)
    }

    // MARK: The three GEMMs

    /// `Y = cols · W`.
    private func forwardProduct(
        rows: Int, columns: UnsafePointer<Float>, weights: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemmOnThisThread(transposeA: false, transposeB: false, m: rows, n: filters, k: patchSize,
                              a: columns, lda: patchSize, b: weights, ldb: filters, c: output, ldc: filters)
    }

    /// `dW += colsᵀ · dZ`.
    private func weightGradientProduct(
        rows: Int, columns: UnsafePointer<Float>, preActivationGradient: UnsafePointer<Float>,
        into weightGradient: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemmOnThisThread(transposeA: true, transposeB: false, m: patchSize, n: filters, k: rows,
                              a: columns, lda: patchSize, b: preActivationGradient, ldb: filters,
                              beta: 1, c: weightGradient, ldc: filters)
    }

    /// `dCols = dZ · Wᵀ`.
    private func columnGradientProduct(
        rows: Int, preActivationGradient: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        into columns: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemmOnThisThread(transposeA: false, transposeB: true, m: rows, n: patchSize, k: filters,
                              a: preActivationGradient, lda: filters, b: weights, ldb: filters, c: columns, ldc: patchSize)
    }

    /// One thread's buffers: a block's columns, and its pre-activation gradient when the
    /// activation has a derivative to apply.
    private struct Workspace {
        let columns: UnsafeMutablePointer<Float>
        let preActivationGradient: UnsafeMutablePointer<Float>?

        init(_ convolution: Im2colConvolution, activation: FusedActivation) {
            let rows = convolution.imagesPerBlock * convolution.pixelsPerImage
            columns = .allocate(capacity: rows * convolution.patchSize)
            preActivationGradient = activation == .identity ? nil : .allocate(capacity: rows * convolution.filters)
        }

        func deallocate() {
            columns.deallocate()
            preActivationGradient?.deallocate()
        }
    }
}
