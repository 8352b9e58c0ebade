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
/// outside: what the geometric augmentation layers compute. Forward gathers; backward
/// scatters the gradient back with the same weights (its exact adjoint). Both walk
/// `forEachTap`, so they cannot disagree; images are split across threads.
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
        try walk(input, into: &output) { source, target, outputPixel, inputPixel, weight, channels in
            for channel in 0..<channels {
                target[outputPixel * channels + channel] += weight * source[inputPixel * channels + channel]
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
        try walk(outputGradient, into: &inputGradient) { source, target, outputPixel, inputPixel, weight, channels in
            for channel in 0..<channels {
                target[inputPixel * channels + channel] += weight * source[outputPixel * channels + channel]
            }
        }
    }

    private func check(_ batch: Tensor, operation: String) throws {
        guard batch.rank == 4, Array(batch.shape.dropFirst()) == [height, width, channels] else {
            throw TensorError.shapeMismatch(
                operation: operation, expected: [batch.shape.first ?? 0, height, width, channels], found: batch.shape)
        }
    }

    /// Zeroes `result` (shaped like `tensor`) and calls `accumulate` for every tap of every image.
    private func walk(
        _ tensor: Tensor, into result: inout Tensor,
        _ accumulate: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float, Int) -> Void
    ) throws {
        try result.resizeDiscardingContents(to: tensor.shape)
        let imageSize = height * width * channels
        let (source, target, transforms) = (tensor.storage.pointer, result.storage.pointer, transforms)
        let (height, width, channels) = (height, width, channels)
        parallelChunks(count: tensor.shape[0], costPerItem: imageSize * 8) { images in
            for n in images {
                let (image, out) = (source + n * imageSize, target + n * imageSize)
                out.update(repeating: 0, count: imageSize)
                forEachTap(height: height, width: width, transform: transforms[n]) { outputPixel, inputPixel, weight in
                    accumulate(image, out, outputPixel, inputPixel, weight, channels)
                }
            }
        }
    }
}

/// Calls `body(outputPixel, inputPixel, weight)` for each of the (up to four) input pixels
/// that output pixel `outputPixel` of a `height x width` image reads.
@inline(__always)
private func forEachTap(height: Int, width: Int, transform t: AffineTransform, _ body: (Int, Int, Float) -> Void) {
    let centreRow = Float(height - 1) / 2
    let centreColumn = Float(width - 1) / 2
    for row in 0..<height {
        for column in 0..<width {
            let y = Float(row) - centreRow
            let x = Float(column) - centreColumn
            let sourceRow = t.a * y + t.b * x + centreRow - t.shiftRows
            let sourceColumn = t.c * y + t.d * x + centreColumn - t.shiftColumns
            let top = Int(sourceRow.rounded(.down))
            let left = Int(sourceColumn.rounded(.down))
            let fy = sourceRow - Float(top)
            let fx = sourceColumn - Float(left)
            let output = row * width + column
            for dy in 0...1 {
                let wy = dy == 0 ? 1 - fy : fy
                let r = top + dy
                guard wy > 0, r >= 0, r < height else { continue }
                for dx in 0...1 {
                    let wx = dx == 0 ? 1 - fx : fx
                    let c = left + dx
                    guard wx > 0, c >= 0, c < width else { continue }
                    body(output, r * width + c, wy * wx)
                }
            }
        }
    }
}
