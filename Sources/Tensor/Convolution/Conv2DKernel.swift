/// A 2-D convolution of NHWC images, computed by the ``Algorithm`` it was made with.
///
/// The reference algorithm, ``Algorithm/im2col``: im2col of the mini-batch into one
/// `[N·OH·OW, KH·KW·C]` matrix, then one GEMM with the weights viewed as `[KH·KW·C, F]`; the
/// product is already the NHWC output. Backward: `dW = colsᵀ · dY` and `dCols = dY · Wᵀ` (two
/// GEMMs), then col2im. When the column matrix would exceed ``maximumColumnElements`` the
/// batch is processed in chunks of whole images. Each GEMM has one named helper, as in Caffe.
///
/// The kernel follows the contract of all kernels: made from its geometry (set-up),
/// `forward(…, into:)` sizes its outputs and keeps what backward needs (here the column
/// matrix, reused by backward when it was built from the same input in one chunk), and
/// `backward(…, into:)` only computes. It owns its column workspace, so it is a value you
/// keep (a layer stores one) and call with `mutating` methods:
///
/// ```swift
/// var conv = try Conv2DKernel(inputShape: [28, 28, 1], filters: 32, kernelSize: (3, 3))
/// var (y, gradients) = (Tensor([]), Conv2DKernel.Gradients())
/// try conv.forward(x, weights: w, bias: b, into: &y)                      // [N, 26, 26, 32]
/// try conv.backward(input: x, outputGradient: dy, weights: w, into: &gradients)
/// ```
public struct Conv2DKernel: Sendable {
    /// How a convolution is computed. Every algorithm gives the same result up to rounding;
    /// ``im2col`` is the reference the others are tested against.
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        /// im2col + GEMM: any geometry.
        case im2col
        /// Winograd F(2×2, 3×3): 3×3 kernels with stride 1, 2.25 times fewer multiplications,
        /// forward and both gradients (see ``Conv2DKernel``'s discussion).
        case winograd

        /// Whether the algorithm can compute a convolution of this geometry.
        public func supports(_ window: WindowGeometry) -> Bool {
            switch self {
            case .im2col: true
            case .winograd: Winograd2x3.supports(window)
            }
        }

        /// The algorithm a kernel uses when none is asked for: Winograd where it applies and the
        /// input has at least ``winogradMinimumChannels`` channels (with fewer, its transforms
        /// cost more than the multiplications they save), im2col otherwise. It depends on the
        /// geometry alone, so a seeded run computes the same way every time.
        public static func preferred(for window: WindowGeometry, inputChannels: Int) -> Algorithm {
            Winograd2x3.supports(window) && inputChannels >= winogradMinimumChannels ? .winograd : .im2col
        }

