import Datasets
import Foundation

/// A "phone photo" of a digit written on paper, made from an MNIST digit: dark ink on a light
/// page, lit unevenly (a brightness gradient and a soft shadow), with sensor noise, saved as a
/// JPEG. Deterministic for a given seed.
public enum SyntheticPhoto {
    /// The photo's JPEG bytes; `digit` is 784 MNIST intensities (light ink on black, 0...1).
    /// With an `orientation`, the pixels are stored turned the other way and the file's EXIF
    /// segment says how to turn them back, as phones do.
    public static func jpeg(of digit: [Float], size: Int = 240, seed: UInt64 = 1, quality: Int = 70,
                            orientation: EXIFOrientation = .up) throws -> Data {
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
        let upright = try GrayscaleImage(width: size, height: size, pixels: pixels)
        guard orientation != .up else { return try upright.jpegData(quality: quality) }
        let stored = upright.oriented(inverse[orientation]!)
        return withEXIF(try stored.jpegData(quality: quality), orientation: orientation.rawValue, bigEndian: true)
    }

    /// The turn that undoes each orientation (the quarter turns swap; the rest undo themselves).
    private static let inverse: [EXIFOrientation: EXIFOrientation] = [
        .up: .up, .mirrored: .mirrored, .upsideDown: .upsideDown, .upsideDownMirrored: .upsideDownMirrored,
        .leftMirrored: .leftMirrored, .right: .left, .rightMirrored: .rightMirrored, .left: .right,
    ]

    /// `jpeg` with an EXIF segment recording `orientation`, right after the start-of-image marker.
    public static func withEXIF(_ jpeg: Data, orientation: Int, bigEndian: Bool) -> Data {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? [0, 0] + u16(v) : u16(v) + [0, 0] }
        let tiff = (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(8)
            + u16(2)                                                   // two entries in IFD0
            + u16(0x010F) + u16(2) + u32(4) + [0x41, 0x42, 0x43, 0]    // Make: "ABC" (ASCII, inline)
            + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0]  // Orientation (SHORT)
            + u32(0)
        let payload = Array("Exif\0\0".utf8) + tiff
        let segment = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        return jpeg.prefix(2) + Data(segment) + jpeg.dropFirst(2)
    }


    private static func bilinear(_ digit: [Float], _ u: Float, _ v: Float) -> Float {
        func at(_ x: Int, _ y: Int) -> Float { (0..<28).contains(x) && (0..<28).contains(y) ? digit[y * 28 + x] : 0 }
        let x0 = Int(u.rounded(.down)), y0 = Int(v.rounded(.down))
        let fx = u - Float(x0), fy = v - Float(y0)
        return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
    }
}
