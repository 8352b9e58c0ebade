import Foundation
import Tensor

/// A 2-D affine map from output pixel to source position, about the image centre:
/// `source = A · (output − centre) + centre − shift`, in (row, column) coordinates.
public struct AffineTransform: Sendable, Equatable {
    /// The linear part, row-major: `[[a, b], [c, d]]`.
    public var a, b, c, d: Float
    /// The shift in pixels, (rows, columns); positive moves the content down and right.
    public var shiftRows, shiftColumns: Float

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

/// Bilinear resampling of NHWC images under one transform per image, with zeros outside.
/// ``resample(_:transforms:)`` gathers; ``adjoint(_:transforms:)`` scatters the gradient
/// back with the same weights. Both walk ``forEachTap``, so they cannot disagree.
enum AffineResampler {
    /// Calls `body(outputPixel, inputPixel, weight)` for each of the (up to four) input
    /// pixels that output pixel `outputPixel` of an `height x width` image reads.
    @inline(__always)
    static func forEachTap(height: Int, width: Int, transform t: AffineTransform, _ body: (Int, Int, Float) -> Void) {
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

    /// Each image of `images` resampled under its transform.
    static func resample(_ images: Tensor, transforms: [AffineTransform]) throws -> Tensor {
        try walk(images, transforms: transforms) { source, target, output, input, weight, channels in
            for channel in 0..<channels { target[output * channels + channel] += weight * source[input * channels + channel] }
        }
    }

    /// The adjoint of ``resample(_:transforms:)``: the gradient with respect to its input.
    static func adjoint(_ gradient: Tensor, transforms: [AffineTransform]) throws -> Tensor {
        try walk(gradient, transforms: transforms) { source, target, output, input, weight, channels in
            for channel in 0..<channels { target[input * channels + channel] += weight * source[output * channels + channel] }
        }
    }

    private static func walk(
        _ tensor: Tensor, transforms: [AffineTransform],
        _ accumulate: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, Int, Int, Float, Int) -> Void
    ) throws -> Tensor {
        let (batch, height, width, channels) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
        let imageSize = height * width * channels
        var result = try Tensor.zeros(tensor.shape)
        tensor.withUnsafeBufferPointer { all in
            result.withUnsafeMutableBufferPointer { out in
                for n in 0..<batch {
                    let source = UnsafeBufferPointer(rebasing: all[n * imageSize..<(n + 1) * imageSize])
                    let target = UnsafeMutableBufferPointer(rebasing: out[n * imageSize..<(n + 1) * imageSize])
                    forEachTap(height: height, width: width, transform: transforms[n]) { output, input, weight in
                        accumulate(source, target, output, input, weight, channels)
                    }
                }
            }
        }
        return result
    }
}

/// The shared behaviour of the geometric augmentation layers: in training, each image gets
/// a random affine transform (drawn from the model's seeded generator) and is resampled
/// bilinearly with zeros outside; at inference they pass the input through unchanged.
public protocol RandomAffineLayer: Layer {
    /// The transforms of the last training forward pass (empty after an inference pass).
    var lastTransforms: [AffineTransform] { get set }
    /// Checks the hyper-parameters; thrown from `build`.
    func validate() throws
    /// A random transform for an image of `height x width`.
    func randomTransform(height: Int, width: Int, using generator: inout RandomGenerator) -> AffineTransform
}

extension RandomAffineLayer {
    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try validate()
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape,
                                    hint: "augmentation layers take images; put them right after Input")
        }
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard context.training else {
            lastTransforms = []
            return input
        }
        let (height, width) = (input.shape[1], input.shape[2])
        lastTransforms = (0..<input.shape[0]).map { _ in randomTransform(height: height, width: width, using: &context.generator) }
        return try AffineResampler.resample(input, transforms: lastTransforms)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        lastTransforms.isEmpty ? outputGradient : try AffineResampler.adjoint(outputGradient, transforms: lastTransforms)
    }
}

/// A uniform sample in `[lower, upper]`.
func uniform(_ lower: Float, _ upper: Float, _ generator: inout RandomGenerator) -> Float {
    lower + (upper - lower) * generator.nextUnitFloat()
}

/// Checks that a factor is in `[0, 1]` for an augmentation layer.
func checkFactor(_ value: Float, _ argument: String, _ layer: String, upTo limit: Float = 1) throws {
    guard value >= 0, value <= limit else {
        throw LayersError.invalidArgument(layer: layer, argument: argument, value: "\(value)", reason: "expected a value in [0, \(limit)]")
    }
}