        /// The fewest input channels for which ``preferred(for:inputChannels:)`` picks Winograd.
        public static let winogradMinimumChannels = 8
    }

    /// The algorithm this kernel computes with.
    public let algorithm: Algorithm
    private let winograd: Winograd2x3?
    /// Where the kernel window lands on the input.
    public let window: WindowGeometry
    /// Channels of each input image.
    public let inputChannels: Int
    /// Output channels (the number of filters).
    public let filters: Int
    /// The largest column matrix, in scalars, built at once; larger batches are chunked.
    /// The default, 2 Mi scalars (8 MiB), keeps a chunk's columns in the L3 cache between
    /// im2col and the GEMM that reads them: forward+backward of the `best` MNIST recipe's
    /// convolutions and the reference CNN's conv2 ran 10–35 % faster than with whole
    /// batches of 128 (64 MiB), although backward then redoes im2col.
    public var maximumColumnElements = 1 << 21

    // What forward keeps for backward: the column matrix of its last chunk, and the input
    // it came from, so that backward can skip im2col.
    private var columns = Tensor(uninitializedShape: [0])
    private var columnsSource: TensorStorage?
    // The gradient before the fused activation, `[N, OH, OW, F]`.
    private var preActivationGradient = Tensor(uninitializedShape: [0])
    // Winograd's filters and their gradient, `[16, C, F]`.
    private var transformedFilters = Tensor(uninitializedShape: [0])
    private var transformedFilterGradient = Tensor(uninitializedShape: [0])

    /// The gradients of a convolution's loss with respect to its operands.
    public struct Gradients: Sendable {
        /// dL/dInput, `[N, H, W, C]`; nil when not requested.
        public var input: Tensor?
        /// dL/dWeights, `[KH, KW, C, F]`.
        public var weights: Tensor
        /// dL/dBias, `[F]`.
        public var bias: Tensor

        /// Empty gradients, to be filled by ``Conv2DKernel/backward(input:outputGradient:weights:inputGradient:into:)``.
        public init() {
            input = nil
            weights = Tensor(uninitializedShape: [0])
            bias = Tensor(uninitializedShape: [0])
        }
    }

    /// A convolution of `[H, W, C]` images with `filters` kernels of `kernelSize`, computed
    /// by `algorithm`, or when it is nil by ``Algorithm/preferred(for:inputChannels:)``.
    /// - Throws: ``TensorError`` for non-positive sizes, a `.valid` kernel larger than the
    ///   image, or an algorithm that does not support the geometry.
    public init(
        inputShape: [Int], filters: Int, kernelSize: (height: Int, width: Int),
        strides: (height: Int, width: Int) = (1, 1), padding: Padding = .valid, algorithm: Algorithm? = nil
    ) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidShape(
                operation: "Conv2DKernel", shape: inputShape, reason: "expected a positive [height, width, channels]")
        }
        guard filters > 0 else {
            throw TensorError.invalidArgument(name: "filters", value: "\(filters)", reason: "expected a positive integer")
        }
        window = try WindowGeometry(
            inputHeight: inputShape[0], inputWidth: inputShape[1],
            windowHeight: kernelSize.height, windowWidth: kernelSize.width,
            strideHeight: strides.height, strideWidth: strides.width, padding: padding)
        inputChannels = inputShape[2]
        self.filters = filters
        let algorithm = algorithm ?? .preferred(for: window, inputChannels: inputChannels)
        guard algorithm.supports(window) else {
            throw TensorError.invalidArgument(
                name: "algorithm", value: algorithm.rawValue,
                reason: "expected a 3x3 kernel with stride 1 for Winograd, found \(kernelSize.height)x\(kernelSize.width) "
                    + "with strides \(strides.height)x\(strides.width); use .im2col")
        }
        self.algorithm = algorithm
        winograd = algorithm == .winograd ? Winograd2x3(window: window, channels: inputChannels, filters: filters) : nil
    }

    /// The shape of one output image, `[OH, OW, F]`.
    public var outputShape: [Int] { [window.outputHeight, window.outputWidth, filters] }
    /// The shape the weights must have, `[KH, KW, C, F]`.
    public var weightShape: [Int] { [window.windowHeight, window.windowWidth, inputChannels, filters] }

    private var patchSize: Int { window.windowHeight * window.windowWidth * inputChannels }
    private var pixelsPerImage: Int { window.outputHeight * window.outputWidth }
    private func imagesPerChunk(batch: Int) -> Int {
        Swift.min(batch, Swift.max(1, maximumColumnElements / (pixelsPerImage * patchSize)))
    }

    /// `activation(convolution + bias)` of an `[N, H, W, C]` batch, written into `output`, which
    /// is resized to `[N, OH, OW, F]` and reuses its buffer when it can.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the wrong shape.
    public mutating func forward(
        _ input: Tensor, weights: Tensor, bias: Tensor?, activation: FusedActivation = .identity, into output: inout Tensor
    ) throws {
        let batch = try window.batchSize(of: input, channels: inputChannels, operation: "Conv2D forward")
        try checkParameters(weights: weights, bias: bias)
        try output.resizeDiscardingContents(to: [batch] + outputShape)
        if let winograd {
            try transformFilters(weights, with: winograd)
            winograd.forward(input.storage.pointer, batch: batch, transformedFilters: transformedFilters.storage.pointer,
                             bias: bias.map { UnsafePointer($0.storage.pointer) }, activation: activation,
                             into: output.storage.pointer)
            return
        }
        let chunk = imagesPerChunk(batch: batch)
        for first in stride(from: 0, to: batch, by: chunk) {
            let images = Swift.min(chunk, batch - first)
            let rows = images * pixelsPerImage
            let target = output.storage.pointer + first * pixelsPerImage * filters
            try fillColumns(from: input, firstImage: first, images: images)
            forwardProduct(rows: rows, weights: weights, into: target)
            activation.applyWithBias(target, rows: rows, columns: filters, bias: bias.map { UnsafePointer($0.storage.pointer) })
        }
        columnsSource = chunk == batch ? input.storage : nil
    }

    /// The gradients of the loss with respect to weights, bias and (when `inputGradient` is
    /// true) the input, given the gradient `outputGradient` with respect to the output of
    /// `forward(input, ..., activation: activation)`, written into `gradients`, whose tensors
    /// are resized and reuse their buffers when they can (so that a layer keeping them
    /// allocates nothing per step). `gradients.input` is set to nil when `inputGradient` is
    /// false. A ``FusedActivation/relu`` is differentiated from that forward's `output`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the
    ///   wrong shape, or a ReLU without its output.
    public mutating func backward(
        input: Tensor, output: Tensor? = nil, outputGradient: Tensor, weights: Tensor,
        activation: FusedActivation = .identity, inputGradient: Bool = true, into gradients: inout Gradients
    ) throws {
        let batch = try window.batchSize(of: input, channels: inputChannels, operation: "Conv2D backward")
        try checkParameters(weights: weights, bias: nil)
        guard outputGradient.shape == [batch] + outputShape else {
            throw TensorError.shapeMismatch(
                operation: "Conv2D backward output gradient", expected: [batch] + outputShape, found: outputGradient.shape)
        }
        if activation == .relu, output?.shape != outputGradient.shape {
            throw TensorError.shapeMismatch(operation: "Conv2D backward output (to differentiate the ReLU)",
                                            expected: outputGradient.shape, found: output?.shape ?? [])
        }
        try gradients.weights.resizeDiscardingContents(to: weightShape)
        try gradients.bias.resizeDiscardingContents(to: [filters])
        if inputGradient {
            var dX = gradients.input ?? Tensor(uninitializedShape: [0])
            gradients.input = nil  // so that dX's buffer is not shared and can be reused
            try dX.resizeDiscardingContents(to: input.shape)
            gradients.input = dX
        } else {
            gradients.input = nil
        }
        var outputGradient = outputGradient
        if activation != .identity {
            try preActivationGradient.resizeDiscardingContents(to: outputGradient.shape)
        }
        activation.backward(outputGradient: outputGradient.storage.pointer, output: output.map { UnsafePointer($0.storage.pointer) },
                            rows: batch * pixelsPerImage, columns: filters,
                            preActivationGradient: preActivationGradient.storage.pointer,
                            biasGradient: gradients.bias.storage.pointer)
        if activation != .identity { outputGradient = preActivationGradient }
        if let winograd {
            try transformFilters(weights, with: winograd)
            try transformedFilterGradient.resizeDiscardingContents(to: transformedFilters.shape)
            winograd.backward(input: input.storage.pointer, outputGradient: outputGradient.storage.pointer, batch: batch,
                              transformedFilters: transformedFilters.storage.pointer,
                              transformedFilterGradient: transformedFilterGradient.storage.pointer,
                              inputGradient: gradients.input?.storage.pointer)
            winograd.filterGradient(transformedFilterGradient.storage.pointer, into: gradients.weights.storage.pointer)
            return
        }
        let chunk = imagesPerChunk(batch: batch)
        for first in stride(from: 0, to: batch, by: chunk) {
            let images = Swift.min(chunk, batch - first)
            let rows = images * pixelsPerImage
            let dY = outputGradient.storage.pointer + first * pixelsPerImage * filters
            if !(chunk == batch && columnsSource === input.storage) {
                try fillColumns(from: input, firstImage: first, images: images)
            }
            weightGradientProduct(rows: rows, outputGradient: dY, accumulate: first > 0,
                                  into: gradients.weights.storage.pointer)
            guard let dX = gradients.input?.storage.pointer else { continue }
            // dCols overwrites the column matrix: it is no longer needed for this chunk.
            columnsSource = nil
            columnGradientProduct(rows: rows, outputGradient: dY, weights: weights)
            col2imBatch(columns.storage.pointer, images: images, window: window, channels: inputChannels,
                   into: dX + first * window.inputHeight * window.inputWidth * inputChannels)
        }
    }

    /// The im2col matrix of an `[N, H, W, C]` batch: `[N·OH·OW, KH·KW·C]`, row `(n, oh, ow)`
    /// holding the window under that output pixel in `(kh, kw, c)` order (zeros for padding).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public func im2col(_ input: Tensor) throws -> Tensor {
        let batch = try window.batchSize(of: input, channels: inputChannels, operation: "im2col")
        let columns = Tensor(uninitializedShape: [batch * pixelsPerImage, patchSize])
        im2colBatch(input.storage.pointer, images: batch, window: window, channels: inputChannels,
                    into: columns.storage.pointer)
        return columns
    }

    /// The adjoint of ``im2col(_:)``: an `[N, H, W, C]` batch where each pixel holds the sum of
    /// the entries of `columns` that im2col would have read from it.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless `columns` is
    ///   `[N·OH·OW, KH·KW·C]` for some batch size N ≥ 1.
    public func col2im(_ columns: Tensor) throws -> Tensor {
        let rows = columns.rank == 2 ? columns.shape[0] : 0
        guard columns.rank == 2, columns.shape[1] == patchSize, rows > 0, rows % pixelsPerImage == 0 else {
            throw TensorError.shapeMismatch(
                operation: "col2im columns [N·OH·OW, KH·KW·C]",
                expected: [Swift.max(rows / pixelsPerImage, 1) * pixelsPerImage, patchSize], found: columns.shape)
        }
        let batch = rows / pixelsPerImage
        let images = Tensor(uninitializedShape: [batch, window.inputHeight, window.inputWidth, inputChannels])
        col2imBatch(columns.storage.pointer, images: batch, window: window, channels: inputChannels,
                    into: images.storage.pointer)
        return images
    }

    // MARK: The three GEMMs

    /// `Y = cols · W`.
    private func forwardProduct(rows: Int, weights: Tensor, into output: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: filters, k: patchSize,
                  a: columns.storage.pointer, lda: patchSize, b: weights.storage.pointer, ldb: filters,
                  c: output, ldc: filters)
    }

    /// `dW = colsᵀ · dY` (added to dW when `accumulate`: a later chunk of the batch).
    private func weightGradientProduct(
        rows: Int, outputGradient: UnsafePointer<Float>, accumulate: Bool, into weightGradient: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemm(transposeA: true, transposeB: false, m: patchSize, n: filters, k: rows,
                  a: columns.storage.pointer, lda: patchSize, b: outputGradient, ldb: filters,
                  beta: accumulate ? 1 : 0, c: weightGradient, ldc: filters)
    }

    /// `dCols = dY · Wᵀ`, over the column matrix (no longer needed for this chunk).
    private func columnGradientProduct(rows: Int, outputGradient: UnsafePointer<Float>, weights: Tensor) {
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: patchSize, k: filters,
                  a: outputGradient, lda: filters, b: weights.storage.pointer, ldb: filters,
                  beta: 0, c: columns.storage.pointer, ldc: patchSize)
    }

    private mutating func fillColumns(from input: Tensor, firstImage: Int, images: Int) throws {
        try columns.resizeDiscardingContents(to: [images * pixelsPerImage, patchSize])
        let imageSize = window.inputHeight * window.inputWidth * inputChannels
        im2colBatch(input.storage.pointer + firstImage * imageSize, images: images, window: window,
               channels: inputChannels, into: columns.storage.pointer)
    }

    private mutating func transformFilters(_ weights: Tensor, with winograd: Winograd2x3) throws {
        try transformedFilters.resizeDiscardingContents(to: [Winograd2x3.points, inputChannels, filters])
        winograd.transformFilters(weights.storage.pointer, into: transformedFilters.storage.pointer)
    }

    private func checkParameters(weights: Tensor, bias: Tensor?) throws {
        guard weights.shape == weightShape else {
            throw TensorError.shapeMismatch(
                operation: "Conv2D weights [kh, kw, cin, cout]", expected: weightShape, found: weights.shape)
        }
        if let bias, bias.shape != [filters] {
            throw TensorError.shapeMismatch(operation: "Conv2D bias", expected: [filters], found: bias.shape)
        }
    }
}
