/// A 2-D convolution of NHWC images, computed by the ``Algorithm`` it was made with, with a
/// ReLU (``FusedActivation``) applied and differentiated in its own passes when asked.
///
/// The reference algorithm, ``Algorithm/im2col``: a block of images becomes one
/// `[images·OH·OW, KH·KW·C]` column matrix, and one GEMM with the weights viewed as
/// `[KH·KW·C, F]` gives the block's NHWC output; backward takes `dW = colsᵀ · dZ` and
/// `dCols = dZ · Wᵀ` (two GEMMs), then col2im. ``Algorithm/winograd`` computes 3×3 stride-1
/// convolutions with 2.25 times fewer multiplications. Both split the batch into a chunk of
/// images per thread (``ComputeThreads/count``), gone through in blocks small enough to stay
/// in cache (``maximumBlockElements``), and add the threads' gradients in a fixed order, so a
/// result repeats exactly for a given thread count.
///
/// The kernel follows the contract of all kernels: made from its geometry (set-up),
/// `forward(…, into:)` sizes its output, and `backward(…, into:)` computes the gradients
/// (recomputing the columns or transformed tiles block by block, which costs less than
/// keeping them for a whole batch). It is a value you keep (a layer stores one):
///
/// ```swift
/// var conv = try Conv2DKernel(inputShape: [28, 28, 1], filters: 32, kernelSize: (3, 3))
/// var (y, gradients) = (Tensor([]), Conv2DKernel.Gradients())
/// try conv.forward(x, weights: w, bias: b, activation: .relu, into: &y)         // [N, 26, 26, 32]
/// try conv.backward(input: x, output: y, outputGradient: dy, weights: w, activation: .relu, into: &gradients)
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
        /// Winograd F(4×4, 3×3): 3×3 kernels with stride 1, 4 times fewer multiplications and
        /// smaller transformed tiles per output pixel; rounds slightly more (about 2e-6 relative).
        case winograd4x4

        /// Whether the algorithm can compute a convolution of this geometry.
        public func supports(_ window: WindowGeometry) -> Bool {
            switch self {
            case .im2col: true
            case .winograd, .winograd4x4: winogradSupports(window)
            }
        }

        /// The algorithm a kernel uses when none is asked for, a rule of the geometry alone (so a
        /// seeded run computes the same way every time): im2col unless the kernel is 3×3 with
        /// stride 1 and the input has at least ``winogradMinimumChannels`` channels (with
        /// fewer, Winograd's transforms cost more than the multiplications they save); then
        /// F(4×4, 3×3) when its tiles need at most 3/4 of F(2×2)'s multiplications (36 per
        /// 4×4 tile against 16 per 2×2 tile, counting the tiles that overhang the output), as
        /// for 8×8, 11×11 and 24×24 outputs, and F(2×2, 3×3) otherwise (10×10: 2×2 tiles fit
        /// exactly; measured, F(4×4) was 5 % slower there and 20–30 % faster on the others).
        public static func preferred(for window: WindowGeometry, inputChannels: Int) -> Algorithm {
            guard winogradSupports(window), inputChannels >= winogradMinimumChannels else { return .im2col }
            func tiles(_ size: Int) -> Int {
                ((window.outputHeight + size - 1) / size) * ((window.outputWidth + size - 1) / size)
            }
            return 4 * (36 * tiles(4)) <= 3 * (16 * tiles(2)) ? .winograd4x4 : .winograd
        }

        /// The fewest input channels for which ``preferred(for:inputChannels:)`` picks Winograd.
        public static let winogradMinimumChannels = 8
    }

    /// The algorithm this kernel computes with.
    public let algorithm: Algorithm
    /// Where the kernel window lands on the input.
    public let window: WindowGeometry
    /// Channels of each input image.
    public let inputChannels: Int
    /// Output channels (the number of filters).
    public let filters: Int
    /// The most scalars of workspace (columns or transformed tiles, and outputs) one thread
    /// holds for a block of images. The default, 128 Ki scalars (512 KiB), keeps a block in a
    /// core's L2 cache from the pass that writes it to the one that reads it; a block always
    /// holds at least one image.
    public var maximumBlockElements = 1 << 17

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

    /// A convolution of `[H, W, C]` images with `filters` kernels of `kernelSize`, taps
    /// `dilation` cells apart, computed by `algorithm`, or when it is nil by
    /// ``Algorithm/preferred(for:inputChannels:)``.
    /// - Throws: ``TensorError`` for non-positive sizes, a `.valid` kernel larger than the
    ///   image, or an algorithm that does not support the geometry.
    public init(
        inputShape: [Int], filters: Int, kernelSize: (height: Int, width: Int),
        strides: (height: Int, width: Int) = (1, 1), dilation: (height: Int, width: Int) = (1, 1),
        padding: Padding = .valid, algorithm: Algorithm? = nil
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
            strideHeight: strides.height, strideWidth: strides.width,
            dilationHeight: dilation.height, dilationWidth: dilation.width, padding: padding)
        inputChannels = inputShape[2]
        self.filters = filters
        let algorithm = algorithm ?? .preferred(for: window, inputChannels: inputChannels)
        guard algorithm.supports(window) else {
            throw TensorError.invalidArgument(
                name: "algorithm", value: algorithm.rawValue,
                reason: "expected a 3x3 kernel with stride 1, no dilation and no causal padding for Winograd, found "
                    + "\(kernelSize.height)x\(kernelSize.width) with strides \(strides.height)x\(strides.width), dilation "
                    + "\(dilation.height)x\(dilation.width), padding .\(padding); use .im2col")
        }
        self.algorithm = algorithm
    }

    /// The shape of one output image, `[OH, OW, F]`.
    public var outputShape: [Int] { [window.outputHeight, window.outputWidth, filters] }
    /// The shape the weights must have, `[KH, KW, C, F]`.
    public var weightShape: [Int] { [window.windowHeight, window.windowWidth, inputChannels, filters] }

    private var patchSize: Int { window.windowHeight * window.windowWidth * inputChannels }
    private var pixelsPerImage: Int { window.outputHeight * window.outputWidth }

    /// The implementation of ``algorithm`` for this geometry and ``maximumBlockElements``.
    private var implementation: any ConvolutionAlgorithm {
        switch algorithm {
        case .im2col:
            Im2colConvolution(window: window, channels: inputChannels, filters: filters, blockScalars: maximumBlockElements)
        case .winograd:
            Winograd<WinogradF2x3>(window: window, channels: inputChannels, filters: filters, blockScalars: maximumBlockElements)
        case .winograd4x4:
            Winograd<WinogradF4x3>(window: window, channels: inputChannels, filters: filters, blockScalars: maximumBlockElements)
        }
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
        implementation.forward(input.storage.pointer, batch: batch, weights: weights.storage.pointer,
                               bias: bias.map { UnsafePointer($0.storage.pointer) }, activation: activation,
                               into: output.storage.pointer)
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
        try gradients.input.resizeForGradient(to: input.shape, if: inputGradient)
        implementation.backward(
            input: input.storage.pointer, output: activation == .identity ? nil : output.map { UnsafePointer($0.storage.pointer) },
            outputGradient: outputGradient.storage.pointer, batch: batch, weights: weights.storage.pointer,
            activation: activation, weightGradient: gradients.weights.storage.pointer,
            biasGradient: gradients.bias.storage.pointer, inputGradient: gradients.input?.storage.pointer)
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
