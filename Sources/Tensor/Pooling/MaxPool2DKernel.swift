/// Max pooling of NHWC images. Forward keeps, for every output scalar, the position of
/// the input scalar it came from, so that backward routes each gradient there.
/// Padded cells (with `.same`) never win, as in Keras.
public struct MaxPool2DKernel: Sendable {
    /// Where the pooling window lands on the input.
    public let window: WindowGeometry
    /// Channels of each image; pooling is per channel.
    public let channels: Int
    /// For each output scalar of the last forward pass, the flat index of its maximum in the batch.
    private var argmax: [Int] = []
    private var lastInputShape: [Int] = []

    /// Max pooling of `[H, W, C]` images with a `poolSize` window.
    /// - Parameters:
    ///   - strides: the step between windows; nil means `poolSize`, as in Keras.
    /// - Throws: ``TensorError`` for non-positive sizes or a `.valid` window larger than the image.
    public init(
        inputShape: [Int], poolSize: (height: Int, width: Int),
        strides: (height: Int, width: Int)? = nil, padding: Padding = .valid
    ) throws {
        (window, channels) = try poolingGeometry(inputShape, poolSize, strides, padding, "MaxPool2DKernel")
    }

    /// The maxima of each window of an `[N, H, W, C]` batch, as `[N, OH, OW, C]`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public mutating func forward(_ input: Tensor) throws -> Tensor {
        let outputShape = try window.pooledShape(of: input, channels: channels, operation: "MaxPool2D forward")
        let output = Tensor(uninitializedShape: outputShape)
        if argmax.count != output.count { argmax = [Int](repeating: 0, count: output.count) }
        let (x, y, channels, window) = (input.storage.pointer, output.storage.pointer, channels, window)
        let imageSize = window.inputHeight * window.inputWidth * channels
        argmax.withUnsafeMutableBufferPointer { argmax in
            let argmax = argmax.baseAddress!
            window.forEachPoolingWindow(batch: outputShape[0], channels: channels) { n, oh, ow, rows, columns in
                let out = ((n * window.outputHeight + oh) * window.outputWidth + ow) * channels
                y.advanced(by: out).update(repeating: -.infinity, count: channels)
                for ih in rows {
                    for iw in columns {
                        let pixel = n * imageSize + (ih * window.inputWidth + iw) * channels
                        for c in 0..<channels where x[pixel + c] > y[out + c] || argmaxUnset(y[out + c]) {
                            y[out + c] = x[pixel + c]
                            argmax[out + c] = pixel + c
                        }
                    }
                }
            }
        }
        lastInputShape = input.shape
        return output
    }

    /// The gradient with respect to the input of the last ``forward(_:)``, given the gradient
    /// with respect to its output: each output gradient goes to the position of its maximum.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when `outputGradient`
    ///   does not have the last output's shape, or forward has not run.
    public func backward(outputGradient: Tensor) throws -> Tensor {
        guard !lastInputShape.isEmpty, outputGradient.count == argmax.count,
              outputGradient.shape == [lastInputShape[0], window.outputHeight, window.outputWidth, channels] else {
            throw TensorError.shapeMismatch(
                operation: "MaxPool2D backward output gradient (call forward first)",
                expected: lastInputShape.isEmpty ? [] : [lastInputShape[0], window.outputHeight, window.outputWidth, channels],
                found: outputGradient.shape)
        }
        let inputGradient = Tensor.zeros(like: Tensor(uninitializedShape: lastInputShape))
        let (dY, dX) = (outputGradient.storage.pointer, inputGradient.storage.pointer)
        let outputsPerImage = window.outputHeight * window.outputWidth * channels
        argmax.withUnsafeBufferPointer { argmax in
            // Each image's maxima lie in that image, so images can be split across threads.
            parallelChunks(count: lastInputShape[0], costPerItem: outputsPerImage) { images in
                for index in images.lowerBound * outputsPerImage..<images.upperBound * outputsPerImage {
                    dX[argmax[index]] += dY[index]
                }
            }
        }
        return inputGradient
    }
}

/// True for the initial -infinity of an output cell, so that a window of all -infinity
/// inputs still records a position.
@inline(__always)
private func argmaxUnset(_ value: Float) -> Bool { value == -.infinity }

/// The geometry checks both pooling kernels make on their arguments.
func poolingGeometry(
    _ inputShape: [Int], _ poolSize: (height: Int, width: Int), _ strides: (height: Int, width: Int)?,
    _ padding: Padding, _ operation: String
) throws -> (WindowGeometry, Int) {
    guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
        throw TensorError.invalidShape(
            operation: operation, shape: inputShape, reason: "expected a positive [height, width, channels]")
    }
    let strides = strides ?? poolSize
    let window = try WindowGeometry(
        inputHeight: inputShape[0], inputWidth: inputShape[1], windowHeight: poolSize.height,
        windowWidth: poolSize.width, strideHeight: strides.height, strideWidth: strides.width, padding: padding)
    return (window, inputShape[2])
}
