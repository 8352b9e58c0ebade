/// The mean over height and width of NHWC images: `[N, H, W, C]` becomes `[N, C]`.
/// Follows the kernels' contract: forward keeps the input's shape, backward spreads each
/// gradient evenly over the pixels it averaged.
public struct GlobalAveragePool2DKernel: Sendable {
    /// Height, width and channels of each image.
    public let height, width, channels: Int
    private var batch = 0

    /// A kernel for `[height, width, channels]` images.
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` unless the shape is three positive sizes.
    public init(imageShape: [Int]) throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidShape(
                operation: "GlobalAveragePool2DKernel", shape: imageShape, reason: "expected a positive [height, width, channels]")
        }
        (height, width, channels) = (imageShape[0], imageShape[1], imageShape[2])
    }

    /// The mean of each channel of each image, into `output` (`[N, C]`).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public mutating func forward(_ input: Tensor, into output: inout Tensor) throws {
        guard input.rank == 4, Array(input.shape.dropFirst()) == [height, width, channels] else {
            throw TensorError.shapeMismatch(operation: "GlobalAveragePool2D forward",
                                            expected: [input.shape.first ?? 0, height, width, channels], found: input.shape)
        }
        batch = input.shape[0]
        try output.resizeDiscardingContents(to: [batch, channels])
        let (x, y, pixels, channels) = (input.storage.pointer, output.storage.pointer, height * width, channels)
        let scale = 1 / Float(pixels)
        parallelChunks(count: batch, costPerItem: pixels * channels) { images in
            for n in images {
                let mean = y + n * channels
                mean.update(repeating: 0, count: channels)
                accumulateRows(x + n * pixels * channels, rows: pixels, columns: channels, into: mean, +)
                mapScalars(mean, mean, count: channels) { $0 * scale }
            }
        }
    }

    /// The gradient with respect to the last forward pass's input, into `inputGradient`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless `outputGradient` is `[N, C]`
    ///   of the last forward pass.
    public func backward(outputGradient: Tensor, into inputGradient: inout Tensor) throws {
        guard batch > 0, outputGradient.shape == [batch, channels] else {
            throw TensorError.shapeMismatch(operation: "GlobalAveragePool2D backward output gradient (call forward first)",
                                            expected: [batch, channels], found: outputGradient.shape)
        }
        try inputGradient.resizeDiscardingContents(to: [batch, height, width, channels])
        let (dY, dX, pixels, channels) = (outputGradient.storage.pointer, inputGradient.storage.pointer, height * width, channels)
        let scale = 1 / Float(pixels)
        parallelChunks(count: batch, costPerItem: pixels * channels) { images in
            for n in images {
                let image = dX + n * pixels * channels  // every cell is written: the old contents are ignored
                broadcastRows(image, dY + n * channels, image, rows: pixels, columns: channels) { _, g in g * scale }
            }
        }
    }
}
