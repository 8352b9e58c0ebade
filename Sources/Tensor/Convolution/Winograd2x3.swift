/// Winograd's minimal filtering F(2×2, 3×3) for 3×3 stride-1 convolutions of NHWC images
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016).
///
/// The output is cut into 2×2 tiles; each reads a 4×4 input tile. With the filter transform
/// `U = G g Gᵀ`, the input transform `V = Bᵀ d B` and the output transform `Y = Aᵀ M A`, a tile
/// of one filter is `Aᵀ [Σ_c U ⊙ V] A`: 16 multiplications per input channel instead of 36.
/// Grouping the 16 points of all tiles of a block of images, the sums over channels become
/// 16 GEMMs `M[ξ] = V[ξ] · U[ξ]` (`[tiles, C] · [C, F]`), so this stays convolution as GEMM,
/// with 2.25 times fewer multiplications.
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
struct Winograd2x3: ConvolutionAlgorithm {
    let window: WindowGeometry
    let channels: Int
    let filters: Int
    let tileRows: Int
    let tileColumns: Int
    let imagesPerBlock: Int

    /// The points of a transformed tile (4×4).
    static let points = 16

    /// Whether the geometry is one this algorithm computes: a 3×3 kernel with stride 1.
    static func supports(_ window: WindowGeometry) -> Bool {
        window.windowHeight == 3 && window.windowWidth == 3 && window.strideHeight == 1 && window.strideWidth == 1
    }

