/// Average pooling of NHWC images. With `.same` padding the padded cells are left out of
/// each average (the divisor is the number of real cells), as in Keras.
public struct AveragePool2DKernel: Sendable {
    /// Where the pooling window lands on the input.
    public let window: WindowGeometry
    /// Channels of each image; pooling is per channel.
    public let channels: Int
    /// The shape of the last forward pass's input, which backward's gradient takes.
    private var lastInputShape: [Int] = []

    /// Average pooling of `[H, W, C]` images with a `poolSize` window.
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
        (window, channels) = try poolingGeometry(inputShape, poolSize, strides, padding, "AveragePool2DKernel")
    }

    /// The mean of each window of an `[N, H, W, C]` batch, written into `output`, resized to
    /// `[N, OH, OW, C]` (reusing its buffer when it can).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public mutating func forward(_ input: Tensor, into output: inout Tensor) throws {
        let outputShape = try window.pooledShape(of: input, channels: channels, operation: "AveragePool2D forward")
        try output.resizeDiscardingContents(to: outputShape)
        lastInputShape = input.shape
        let (x, y, channels, window) = (input.storage.pointer, output.storage.pointer, channels, window)
        let imageSize = window.inputHeight * window.inputWidth * channels
        window.forEachPoolingWindow(batch: outputShape[0], channels: channels) { n, oh, ow, rows, columns in
            let out = y + ((n * window.outputHeight + oh) * window.outputWidth + ow) * channels
            out.update(repeating: 0, count: channels)
            for ih in rows {
                for iw in columns {
                    zipScalars(out, x + n * imageSize + (ih * window.inputWidth + iw) * channels, out, count: channels, +)
                }
            }
            let scale = 1 / Float(rows.count * columns.count)
            mapScalars(out, out, count: channels) { $0 * scale }
        }
    }

    /// The gradient with respect to the last forward pass's input, given the gradient with
    /// respect to its output, written into `inputGradient` (resized, reusing its buffer): each
    /// output gradient is shared equally by the cells of its window.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when `outputGradient`
    ///   does not have the last output's shape, or forward has not run.
    public func backward(outputGradient: Tensor, into inputGradient: inout Tensor) throws {
        let expected = lastInputShape.isEmpty
            ? [] : [lastInputShape[0], window.outputHeight, window.outputWidth, channels]
        guard !lastInputShape.isEmpty, outputGradient.shape == expected else {
            throw TensorError.shapeMismatch(
                operation: "AveragePool2D backward output gradient (call forward first)",
                expected: expected, found: outputGradient.shape)
        }
        try inputGradient.resizeDiscardingContents(to: lastInputShape)
        inputGradient.storage.pointer.update(repeating: 0, count: inputGradient.count)
        let inputShape = lastInputShape
        let (dY, dX, channels, window) = (outputGradient.storage.pointer, inputGradient.storage.pointer, channels, window)
        let imageSize = window.inputHeight * window.inputWidth * channels
        window.forEachPoolingWindow(batch: inputShape[0], channels: channels) { n, oh, ow, rows, columns in
            let gradient = dY + ((n * window.outputHeight + oh) * window.outputWidth + ow) * channels
            let scale = 1 / Float(rows.count * columns.count)
            for ih in rows {
                for iw in columns {
                    let cell = dX + n * imageSize + (ih * window.inputWidth + iw) * channels
                    zipScalars(cell, gradient, cell, count: channels) { $0 + $1 * scale }
                }
            }
        }
    }
}
