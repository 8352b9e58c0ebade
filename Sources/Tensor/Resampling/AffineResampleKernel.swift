import Foundation

/// A 2-D affine map from output pixel to source position, about the image centre:
/// `source = A · (output − centre) + centre − shift`, in (row, column) coordinates.
public struct AffineTransform: Sendable, Equatable {
    /// The linear part, row-major: `[[a, b], [c, d]]`.
    public var a, b, c, d: Float
    /// The shift in pixels, (rows, columns); positive moves the content down and right.
    public var shiftRows, shiftColumns: Float

    /// A transform from its linear part and shift.
    public init(a: Float, b: Float, c: Float, d: Float, shiftRows: Float, shiftColumns: Float) {
        (self.a, self.b, self.c, self.d) = (a, b, c, d)
        (self.shiftRows, self.shiftColumns) = (shiftRows, shiftColumns)
    }

    /// The identity.
    public static let identity = AffineTransform(a: 1, b: 0, c: 0, d: 1, shiftRows: 0, shiftColumns: 0)

    /// A rotation of the content by `angle` radians (counter-clockwise on screen).
    public static func rotation(_ angle: Float) -> AffineTransform {
        AffineTransform(a: cos(angle), b: sin(angle), c: -sin(angle), d: cos(angle), shiftRows: 0, shiftColumns: 0)
    }

    /// Content scaled by `1 / rowScale` and `1 / columnScale` (a scale above 1 zooms out).
    public static func zoom(rows rowScale: Float, columns columnScale: Float) -> AffineTransform {
        AffineTransform(a: rowScale, b: 0, c: 0, d: columnScale, shiftRows: 0, shiftColumns: 0)
    }

    /// Content moved by the given numbers of pixels.
    public static func translation(rows: Float, columns: Float) -> AffineTransform {
        AffineTransform(a: 1, b: 0, c: 0, d: 1, shiftRows: rows, shiftColumns: columns)
    }
}

/// Bilinear resampling of NHWC images under one ``AffineTransform`` per image, with zeros
/// outside: what the geometric augmentation layers compute. Forward gathers the four taps of
/// each output pixel; backward scatters the gradient back with the same weights (its exact
/// adjoint). Both take their taps from `bilinearTaps`, so they cannot disagree; images are
/// split across threads.
///
/// Follows the kernels' contract: made from its geometry, `forward(…, into:)` keeps the
/// transforms it used, `backward(…, into:)` uses them.
public struct AffineResampleKernel: Sendable {
    /// Height, width and channels of each image.
    public let height, width, channels: Int
    /// The transforms of the last forward pass, one per image.
    public private(set) var transforms: [AffineTransform] = []

