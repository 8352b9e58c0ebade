/// Winograd's minimal filtering F(m×m, 3×3) for 3×3 stride-1 convolutions of NHWC images
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016), with the
/// tile transforms of ``WinogradTiles`` (F(2×2, 3×3) or F(4×4, 3×3)).
///
/// The output is cut into m×m tiles; each reads an n×n input tile (n = m + 2). With the filter
/// transform `U = G g Gᵀ`, the input transform `V = Bᵀ d B` and the output transform
/// `Y = Aᵀ M A`, a tile of one filter is `Aᵀ [Σ_c U ⊙ V] A`: n² multiplications per input
/// channel instead of 9m² (16 instead of 36 for F(2×2), 36 instead of 144 for F(4×4)).
/// Grouping the n² points of all tiles of a block of images, the sums over channels become
/// n² GEMMs `M[ξ] = V[ξ] · U[ξ]` (`[tiles, C] · [C, F]`), so this stays convolution as GEMM.
///
/// Backward is the adjoint of the same pipeline, on the same tiles: `dM = A dY Aᵀ`, then
/// `dU[ξ] = V[ξ]ᵀ · dM[ξ]` and `dW = Gᵀ dU G` (the weight gradient), and `dV[ξ] = dM[ξ] · U[ξ]ᵀ`
/// and `dX = B dV Bᵀ`, added back onto the overlapping input tiles (the input gradient). The
/// result is exactly the gradient of the computed convolution, up to rounding.
///
/// Each thread takes a chunk of the batch's images and goes through it a block of images at
/// a time (``ImageBlocks``), small enough that the block's transformed tiles stay in its
/// core's L2 cache between the transforms and the GEMMs (one single-threaded BLAS call per
/// point). The bias and a fused activation are applied in the output transform; backward
/// starts each block with the activation's derivative and the bias gradient.
struct Winograd<Tiles: WinogradTiles>: ConvolutionAlgorithm {
    let window: WindowGeometry
    let channels: Int
    let filters: Int
    let tileRows: Int
    let tileColumns: Int
    let imagesPerBlock: Int

    /// The points of a transformed tile (n²).
    static var points: Int { Tiles.inputSize * Tiles.inputSize }

    /// A convolution whose blocks hold at most `blockScalars` scalars of transformed inputs and products.
    init(window: WindowGeometry, channels: Int, filters: Int, blockScalars: Int) {
        precondition(winogradSupports(window), "Winograd needs a 3x3 kernel with stride 1")
        (self.window, self.channels, self.filters) = (window, channels, filters)
        tileRows = (window.outputHeight + Tiles.outputSize - 1) / Tiles.outputSize
        tileColumns = (window.outputWidth + Tiles.outputSize - 1) / Tiles.outputSize
        imagesPerBlock = Swift.max(1, blockScalars / (Self.points * tileRows * tileColumns * (channels + filters)))
    }

    var tilesPerImage: Int { tileRows * tileColumns }
    private var inputImageSize: Int { window.inputHeight * window.inputWidth * channels }
    private var outputImageSize: Int { window.outputHeight * window.outputWidth * filters }
    private var filterSize: Int { Self.points * channels * filters }
    private func blocks(batch: Int) -> ImageBlocks {
        ImageBlocks(batch: batch, imagesPerBlock: imagesPerBlock, costPerImage: Self.points * tilesPerImage * channels * filters)
    }

    // MARK: Filters

    /// `U[ξ] = Σ_taps G[i][kh]·G[j][kw]·W[kh][kw]` for every point `ξ = n·i + j`: the `[n², C, F]`
    /// transformed filters of weights `[3, 3, C, F]`.
    func transformFilters(_ weights: UnsafePointer<Float>, into transformed: UnsafeMutablePointer<Float>) {
        let size = channels * filters
        for point in 0..<Self.points {
            let target = transformed + point * size
            target.update(repeating: 0, count: size)
            for tap in 0..<9 {
                let coefficient = Tiles.g[point / Tiles.inputSize][tap / 3] * Tiles.g[point % Tiles.inputSize][tap % 3]
                guard coefficient != 0 else { continue }
                let source = weights + tap * size
                for index in 0..<size { target[index] += coefficient * source[index] }
            }
        }
    }

