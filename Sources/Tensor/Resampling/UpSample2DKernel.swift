/// NHWC images enlarged by whole factors, as Keras's `UpSampling2D`: each output pixel is a
/// weighted sum of at most four input pixels, its taps, the same for every image and channel.
/// ``Interpolation/nearest`` repeats each pixel; ``Interpolation/bilinear`` interpolates with
/// half-pixel centres, as TensorFlow's `resize` (the edges repeat). Forward gathers the taps,
/// backward scatters the gradient back with the same weights (its exact adjoint); images are
/// split across threads.
public struct UpSample2DKernel: Sendable {
    /// How output pixels are made from input pixels.
    public enum Interpolation: String, Sendable, Codable, CaseIterable {
        /// Each input pixel repeated over a `factor` block.
        case nearest
        /// Linear in each direction between the two nearest input centres.
        case bilinear
    }

    /// Height, width and channels of each input image.
    public let height, width, channels: Int
    /// How many output rows and columns per input row and column.
    public let rowFactor, columnFactor: Int
    public let interpolation: Interpolation
    private let rowTaps, columnTaps: [Tap]

    /// An output row's (or column's) two input rows and the weight of the second.
    private struct Tap: Sendable {
        let first, second: Int
        let weight: Float
    }

    /// A kernel enlarging `[height, width, channels]` images by `factors`.
    /// - Throws: ``TensorError`` unless the shape is three positive sizes and the factors are positive.
    public init(imageShape: [Int], factors: (rows: Int, columns: Int), interpolation: Interpolation) throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidShape(
                operation: "UpSample2DKernel", shape: imageShape, reason: "expected a positive [height, width, channels]")
        }
        guard factors.rows > 0, factors.columns > 0 else {
            throw TensorError.invalidArgument(name: "factors", value: "(\(factors.rows), \(factors.columns))",
                                              reason: "expected positive factors")
        }
        (height, width, channels) = (imageShape[0], imageShape[1], imageShape[2])
        (rowFactor, columnFactor, self.interpolation) = (factors.rows, factors.columns, interpolation)
        rowTaps = Self.taps(size: height, factor: rowFactor, interpolation)
        columnTaps = Self.taps(size: width, factor: columnFactor, interpolation)
    }

    /// The taps of each of the `size · factor` outputs along one axis.
    private static func taps(size: Int, factor: Int, _ interpolation: Interpolation) -> [Tap] {
        (0..<(size * factor)).map { output in
            switch interpolation {
            case .nearest:
                return Tap(first: output / factor, second: output / factor, weight: 0)
            case .bilinear:
                let source = Swift.max((Float(output) + 0.5) / Float(factor) - 0.5, 0)
                let first = Swift.min(Int(source), size - 1)
                return Tap(first: first, second: Swift.min(first + 1, size - 1), weight: source - Float(first))
            }
        }
    }

    /// The shape of one output image, `[height · rowFactor, width · columnFactor, channels]`.
    public var outputShape: [Int] { [height * rowFactor, width * columnFactor, channels] }

    /// Each image of an `[N, H, W, C]` batch enlarged, into `output` (resized to `[N] + outputShape`,
    /// reusing its buffer when it can).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for an input of the wrong shape.
    public func forward(_ input: Tensor, into output: inout Tensor) throws {
        let batch = try batchSize(of: input, shape: [height, width, channels], operation: "UpSample2DKernel forward")
        try output.resizeDiscardingContents(to: [batch] + outputShape)
        let (source, target) = (UnsafePointer(input.storage.pointer), output.storage.pointer)
        let (inputImage, outputImage) = (height * width * channels, outputShape.reduce(1, *))
        parallelChunks(count: batch, costPerItem: 4 * outputImage) { images in
            for n in images {
                forEachTap { outputOffset, inputOffset, weight in
                    let (x, y) = (source + n * inputImage + inputOffset, target + n * outputImage + outputOffset)
                    for c in 0..<channels { y[c] += weight * x[c] }
                } start: { outputOffset in
                    (target + n * outputImage + outputOffset).update(repeating: 0, count: channels)
                }
            }
        }
    }

    /// The gradient with respect to the input of ``forward(_:into:)`` from the gradient with
    /// respect to its output, into `inputGradient` (resized to `[N, H, W, C]`).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for a gradient of the wrong shape.
    public func backward(outputGradient: Tensor, into inputGradient: inout Tensor) throws {
        let batch = try batchSize(of: outputGradient, shape: outputShape, operation: "UpSample2DKernel backward")
        try inputGradient.resizeDiscardingContents(to: [batch, height, width, channels])
        let (source, target) = (UnsafePointer(outputGradient.storage.pointer), inputGradient.storage.pointer)
        let (inputImage, outputImage) = (height * width * channels, outputShape.reduce(1, *))
        parallelChunks(count: batch, costPerItem: 4 * outputImage) { images in
            for n in images {
                (target + n * inputImage).update(repeating: 0, count: inputImage)
                forEachTap { outputOffset, inputOffset, weight in
                    let (dy, dx) = (source + n * outputImage + outputOffset, target + n * inputImage + inputOffset)
                    for c in 0..<channels { dx[c] += weight * dy[c] }
                } start: { _ in }
            }
        }
    }

    /// Calls `start(outputOffset)` for every output pixel, then `body(outputOffset, inputOffset,
    /// weight)` for each of its taps with a weight (offsets in scalars within one image).
    private func forEachTap(_ body: (_ outputOffset: Int, _ inputOffset: Int, _ weight: Float) -> Void,
                            start: (_ outputOffset: Int) -> Void) {
        let outputWidth = width * columnFactor
        for (row, rowTap) in rowTaps.enumerated() {
            for (column, columnTap) in columnTaps.enumerated() {
                let outputOffset = (row * outputWidth + column) * channels
                start(outputOffset)
                for i in 0..<2 {
                    let (inputRow, rowWeight) = i == 0 ? (rowTap.first, 1 - rowTap.weight) : (rowTap.second, rowTap.weight)
                    guard rowWeight != 0 else { continue }
                    for j in 0..<2 {
                        let (inputColumn, columnWeight) = j == 0 ? (columnTap.first, 1 - columnTap.weight)
                                                                 : (columnTap.second, columnTap.weight)
                        guard columnWeight != 0 else { continue }
                        body(outputOffset, (inputRow * width + inputColumn) * channels, rowWeight * columnWeight)
                    }
                }
            }
        }
    }

    private func batchSize(of tensor: Tensor, shape: [Int], operation: String) throws -> Int {
        guard tensor.rank == 4, Array(tensor.shape.dropFirst()) == shape, tensor.shape[0] > 0 else {
            throw TensorError.shapeMismatch(operation: operation + " [batch, height, width, channels]",
                                            expected: [tensor.rank == 4 ? Swift.max(tensor.shape[0], 1) : 1] + shape,
                                            found: tensor.shape)
        }
        return tensor.shape[0]
    }
}
