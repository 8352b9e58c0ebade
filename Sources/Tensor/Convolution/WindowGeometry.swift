/// How a sliding window treats the image border, as in Keras.
public enum Padding: String, Sendable, Codable, CaseIterable {
    /// No padding: the window stays inside the image; `output = floor((input - window) / stride) + 1`.
    case valid
    /// Zero padding (split evenly, the extra cell at the bottom/right) so that
    /// `output = ceil(input / stride)`.
    case same
    /// Zero padding before the input only, `(window - 1) · dilation` cells, so that an output
    /// never sees a later input (`output = ceil(input / stride)`): `Conv1D`'s padding for
    /// sequence models, as in Keras.
    case causal
}

/// Where a sliding window (a convolution kernel or a pooling window) lands on an image:
/// the output size and the padding before the first row and column.
public struct WindowGeometry: Equatable, Sendable {
    /// Input height and width.
    public let inputHeight, inputWidth: Int
    /// Window height and width.
    public let windowHeight, windowWidth: Int
    /// Step between windows, vertically and horizontally.
    public let strideHeight, strideWidth: Int
    /// Step between a window's taps (1: adjacent cells; Keras's `dilation_rate`).
    public let dilationHeight, dilationWidth: Int
    /// The border rule.
    public let padding: Padding
    /// Output height and width.
    public let outputHeight, outputWidth: Int
    /// Zero rows above and zero columns left of the image (0 for `.valid`).
    public let padTop, padLeft: Int
    /// Zero rows below and zero columns right of the image that some window reaches.
    public let padBottom, padRight: Int
    /// The rows and columns a window spans, its taps and the gaps between them.
    public var spanHeight: Int { (windowHeight - 1) * dilationHeight + 1 }
    public var spanWidth: Int { (windowWidth - 1) * dilationWidth + 1 }

    /// Computes the output size for the given input, window, strides, dilation and padding.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a non-positive
    ///   window, stride or dilation, ``TensorError/invalidShape(operation:shape:reason:)`` when a
    ///   `.valid` window spans more than the input.
    public init(
        inputHeight: Int, inputWidth: Int, windowHeight: Int, windowWidth: Int,
        strideHeight: Int = 1, strideWidth: Int = 1, dilationHeight: Int = 1, dilationWidth: Int = 1,
        padding: Padding = .valid
    ) throws {
        for (name, value) in [("window height", windowHeight), ("window width", windowWidth),
                              ("stride height", strideHeight), ("stride width", strideWidth),
                              ("dilation height", dilationHeight), ("dilation width", dilationWidth)] where value < 1 {
            throw TensorError.invalidArgument(name: name, value: "\(value)", reason: "expected a positive integer")
        }
        guard inputHeight >= 1, inputWidth >= 1 else {
            throw TensorError.invalidShape(
                operation: "window", shape: [inputHeight, inputWidth], reason: "expected a positive height and width")
        }
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.windowHeight = windowHeight
        self.windowWidth = windowWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
        self.padding = padding
        let (spanHeight, spanWidth) = ((windowHeight - 1) * dilationHeight + 1, (windowWidth - 1) * dilationWidth + 1)
        switch padding {
        case .valid:
            guard inputHeight >= spanHeight, inputWidth >= spanWidth else {
                throw TensorError.invalidShape(
                    operation: "window \(spanHeight)x\(spanWidth) with padding .valid",
                    shape: [inputHeight, inputWidth],
                    reason: "the input is smaller than the window; use padding .same or a smaller window")
            }
            (padTop, padLeft) = (0, 0)
            outputHeight = (inputHeight - spanHeight) / strideHeight + 1
            outputWidth = (inputWidth - spanWidth) / strideWidth + 1
        case .same, .causal:
            outputHeight = (inputHeight + strideHeight - 1) / strideHeight
            outputWidth = (inputWidth + strideWidth - 1) / strideWidth
            if padding == .causal {
                (padTop, padLeft) = (spanHeight - 1, spanWidth - 1)
            } else {
                padTop = Swift.max((outputHeight - 1) * strideHeight + spanHeight - inputHeight, 0) / 2
                padLeft = Swift.max((outputWidth - 1) * strideWidth + spanWidth - inputWidth, 0) / 2
            }
        }
        padBottom = Swift.max((outputHeight - 1) * strideHeight + spanHeight - inputHeight - padTop, 0)
        padRight = Swift.max((outputWidth - 1) * strideWidth + spanWidth - inputWidth - padLeft, 0)
    }

    /// The input rows the window at output row `outputRow` covers, clipped to the image (for
    /// windows without dilation: pooling).
    @inlinable
    public func inputRows(forOutputRow outputRow: Int) -> Range<Int> {
        let start = outputRow * strideHeight - padTop
        return Swift.max(start, 0)..<Swift.min(start + windowHeight, inputHeight)
    }

    /// The input columns the window at output column `outputColumn` covers, clipped to the image
    /// (for windows without dilation: pooling).
    @inlinable
    public func inputColumns(forOutputColumn outputColumn: Int) -> Range<Int> {
        let start = outputColumn * strideWidth - padLeft
        return Swift.max(start, 0)..<Swift.min(start + windowWidth, inputWidth)
    }

    /// Checks that `input` is an NHWC batch of at least one image of this geometry with
    /// `channels` channels, and returns the batch size.
    func batchSize(of input: Tensor, channels: Int, operation: String) throws -> Int {
        guard input.rank == 4, input.shape[1] == inputHeight, input.shape[2] == inputWidth,
              input.shape[3] == channels else {
            throw TensorError.shapeMismatch(
                operation: "\(operation) input [batch, height, width, channels]",
                expected: [input.rank == 4 ? input.shape[0] : -1, inputHeight, inputWidth, channels], found: input.shape)
        }
        guard input.shape[0] > 0 else { throw TensorError.empty(operation: operation, shape: input.shape) }
        return input.shape[0]
    }
}