    /// A convolution whose blocks hold at most `blockScalars` scalars of transformed inputs and products.
    init(window: WindowGeometry, channels: Int, filters: Int, blockScalars: Int) {
        precondition(Self.supports(window), "Winograd F(2x2, 3x3) needs a 3x3 kernel with stride 1")
        (self.window, self.channels, self.filters) = (window, channels, filters)
        tileRows = (window.outputHeight + 1) / 2
        tileColumns = (window.outputWidth + 1) / 2
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

    /// `G[i][k]`, the filter transform's matrix.
    private static let g: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// `U[ξ] = Σ_taps G[i][kh]·G[j][kw]·W[kh][kw]` for every point `ξ = 4i + j`: the `[16, C, F]`
    /// transformed filters of weights `[3, 3, C, F]`.
    func transformFilters(_ weights: UnsafePointer<Float>, into transformed: UnsafeMutablePointer<Float>) {
        let size = channels * filters
        for point in 0..<Self.points {
            let target = transformed + point * size
            target.update(repeating: 0, count: size)
            for tap in 0..<9 {
                let coefficient = Self.g[point / 4][tap / 3] * Self.g[point % 4][tap % 3]
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
                let coefficient = Self.g[point / 4][tap / 3] * Self.g[point % 4][tap % 3]
                guard coefficient != 0 else { continue }
                let source = transformedGradient + point * size
                for index in 0..<size { target[index] += coefficient * source[index] }
            }
        }
    }

    // MARK: Forward and backward

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
            for point in 0..<Self.points {
                BLAS.gemmOnThisThread(
                    transposeA: false, transposeB: false, m: tiles, n: filters, k: channels,
                    a: workspace.inputs + point * tiles * channels, lda: channels,
                    b: transformedFilters + point * channels * filters, ldb: filters,
                    c: workspace.products + point * tiles * filters, ldc: filters)
            }
            transformOutput(workspace, images: block.count, bias: bias, activation: activation,
                            into: output + block.lowerBound * outputImageSize)
        }
    }

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
            for point in 0..<Self.points {
                BLAS.gemmOnThisThread(
                    transposeA: true, transposeB: false, m: channels, n: filters, k: tiles,
                    a: workspace.inputs + point * tiles * channels, lda: channels,
                    b: workspace.products + point * tiles * filters, ldb: filters,
                    beta: 1, c: filterSums.accumulator(chunk) + point * channels * filters, ldc: filters)
            }
            guard let inputGradient else { return }
            // dV overwrites V, which dU no longer needs.
            for point in 0..<Self.points {
                BLAS.gemmOnThisThread(
                    transposeA: false, transposeB: true, m: tiles, n: channels, k: filters,
                    a: workspace.products + point * tiles * filters, lda: filters,
                    b: transformedFilters + point * channels * filters, ldb: filters,
                    c: workspace.inputs + point * tiles * channels, ldc: channels)
            }
            transformInputGradient(workspace, images: block.count, into: inputGradient + block.lowerBound * inputImageSize)
        }
        let transformedGradient = UnsafeMutablePointer<Float>.allocate(capacity: filterSize)
        defer { transformedGradient.deallocate() }
        filterSums.total(into: transformedGradient)
        filterGradient(transformedGradient, into: weightGradient)
        biasSums.total(into: biasGradient)
    }

    /// One thread's buffers: a block's transformed inputs `[16, tiles, C]` (later their
    /// gradients), its products `[16, tiles, F]` (or the transformed output gradients), a 4×4
    /// patch for the tiles that cross the image's border, and the block's pre-activation
    /// gradient when the activation has a derivative to apply.
    private struct Workspace {
        let inputs: UnsafeMutablePointer<Float>
        let products: UnsafeMutablePointer<Float>
        let patch: UnsafeMutablePointer<Float>
        let preActivationGradient: UnsafeMutablePointer<Float>?

        init(_ winograd: Winograd2x3, activation: FusedActivation) {
            let tiles = winograd.imagesPerBlock * winograd.tilesPerImage
            inputs = .allocate(capacity: Winograd2x3.points * tiles * winograd.channels)
            products = .allocate(capacity: Winograd2x3.points * tiles * winograd.filters)
            patch = .allocate(capacity: Winograd2x3.points * Swift.max(winograd.channels, winograd.filters))
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
    /// from 0, with the position of its 4×4 input window and whether that window (and its 2×2
    /// output) lies inside the image.
    private func forEachTile(of images: Int, _ body: (_ tile: Int, _ image: Int, _ top: Int, _ left: Int, _ inside: Bool) -> Void) {
        var tile = 0
        for image in 0..<images {
            for tileRow in 0..<tileRows {
                let top = 2 * tileRow - window.padTop
                let rowsInside = top >= 0 && top + 4 <= window.inputHeight && 2 * tileRow + 2 <= window.outputHeight
                for tileColumn in 0..<tileColumns {
                    let left = 2 * tileColumn - window.padLeft
                    let inside = rowsInside && left >= 0 && left + 4 <= window.inputWidth
                        && 2 * tileColumn + 2 <= window.outputWidth
                    body(tile, image, top, left, inside)
                    tile += 1
                }
            }
        }
    }

    // MARK: The four transforms, vectorised over channels

    /// `V = Bᵀ d B` of every input tile of `images` into `workspace.inputs`.
    private func transformInput(_ input: UnsafePointer<Float>, images: Int, workspace: Workspace) {
        let (height, width, c) = (window.inputHeight, window.inputWidth, channels)
        let pointStride = images * tilesPerImage * c
        forEachTile(of: images) { tile, image, top, left, inside in
            var source = input + ((image * height + top) * width + left) * c
            var rowStride = width * c
            if !inside {
                workspace.patch.update(repeating: 0, count: 16 * c)
                for row in Swift.max(0, -top)..<Swift.min(4, height - top) {
                    let columns = Swift.max(0, -left)..<Swift.min(4, width - left)
                    guard !columns.isEmpty else { continue }
                    (workspace.patch + (row * 4 + columns.lowerBound) * c).update(
                        from: source + row * rowStride + columns.lowerBound * c, count: columns.count * c)
                }
                (source, rowStride) = (UnsafePointer(workspace.patch), 4 * c)
            }
            forEachLane(count: c) { lane, channels in
                inputTile(lane, channels, source, rowStride: rowStride, pixelStride: c,
                          into: workspace.inputs + tile * c, pointStride: pointStride)
            }
        }
    }

    /// `Y = activation(Aᵀ M A + bias)` of every tile of `images` from `workspace.products` into the output.
    private func transformOutput(
        _ workspace: Workspace, images: Int, bias: UnsafePointer<Float>, activation: FusedActivation,
        into output: UnsafeMutablePointer<Float>
    ) {
        let (height, width, f) = (window.outputHeight, window.outputWidth, filters)
        let pointStride = images * tilesPerImage * f
        forEachTile(of: images) { tile, image, top, left, inside in
            let (outRow, outColumn) = (top + window.padTop, left + window.padLeft)
            let corner = output + ((image * height + outRow) * width + outColumn) * f
            let (target, rowStride) = inside ? (corner, width * f) : (workspace.patch, 2 * f)
            forEachLane(count: f) { lane, channels in
                outputTile(lane, channels, workspace.products + tile * f, pointStride: pointStride, bias: bias,
                           rectify: activation == .relu, into: target, rowStride: rowStride, pixelStride: f)
            }
            guard !inside else { return }
            for row in 0..<Swift.min(2, height - outRow) {
                (corner + row * width * f).update(from: workspace.patch + row * 2 * f, count: Swift.min(2, width - outColumn) * f)
            }
        }
    }

    /// `dM = A dY Aᵀ` of every tile of `images` (zero beyond the output's border) into `workspace.products`.
    private func transformOutputGradient(_ outputGradient: UnsafePointer<Float>, images: Int, workspace: Workspace) {
        let (height, width, f) = (window.outputHeight, window.outputWidth, filters)
        let pointStride = images * tilesPerImage * f
        forEachTile(of: images) { tile, image, top, left, inside in
            let (outRow, outColumn) = (top + window.padTop, left + window.padLeft)
            var source = outputGradient + ((image * height + outRow) * width + outColumn) * f
            var rowStride = width * f
            if !inside {
                workspace.patch.update(repeating: 0, count: 4 * f)
                for row in 0..<Swift.min(2, height - outRow) {
                    (workspace.patch + row * 2 * f).update(from: source + row * rowStride, count: Swift.min(2, width - outColumn) * f)
                }
                (source, rowStride) = (UnsafePointer(workspace.patch), 2 * f)
            }
            forEachLane(count: f) { lane, channels in
                outputGradientTile(lane, channels, source, rowStride: rowStride, pixelStride: f,
                                   into: workspace.products + tile * f, pointStride: pointStride)
            }
        }
    }

    /// `dX += B dV Bᵀ` of every tile of `images`, from `workspace.inputs` (after zeroing the
    /// images' gradient): overlapping tiles add up; what falls on padding is dropped.
    private func transformInputGradient(_ workspace: Workspace, images: Int, into inputGradient: UnsafeMutablePointer<Float>) {
        let (height, width, c) = (window.inputHeight, window.inputWidth, channels)
        let pointStride = images * tilesPerImage * c
        inputGradient.update(repeating: 0, count: images * inputImageSize)
        forEachTile(of: images) { tile, image, top, left, inside in
            let corner = inputGradient + ((image * height + top) * width + left) * c
            let (target, rowStride) = inside ? (corner, width * c) : (workspace.patch, 4 * c)
            if !inside { workspace.patch.update(repeating: 0, count: 16 * c) }
            forEachLane(count: c) { lane, channels in
                inputGradientTile(lane, channels, workspace.inputs + tile * c, pointStride: pointStride,
                                  into: target, rowStride: rowStride, pixelStride: c)
            }
            guard !inside else { return }
            for row in Swift.max(0, -top)..<Swift.min(4, height - top) {
                for column in Swift.max(0, -left)..<Swift.min(4, width - left) {
                    let (from, to) = (workspace.patch + (row * 4 + column) * c, corner + (row * width + column) * c)
                    for k in 0..<c { to[k] += from[k] }
                }
            }
        }
    }
}

// MARK: One tile, a lane of channels at a time

/// The input transform of one tile: its 4×4 pixels (rows `rowStride` apart, pixels
/// `pixelStride` apart) to its 16 points (`pointStride` apart).
@inline(__always)
private func inputTile(
    _ lane: any FloatLane.Type, _ channels: Range<Int>, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
    into target: UnsafeMutablePointer<Float>, pointStride: Int
) {
    func run<L: FloatLane>(_: L.Type) {
        for k in stride(from: channels.lowerBound, to: channels.upperBound, by: L.width) {
            func column(_ s: Int) -> (L, L, L, L) {
                let pixel = source + (s &* pixelStride &+ k)
                return bT(L.load(pixel), L.load(pixel + rowStride), L.load(pixel + (2 &* rowStride)), L.load(pixel + (3 &* rowStride)))
            }
            let (x0, x1, x2, x3) = (column(0), column(1), column(2), column(3))
            store(bT(x0.0, x1.0, x2.0, x3.0), target + k, firstPoint: 0, pointStride: pointStride)
            store(bT(x0.1, x1.1, x2.1, x3.1), target + k, firstPoint: 4, pointStride: pointStride)
            store(bT(x0.2, x1.2, x2.2, x3.2), target + k, firstPoint: 8, pointStride: pointStride)
            store(bT(x0.3, x1.3, x2.3, x3.3), target + k, firstPoint: 12, pointStride: pointStride)
        }
    }
    lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
}

/// The output transform of one tile: its 16 points to its 2×2 pixels, plus the bias, then
/// ReLU when `rectify`.
@inline(__always)
private func outputTile(
    _ lane: any FloatLane.Type, _ channels: Range<Int>, _ source: UnsafePointer<Float>, pointStride: Int,
    bias: UnsafePointer<Float>, rectify: Bool, into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
) {
    func run<L: FloatLane>(_: L.Type) {
        for k in stride(from: channels.lowerBound, to: channels.upperBound, by: L.width) {
            func column(_ j: Int) -> (L, L) {
                let point = source + (j &* pointStride &+ k)
                return aT(L.load(point), L.load(point + (4 &* pointStride)), L.load(point + (8 &* pointStride)), L.load(point + (12 &* pointStride)))
            }
            let (s0, s1, s2, s3) = (column(0), column(1), column(2), column(3))
            let (y0, y1) = (aT(s0.0, s1.0, s2.0, s3.0), aT(s0.1, s1.1, s2.1, s3.1))
            let shift = L.load(bias + k)
            func activated(_ z: L) -> L { rectify ? z.rectified() : z }
            activated(y0.0 + shift).store(to: target + k)
            activated(y0.1 + shift).store(to: target + (pixelStride &+ k))
            activated(y1.0 + shift).store(to: target + (rowStride &+ k))
            activated(y1.1 + shift).store(to: target + (rowStride &+ pixelStride &+ k))
        }
    }
    lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
}

/// The adjoint of the output transform for one tile: its 2×2 output gradients to 16 points.
@inline(__always)
private func outputGradientTile(
    _ lane: any FloatLane.Type, _ channels: Range<Int>, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
    into target: UnsafeMutablePointer<Float>, pointStride: Int
) {
    func run<L: FloatLane>(_: L.Type) {
        for k in stride(from: channels.lowerBound, to: channels.upperBound, by: L.width) {
            let r0 = a(L.load(source + k), L.load(source + (rowStride &+ k)))
            let r1 = a(L.load(source + (pixelStride &+ k)), L.load(source + (rowStride &+ pixelStride &+ k)))
            store(a(r0.0, r1.0), target + k, firstPoint: 0, pointStride: pointStride)
            store(a(r0.1, r1.1), target + k, firstPoint: 4, pointStride: pointStride)
            store(a(r0.2, r1.2), target + k, firstPoint: 8, pointStride: pointStride)
            store(a(r0.3, r1.3), target + k, firstPoint: 12, pointStride: pointStride)
        }
    }
    lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
}

/// The adjoint of the input transform for one tile: its 16 points added onto its 4×4 pixels.
@inline(__always)
private func inputGradientTile(
    _ lane: any FloatLane.Type, _ channels: Range<Int>, _ source: UnsafePointer<Float>, pointStride: Int,
    into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
) {
    func run<L: FloatLane>(_: L.Type) {
        for k in stride(from: channels.lowerBound, to: channels.upperBound, by: L.width) {
            func column(_ j: Int) -> (L, L, L, L) {
                let point = source + (j &* pointStride &+ k)
                return b(L.load(point), L.load(point + (4 &* pointStride)), L.load(point + (8 &* pointStride)), L.load(point + (12 &* pointStride)))
            }
            let (q0, q1, q2, q3) = (column(0), column(1), column(2), column(3))
            add(b(q0.0, q1.0, q2.0, q3.0), target + k, pixelStride: pixelStride)
            add(b(q0.1, q1.1, q2.1, q3.1), target + (rowStride &+ k), pixelStride: pixelStride)
            add(b(q0.2, q1.2, q2.2, q3.2), target + (2 &* rowStride &+ k), pixelStride: pixelStride)
            add(b(q0.3, q1.3, q2.3, q3.3), target + (3 &* rowStride &+ k), pixelStride: pixelStride)
        }
    }
    lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
}

// The 1-D transforms (F(2, 3)'s matrices applied to one row or column of four or two values),
// and their adjoints.

/// `Bᵀ x`.
@inline(__always)
private func bT<L: FloatLane>(_ x0: L, _ x1: L, _ x2: L, _ x3: L) -> (L, L, L, L) {
    (x0 - x2, x1 + x2, x2 - x1, x1 - x3)
}

/// `B x`, the adjoint of ``bT(_:_:_:_:)``.
@inline(__always)
private func b<L: FloatLane>(_ x0: L, _ x1: L, _ x2: L, _ x3: L) -> (L, L, L, L) {
    (x0, x1 - x2 + x3, x1 + x2 - x0, -x3)
}

/// `Aᵀ x`.
@inline(__always)
private func aT<L: FloatLane>(_ x0: L, _ x1: L, _ x2: L, _ x3: L) -> (L, L) {
    (x0 + x1 + x2, x1 - x2 - x3)
}

/// `A x`, the adjoint of ``aT(_:_:_:_:)``.
@inline(__always)
private func a<L: FloatLane>(_ x0: L, _ x1: L) -> (L, L, L, L) {
    (x0, x0 + x1, x0 - x1, -x1)
}

/// Adds four values to four adjacent pixels of one lane of channels.
@inline(__always)
private func add<L: FloatLane>(_ x: (L, L, L, L), _ target: UnsafeMutablePointer<Float>, pixelStride: Int) {
    (L.load(target) + x.0).store(to: target)
    (L.load(target + pixelStride) + x.1).store(to: target + pixelStride)
    (L.load(target + (2 &* pixelStride)) + x.2).store(to: target + (2 &* pixelStride))
    (L.load(target + (3 &* pixelStride)) + x.3).store(to: target + (3 &* pixelStride))
}

/// Writes four values to four consecutive points of a transformed tile.
@inline(__always)
private func store<L: FloatLane>(_ x: (L, L, L, L), _ target: UnsafeMutablePointer<Float>, firstPoint: Int, pointStride: Int) {
    x.0.store(to: target + (firstPoint &* pointStride))
    x.1.store(to: target + ((firstPoint &+ 1) &* pointStride))
    x.2.store(to: target + ((firstPoint &+ 2) &* pointStride))
    x.3.store(to: target + ((firstPoint &+ 3) &* pointStride))
}
