/// Average pooling of NHWC images. With `.same` padding the padded cells are left out of
/// each average (the divisor is the number of real cells), as in Keras.
public struct AveragePool2DKernel: Sendable {
    /// Where the pooling window lands on the input.
    public let window: WindowGeometry
    /// Channels of each image; pooling is per channel.
    public let channels: Int

    /// Average pooling of `[H, W, C]` images with a `poolSize` window.
    /// - Parameters:
    ///   - strides: the step between windows; nil means `poolSize`, as in Keras.
    /// - Throws: ``TensorError`` for non-positive sizes or a `.valid` window larger than the image.
    public init(
        inputShape: [Int], poolSize: (height: Int, width: Int),
        strides: (height: Int, width: Int)? = nil, padding: Padding = .valid
    ) throws {
        (window, channels) = try poolingGeometry(inputShape, poolSize, strides, padding, "AveragePool2DKernel")
    }

    /// The mean of each window of an `[N, H, W, C]` batch, as `[N, OH, OW, C]`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public func forward(_ input: Tensor) throws -> Tensor {
        let outputShape = try window.pooledShape(of: input, channels: channels, operation: "AveragePool2D forward")
        let output = Tensor(uninitializedShape: outputShape)
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
        return output
    }

    /// The gradient with respect to an `inputShape` input, given the gradient with respect
    /// to the output: each output gradient is shared equally by the cells of its window.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes do not match this kernel.
    public func backward(outputGradient: Tensor, inputShape: [Int]) throws -> Tensor {
        let inputGradient = try Tensor.zeros(inputShape)
        let expected = try window.pooledShape(of: inputGradient, channels: channels, operation: "AveragePool2D backward")
        guard outputGradient.shape == expected else {
            throw TensorError.shapeMismatch(
                operation: "AveragePool2D backward output gradient", expected: expected, found: outputGradient.shape)
        }
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
        return inputGradient
    }
}
