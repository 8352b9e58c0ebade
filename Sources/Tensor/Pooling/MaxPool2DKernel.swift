/// Max pooling of NHWC images. Forward keeps, for every output scalar, the position of
/// the input scalar it came from, so that backward routes each gradient there.
/// Padded cells (with `.same`) never win, as in Keras.
public struct MaxPool2DKernel: Sendable {
    /// Where the pooling window lands on the input.
    public let window: WindowGeometry
    /// Channels of each image; pooling is per channel.
    public let channels: Int
    /// For each output scalar of the last forward pass, the flat index of its maximum
    /// within its own image (so that images can be processed in parallel).
    private var argmax: [Int32] = []
    private var lastInputShape: [Int] = []

    /// Max pooling of `[H, W, C]` images with a `poolSize` window.
    /// - Parameters:
    ///   - inputShape: `[height, width, channels]` of one image.
    ///   - poolSize: the window's height and width.
    ///   - strides: the step between windows; nil means `poolSize`, as in Keras.
    ///   - padding: `.valid`, or `.same` (padded cells never count).
    /// - Throws: ``TensorError`` for non-positive sizes or a `.valid` window larger than the image.
    public init(
        inputShape: [Int], poolSize: (height: Int, width: Int),
        strides: (height: Int, width: Int)? = nil, padding: Padding = .valid
    ) throws {
        (window, channels) = try poolingGeometry(inputShape, poolSize, strides, padding, "MaxPool2DKernel")
    }

    /// The maxima of each window of an `[N, H, W, C]` batch, written into `output`, resized to
    /// `[N, OH, OW, C]` (reusing its buffer when it can). Keeps where each maximum was for backward.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public mutating func forward(_ input: Tensor, into output: inout Tensor) throws {
        try forward(input, keepingPositions: true, into: &output)
    }

    /// ``forward(_:into:)`` that keeps where each maximum was only when `keepingPositions`;
    /// without them (inference) it writes less, and backward cannot follow.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public mutating func forward(_ input: Tensor, keepingPositions: Bool, into output: inout Tensor) throws {
        let outputShape = try window.pooledShape(of: input, channels: channels, operation: "MaxPool2D forward")
        try output.resizeDiscardingContents(to: outputShape)
        if keepingPositions, argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let (x, y, channels, window) = (input.storage.pointer, output.storage.pointer, channels, window)
        let imageSize = window.inputHeight * window.inputWidth * channels
        argmax.withUnsafeMutableBufferPointer { argmax in
            let argmax = keepingPositions ? argmax.baseAddress : nil
            window.forEachPoolingWindow(batch: outputShape[0], channels: channels) { n, oh, ow, rows, columns in
                let out = ((n * window.outputHeight + oh) * window.outputWidth + ow) * channels
                maxOfWindow(image: x + n * imageSize, rows: rows, columns: columns, width: window.inputWidth,
                            channels: channels, maxima: y + out, positions: argmax.map { $0 + out })
            }
        }
        lastInputShape = keepingPositions ? input.shape : []
    }

    /// The gradient with respect to the last forward pass's input, given the gradient with
    /// respect to its output, written into `inputGradient` (resized, reusing its buffer when it
    /// can): each output gradient goes to the position of its maximum.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when `outputGradient`
    ///   does not have the last output's shape, or forward has not run.
    public func backward(outputGradient: Tensor, into inputGradient: inout Tensor) throws {
        let expected = lastInputShape.isEmpty
            ? [] : [lastInputShape[0], window.outputHeight, window.outputWidth, channels]
        guard !lastInputShape.isEmpty, outputGradient.shape == expected else {
            throw TensorError.shapeMismatch(
                operation: "MaxPool2D backward output gradient (call forward first)",
                expected: expected, found: outputGradient.shape)
        }
        try inputGradient.resizeDiscardingContents(to: lastInputShape)
        let (dY, dX) = (outputGradient.storage.pointer, inputGradient.storage.pointer)
        let imageSize = window.inputHeight * window.inputWidth * channels
        let outputsPerImage = window.outputHeight * window.outputWidth * channels
        argmax.withUnsafeBufferPointer { argmax in
            parallelChunks(count: lastInputShape[0], costPerItem: imageSize) { images in
                for n in images {
                    let image = dX + n * imageSize
                    image.update(repeating: 0, count: imageSize)
                    for index in n * outputsPerImage..<(n + 1) * outputsPerImage {
                        image[Int(argmax[index])] += dY[index]
                    }
                }
            }
        }
    }
}

/// Writes the per-channel maximum of the window `rows x columns` of `image` to `maxima`,
/// and, when `positions` is not nil, the flat index (within the image) of the first cell
/// holding it there.
/// Eight channels at a time with SIMD blends: branches on the comparisons would be
/// mispredicted half the time on real data.
@inline(__always)
private func maxOfWindow(
    image: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>, width: Int, channels: Int,
    maxima: UnsafeMutablePointer<Float>, positions: UnsafeMutablePointer<Int32>?
) {
    typealias Lanes = SIMD8<Float>
    let laneOffsets = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    let first = (rows.lowerBound * width + columns.lowerBound) * channels
    var c = 0
    while c + Lanes.scalarCount <= channels {
        var best = UnsafeRawPointer(image + first + c).loadUnaligned(as: Lanes.self)
        var bestPosition = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: first + c)) &+ laneOffsets
        for ih in rows {
            for iw in columns {
                let cell = (ih * width + iw) * channels + c
                let values = UnsafeRawPointer(image + cell).loadUnaligned(as: Lanes.self)
                let larger = values .> best
                best.replace(with: values, where: larger)
                if positions != nil {
                    bestPosition.replace(with: SIMD8(repeating: Int32(truncatingIfNeeded: cell)) &+ laneOffsets, where: larger)
                }
            }
        }
        UnsafeMutableRawPointer(maxima + c).storeBytes(of: best, as: Lanes.self)
        if let positions { UnsafeMutableRawPointer(positions + c).storeBytes(of: bestPosition, as: SIMD8<Int32>.self) }
        c += Lanes.scalarCount
    }
    for c in c..<channels {
        var best = image[first + c]
        var bestPosition = first + c
        for ih in rows {
            for iw in columns {
                let cell = (ih * width + iw) * channels + c
                if image[cell] > best {
                    best = image[cell]
                    bestPosition = cell
                }
            }
        }
        maxima[c] = best
        positions?[c] = Int32(truncatingIfNeeded: bestPosition)
    }
}

/// The geometry checks both pooling kernels make on their arguments.
func poolingGeometry(
    _ inputShape: [Int], _ poolSize: (height: Int, width: Int), _ strides: (height: Int, width: Int)?,
    _ padding: Padding, _ operation: String
) throws -> (WindowGeometry, Int) {
    guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
        throw TensorError.invalidShape(
            operation: operation, shape: inputShape, reason: "expected a positive [height, width, channels]")
    }
    guard padding != .causal else {
        throw TensorError.invalidArgument(name: "padding", value: "causal", reason: "expected .valid or .same for pooling")
    }
    let strides = strides ?? poolSize
    let window = try WindowGeometry(
        inputHeight: inputShape[0], inputWidth: inputShape[1], windowHeight: poolSize.height,
        windowWidth: poolSize.width, strideHeight: strides.height, strideWidth: strides.width, padding: padding)
    return (window, inputShape[2])
}