    /// A kernel for `[height, width, channels]` images.
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` unless the shape is three positive sizes.
    public init(imageShape: [Int]) throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidShape(
                operation: "AffineResampleKernel", shape: imageShape, reason: "expected a positive [height, width, channels]")
        }
        (height, width, channels) = (imageShape[0], imageShape[1], imageShape[2])
    }

    /// Each image of an `[N, H, W, C]` batch resampled under `transforms[n]`, into `output`
    /// (resized, reusing its buffer when it can).
    /// - Throws: ``TensorError`` when the batch's shape or the number of transforms is wrong.
    public mutating func forward(_ input: Tensor, transforms: [AffineTransform], into output: inout Tensor) throws {
        try check(input, operation: "AffineResample forward")
        guard transforms.count == input.shape[0] else {
            throw TensorError.invalidArgument(
                name: "transforms", value: "\(transforms.count)", reason: "expected one per image, \(input.shape[0])")
        }
        self.transforms = transforms
        try output.resizeDiscardingContents(to: input.shape)
        let (source, target, channels, width) = (input.storage.pointer, output.storage.pointer, channels, width)
        forEachImage(input.shape[0]) { n, imageOffset, padded in
            copy(source + imageOffset, intoPadded: padded)
            let out = target + imageOffset
            forEachOutputPixel(transform: transforms[n]) { pixel, taps in
                let (i, w) = (taps.indices, taps.weights)
                for c in 0..<channels {
                    out[pixel * channels + c] = w.0 * padded[i * channels + c] + w.1 * padded[(i + 1) * channels + c]
                        + w.2 * padded[(i + width + 3) * channels + c] + w.3 * padded[(i + width + 4) * channels + c]
                }
            }
        }
    }

    /// The gradient with respect to the last forward pass's input, given the gradient with
    /// respect to its output, into `inputGradient` (resized, reusing its buffer when it can).
    /// - Throws: ``TensorError`` when `outputGradient` does not fit the last forward pass.
    public func backward(outputGradient: Tensor, into inputGradient: inout Tensor) throws {
        try check(outputGradient, operation: "AffineResample backward")
        guard transforms.count == outputGradient.shape[0] else {
            throw TensorError.shapeMismatch(
                operation: "AffineResample backward output gradient (call forward first)",
                expected: [transforms.count, height, width, channels], found: outputGradient.shape)
        }
        try inputGradient.resizeDiscardingContents(to: outputGradient.shape)
        let (source, target, channels, width) = (outputGradient.storage.pointer, inputGradient.storage.pointer, channels, width)
        let paddedSize = (height + 3) * (width + 3) * channels
        forEachImage(outputGradient.shape[0]) { n, imageOffset, padded in
            padded.update(repeating: 0, count: paddedSize)
            let gradient = source + imageOffset
            forEachOutputPixel(transform: transforms[n]) { pixel, taps in
                let (i, w) = (taps.indices, taps.weights)
                for c in 0..<channels {
                    let g = gradient[pixel * channels + c]
                    padded[i * channels + c] += w.0 * g
                    padded[(i + 1) * channels + c] += w.1 * g
                    padded[(i + width + 3) * channels + c] += w.2 * g
                    padded[(i + width + 4) * channels + c] += w.3 * g
                }
            }
            copy(padded, fromPaddedInto: target + imageOffset)
        }
    }

    private func check(_ batch: Tensor, operation: String) throws {
        guard batch.rank == 4, Array(batch.shape.dropFirst()) == [height, width, channels] else {
            throw TensorError.shapeMismatch(
                operation: operation, expected: [batch.shape.first ?? 0, height, width, channels], found: batch.shape)
        }
    }

    /// Calls `body(n, offset of image n, padded)` for every image, split across threads;
    /// `padded` is the thread's scratch image with a border of zeros: one row and column
    /// before the image, two after, `(H + 3) x (W + 3) x C`.
    @inline(__always)
    private func forEachImage(_ count: Int, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let imageSize = height * width * channels
        let paddedSize = (height + 3) * (width + 3) * channels
        parallelChunks(count: count, costPerItem: height * width * (channels + 4) * 2) { images in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: paddedSize) { scratch in
                let padded = scratch.baseAddress!
                padded.update(repeating: 0, count: paddedSize)
                for n in images { body(n, n * imageSize, padded) }
            }
        }
    }

    /// Copies an image into the interior of a padded scratch image (the border stays zero).
    @inline(__always)
    private func copy(_ image: UnsafePointer<Float>, intoPadded padded: UnsafeMutablePointer<Float>) {
        let rowSize = width * channels
        for row in 0..<height {
            (padded + ((row + 1) * (width + 3) + 1) * channels).update(from: image + row * rowSize, count: rowSize)
        }
    }

    /// Copies the interior of a padded scratch image into an image.
    @inline(__always)
    private func copy(_ padded: UnsafeMutablePointer<Float>, fromPaddedInto image: UnsafeMutablePointer<Float>) {
        let rowSize = width * channels
        for row in 0..<height {
            (image + row * rowSize).update(from: padded + ((row + 1) * (width + 3) + 1) * channels, count: rowSize)
        }
    }

    /// Calls `body(outputPixel, taps)` for every pixel of an image, in order.
    @inline(__always)
    private func forEachOutputPixel(transform: AffineTransform, _ body: (Int, BilinearTaps) -> Void) {
        let (height, width) = (height, width)
        let centreRow = Float(height - 1) / 2
        let centreColumn = Float(width - 1) / 2
        for row in 0..<height {
            let y = Float(row) - centreRow
            // The source position is affine in the column: start + step · column.
            var sourceRow = transform.a * y - transform.b * centreColumn + centreRow - transform.shiftRows
            var sourceColumn = transform.c * y - transform.d * centreColumn + centreColumn - transform.shiftColumns
            for column in 0..<width {
                body(row * width + column, BilinearTaps(row: sourceRow, column: sourceColumn, height: height, width: width))
                sourceRow += transform.b
                sourceColumn += transform.d
            }
        }
    }
}

/// The four pixels of a padded scratch image (see `forEachImage`) around a source position,
/// and their bilinear weights. The position is clamped to the border (`[-1, size]`), where
/// the padding is zero, so every tap can be read without a check: a position outside the
/// image reads only zeros.
struct BilinearTaps {
    /// The padded index of the top-left neighbour; the others are +1, +(W + 3), +(W + 4).
    var indices: Int
    /// The weights of the top-left, top-right, bottom-left and bottom-right neighbours.
    var weights: (Float, Float, Float, Float)

    @inline(__always)
    init(row: Float, column: Float, height: Int, width: Int) {
        // Clamped into [-1, size] (NaN fails `> -1` and becomes -1); +1 makes it non-negative,
        // so truncation is floor.
        let (lowRow, lowColumn) = (row > -1 ? row : -1, column > -1 ? column : -1)
        let shiftedRow = (lowRow < Float(height) ? lowRow : Float(height)) + 1
        let shiftedColumn = (lowColumn < Float(width) ? lowColumn : Float(width)) + 1
        let (top, left) = (Int(shiftedRow), Int(shiftedColumn))
        let (fy, fx) = (shiftedRow - Float(top), shiftedColumn - Float(left))
        indices = top * (width + 3) + left
        weights = ((1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx)
    }
}
