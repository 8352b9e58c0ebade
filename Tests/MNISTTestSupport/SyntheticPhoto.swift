import Datasets
import Foundation

/// A "phone photo" of a digit written on paper, made from an MNIST digit: dark ink on a light
/// page, lit unevenly (a brightness gradient and a soft shadow), with sensor noise, saved as a
/// JPEG. Deterministic for a given seed.
public enum SyntheticPhoto {
    /// The photo's JPEG bytes; `digit` is 784 MNIST intensities (light ink on black, 0...1).
    public static func jpeg(of digit: [Float], size: Int = 240, seed: UInt64 = 1, quality: Int = 70) throws -> Data {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        // The digit 6x larger, its top-left corner off-centre, as a hand would place it.
        let scale = Float(size) / 40, originX = Float(size) * 0.22, originY = Float(size) * 0.12
        var pixels = [Float](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                let u = (Float(x) - originX) / scale, v = (Float(y) - originY) / scale
                let ink = bilinear(digit, u - 0.5, v - 0.5)
                let paper: Float = 0.92, pen: Float = 0.18
                var value = paper + (pen - paper) * ink
                // Light falls off from the top-left corner to 55% in the bottom-right, and a hand's
                // shadow darkens the lower left.
                let gradient = 1 - 0.45 * (Float(x) + Float(y)) / Float(2 * size)
                let dx = Float(x) - Float(size) * 0.15, dy = Float(y) - Float(size) * 0.9
                let shadow = 1 - 0.3 * exp(-(dx * dx + dy * dy) / (2 * Float(size * size) * 0.04))
                value *= gradient * shadow
                // Paper texture and sensor noise: the sum of four uniforms, about Gaussian, sigma ~0.03.
                value += (uniform() + uniform() + uniform() + uniform() - 2) * 0.05
                pixels[y * size + x] = min(max(value, 0), 1)
            }
        }
        return try GrayscaleImage(width: size, height: size, pixels: pixels).jpegData(quality: quality)
    }

    private static func bilinear(_ digit: [Float], _ u: Float, _ v: Float) -> Float {
        func at(_ x: Int, _ y: Int) -> Float { (0..<28).contains(x) && (0..<28).contains(y) ? digit[y * 28 + x] : 0 }
        let x0 = Int(u.rounded(.down)), y0 = Int(v.rounded(.down))
        let fx = u - Float(x0), fy = v - Float(y0)
        return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
    }
}