    /// The adjoint of ``transformFilters(_:into:)``: `dW[tap] = Σ_ξ G[i][kh]·G[j][kw]·dU[ξ]`.
    func filterGradient(_ transformedGradient: UnsafePointer<Float>, into weightGradient: UnsafeMutablePointer<Float>) {
        let size = channels * filters
        for tap in 0..<9 {
            let target = weightGradient + tap * size
            target.update(repeating: 0, count: size)
            for point in 0..<Self.points {
                let coefficient = Tiles.g[point / Tiles.inputSize][tap / 3] * Tiles.g[point % Tiles.inputSize][tap % 3]
                guard coefficient != 0 else { continue }
                let source = transformedGradient + point * size
                for index in 0..<size { target[index] += coefficient * source[index] }
            }
        }
    }

    // MARK: Forward and backward

    @_specialize(where Tiles == WinogradF2x3)
    @_specialize(where Tiles == WinogradF4x3)
    func forward(
        _ input: UnsafePointer<Float>, batch: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        activation: FusedActivation, into output: UnsafeMutablePointer<Float>
    ) {
        let transformedFilters = UnsafeMutablePointer<Float>.allocate(capacity: filterSize)
        let zeroBias = UnsafeMutablePointer<Float>.allocate(capacity: filters)
        defer { transformedFilters.deallocate(); zeroBias.deallocate() }
        transformFilters(weights, into: transformedFilters)
        zeroBias.initialize(repeating: 0, count: filters)
        let bias = bias ?? UnsafePointer(zeroBias)
        blocks(batch: batch).run(prepare: { _ in Workspace(self, activation: .identity) }, finish: { $0.deallocate() }) {
            _, block, workspace in
            let tiles = block.count * tilesPerImage
            transformInput(input + block.lowerBound * inputImageSize, images: block.count, workspace: workspace)
            pointProducts(tiles: tiles, workspace: workspace, transformedFilters: transformedFilters)
            transformOutput(workspace, images: block.count, bias: bias, activation: activation,
                            into: output + block.lowerBound * outputImageSize)
        }
    }

    @_specialize(where Tiles == WinogradF2x3)
    @_specialize(where Tiles == WinogradF4x3)
    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>?, outputGradient: UnsafePointer<Float>, batch: Int,
        weights: UnsafePointer<Float>, activation: FusedActivation, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        let blocks = blocks(batch: batch)
        let transformedFilters = UnsafeMutablePointer<Float>.allocate(capacity: filterSize)
        let (filterSums, biasSums) = (PartialSums(chunks: blocks.plan.chunks, size: filterSize),
                                      PartialSums(chunks: blocks.plan.chunks, size: filters))
        defer { transformedFilters.deallocate(); filterSums.deallocate(); biasSums.deallocate() }
        transformFilters(weights, into: transformedFilters)
        blocks.run(prepare: { _ in Workspace(self, activation: activation) }, finish: { $0.deallocate() }) {
            chunk, block, workspace in
            let tiles = block.count * tilesPerImage
            let dZ = activation.backward(
                outputGradient: outputGradient + block.lowerBound * outputImageSize,
                output: output.map { $0 + block.lowerBound * outputImageSize }, rows: block.count * outputImageSize / filters,
                columns: filters, preActivationGradient: workspace.preActivationGradient,
                addingColumnSumsTo: biasSums.accumulator(chunk))
            transformInput(input + block.lowerBound * inputImageSize, images: block.count, workspace: workspace)
            transformOutputGradient(dZ, images: block.count, workspace: workspace)
            filterGradientProducts(tiles: tiles, workspace: workspace, into: filterSums.accumulator(chunk))
            guard let inputGradient else { return }
            inputGradientProducts(tiles: tiles, workspace: workspace, transformedFilters: transformedFilters)
            transformInputGradient(workspace, images: block.count, into: inputGradient + block.lowerBound * inputImageSize)
        }
        let transformedGradient = UnsafeMutablePointer<Float>.allocate(capacity: filterSize)
        defer { transformedGradient.deallocate() }
        filterSums.total(into: transformedGradient)
        filterGradient(transformedGradient, into: weightGradient)
        biasSums.total(into: biasGradient)
    }

    // MARK: The three GEMMs, one per point of the tiles

    /// `M[ξ] = V[ξ] · U[ξ]`, `[tiles, C] · [C, F]`.
    private func pointProducts(tiles: Int, workspace: Workspace, transformedFilters: UnsafePointer<Float>) {
        for point in 0..<Self.points {
            BLAS.gemmOnThisThread(
                transposeA: false, transposeB: false, m: tiles, n: filters, k: channels,
                a: workspace.inputs + point * tiles * channels, lda: channels,
                b: transformedFilters + point * channels * filters, ldb: filters,
                c: workspace.products + point * tiles * filters, ldc: filters)
        }
    }

    /// `dU[ξ] += V[ξ]ᵀ · dM[ξ]`, `[C, tiles] · [tiles, F]`.
    private func filterGradientProducts(tiles: Int, workspace: Workspace, into transformedGradient: UnsafeMutablePointer<Float>) {
        for point in 0..<Self.points {
            BLAS.gemmOnThisThread(
                transposeA: true, transposeB: false, m: channels, n: filters, k: tiles,
                a: workspace.inputs + point * tiles * channels, lda: channels,
                b: workspace.products + point * tiles * filters, ldb: filters,
                beta: 1, c: transformedGradient + point * channels * filters, ldc: filters)
        }
    }

    /// `dV[ξ] = dM[ξ] · U[ξ]ᵀ`, `[tiles, F] · [F, C]`, over V (which dU no longer needs).
    private func inputGradientProducts(tiles: Int, workspace: Workspace, transformedFilters: UnsafePointer<Float>) {
        for point in 0..<Self.points {
            BLAS.gemmOnThisThread(
                transposeA: false, transposeB: true, m: tiles, n: channels, k: filters,
                a: workspace.products + point * tiles * filters, lda: filters,
                b: transformedFilters + point * channels * filters, ldb: filters,
                c: workspace.inputs + point * tiles * channels, ldc: channels)
        }
    }

    /// One thread's buffers: a block's transformed inputs `[n², tiles, C]` (later their
    /// gradients), its products `[n², tiles, F]` (or the transformed output gradients), an n×n
    /// patch for the tiles that cross the image's border, and the block's pre-activation
    /// gradient when the activation has a derivative to apply.
    private struct Workspace {
        let inputs: UnsafeMutablePointer<Float>
        let products: UnsafeMutablePointer<Float>
        let patch: UnsafeMutablePointer<Float>
        let preActivationGradient: UnsafeMutablePointer<Float>?

        init(_ winograd: Winograd, activation: FusedActivation) {
            let tiles = winograd.imagesPerBlock * winograd.tilesPerImage
            inputs = .allocate(capacity: Winograd.points * tiles * winograd.channels)
            products = .allocate(capacity: Winograd.points * tiles * winograd.filters)
            patch = .allocate(capacity: Winograd.points * Swift.max(winograd.channels, winograd.filters))
            preActivationGradient = activation == .identity ? nil
                : .allocate(capacity: winograd.imagesPerBlock * winograd.outputImageSize)
        }

        func deallocate() {
            inputs.deallocate()
            products.deallocate()
            patch.deallocate()
            preActivationGradient?.deallocate()
        }
    }

    /// Calls `body(tile, image, top, left, inside)` for every tile of `images` images, numbered
    /// from 0, with the position of its n×n input window and whether that window (and its m×m
    /// output) lies inside the image.
    private func forEachTile(of images: Int, _ body: (_ tile: Int, _ image: Int, _ top: Int, _ left: Int, _ inside: Bool) -> Void) {
        let (m, n) = (Tiles.outputSize, Tiles.inputSize)
        var tile = 0
        for image in 0..<images {
            for tileRow in 0..<tileRows {
                let top = m * tileRow - window.padTop
                let rowsInside = top >= 0 && top + n <= window.inputHeight && m * tileRow + m <= window.outputHeight
                for tileColumn in 0..<tileColumns {
                    let left = m * tileColumn - window.padLeft
                    let inside = rowsInside && left >= 0 && left + n <= window.inputWidth
                        && m * tileColumn + m <= window.outputWidth
                    body(tile, image, top, left, inside)
                    tile += 1
                }
            }
        }
    }

    // MARK: The four transforms, vectorised over channels

    /// `V = Bᵀ d B` of every input tile of `images` into `workspace.inputs`.
    private func transformInput(_ input: UnsafePointer<Float>, images: Int, workspace: Workspace) {
        let (height, width, c, n) = (window.inputHeight, window.inputWidth, channels, Tiles.inputSize)
        let pointStride = images * tilesPerImage * c
        forEachTile(of: images) { tile, image, top, left, inside in
            var source = input + ((image * height + top) * width + left) * c
            var rowStride = width * c
            if !inside {
                workspace.patch.update(repeating: 0, count: n * n * c)
                for row in Swift.max(0, -top)..<Swift.min(n, height - top) {
                    let columns = Swift.max(0, -left)..<Swift.min(n, width - left)
                    guard !columns.isEmpty else { continue }
                    (workspace.patch + (row * n + columns.lowerBound) * c).update(
                        from: source + row * rowStride + columns.lowerBound * c, count: columns.count * c)
                }
                (source, rowStride) = (UnsafePointer(workspace.patch), n * c)
            }
            Tiles.inputTiles(count: c, source, rowStride: rowStride, pixelStride: c,
                             into: workspace.inputs + tile * c, pointStride: pointStride)
        }
    }

    /// `Y = activation(Aᵀ M A + bias)` of every tile of `images` from `workspace.products` into the output.
    private func transformOutput(
        _ workspace: Workspace, images: Int, bias: UnsafePointer<Float>, activation: FusedActivation,
        into output: UnsafeMutablePointer<Float>
    ) {
        let (height, width, f, m) = (window.outputHeight, window.outputWidth, filters, Tiles.outputSize)
        let pointStride = images * tilesPerImage * f
        forEachTile(of: images) { tile, image, top, left, inside in
            let (outRow, outColumn) = (top + window.padTop, left + window.padLeft)
            let corner = output + ((image * height + outRow) * width + outColumn) * f
            let (target, rowStride) = inside ? (corner, width * f) : (workspace.patch, m * f)
            Tiles.outputTiles(count: f, workspace.products + tile * f, pointStride: pointStride, bias: bias,
                              rectify: activation == .relu, into: target, rowStride: rowStride, pixelStride: f)
            guard !inside else { return }
            for row in 0..<Swift.min(m, height - outRow) {
                (corner + row * width * f).update(from: workspace.patch + row * m * f, count: Swift.min(m, width - outColumn) * f)
            }
        }
    }

    /// `dM = A dY Aᵀ` of every tile of `images` (zero beyond the output's border) into `workspace.products`.
    private func transformOutputGradient(_ outputGradient: UnsafePointer<Float>, images: Int, workspace: Workspace) {
        let (height, width, f, m) = (window.outputHeight, window.outputWidth, filters, Tiles.outputSize)
        let pointStride = images * tilesPerImage * f
        forEachTile(of: images) { tile, image, top, left, inside in
            let (outRow, outColumn) = (top + window.padTop, left + window.padLeft)
            var source = outputGradient + ((image * height + outRow) * width + outColumn) * f
            var rowStride = width * f
            if !inside {
                workspace.patch.update(repeating: 0, count: m * m * f)
                for row in 0..<Swift.min(m, height - outRow) {
                    (workspace.patch + row * m * f).update(from: source + row * rowStride, count: Swift.min(m, width - outColumn) * f)
                }
                (source, rowStride) = (UnsafePointer(workspace.patch), m * f)
            }
            Tiles.outputGradientTiles(count: f, source, rowStride: rowStride, pixelStride: f,
                                      into: workspace.products + tile * f, pointStride: pointStride)
        }
    }

    /// `dX += B dV Bᵀ` of every tile of `images`, from `workspace.inputs` (after zeroing the
    /// images' gradient): overlapping tiles add up; what falls on padding is dropped.
    private func transformInputGradient(_ workspace: Workspace, images: Int, into inputGradient: UnsafeMutablePointer<Float>) {
        let (height, width, c, n) = (window.inputHeight, window.inputWidth, channels, Tiles.inputSize)
        let pointStride = images * tilesPerImage * c
        inputGradient.update(repeating: 0, count: images * inputImageSize)
        forEachTile(of: images) { tile, image, top, left, inside in
            let corner = inputGradient + ((image * height + top) * width + left) * c
            let (target, rowStride) = inside ? (corner, width * c) : (workspace.patch, n * c)
            if !inside { workspace.patch.update(repeating: 0, count: n * n * c) }
            Tiles.inputGradientTiles(count: c, workspace.inputs + tile * c, pointStride: pointStride,
                                     into: target, rowStride: rowStride, pixelStride: c)
            guard !inside else { return }
            for row in Swift.max(0, -top)..<Swift.min(n, height - top) {
                for column in Swift.max(0, -left)..<Swift.min(n, width - left) {
                    let (from, to) = (workspace.patch + (row * n + column) * c, corner + (row * width + column) * c)
                    for k in 0..<c { to[k] += from[k] }
                }
            }
        }
    }
}

/// Whether Winograd computes a geometry: a 3×3 kernel with stride 1.
func winogradSupports(_ window: WindowGeometry) -> Bool {
    window.windowHeight == 3 && window.windowWidth == 3 && window.strideHeight == 1 && window.strideWidth == 1
        && window.dilationHeight == 1 && window.dilationWidth == 1 && window.padding != .causal
}
