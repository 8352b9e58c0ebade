import CPNG
import Foundation

/// PNG through libpng: every colour type and bit depth (1 to 16), interlaced or not, palette
/// transparency (`tRNS`). The C wrapper turns libpng's `longjmp` errors into return values, so
/// a damaged file is an error, never a crash.
enum PNG {
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// Decodes `data` to luminance (BT.601 weights), transparent pixels composited over white.
    static func decode(_ data: Data, path: String, maximumPixelCount: Int) throws -> GrayscaleImage {
        var rgba: UnsafeMutablePointer<UInt8>? = nil
        var width: UInt32 = 0, height: UInt32 = 0
        var message = [CChar](repeating: 0, count: 128)
        let status = data.withUnsafeBytes { bytes in
            cpng_decode_rgba8(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, maximumPixelCount,
                              &rgba, &width, &height, &message)
        }
        guard status == 0, let rgba else { throw failure(message, path: path) }
        defer { cpng_free(rgba) }
        let count = Int(width) * Int(height)
        let pixels = (0..<count).map { index in
            let (red, green, blue, opacity) = (rgba[4 * index], rgba[4 * index + 1], rgba[4 * index + 2], rgba[4 * index + 3])
            // Gray stays exact; colour becomes luminance.
            let value = red == green && green == blue
                ? Float(red) / 255 : (0.299 * Float(red) + 0.587 * Float(green) + 0.114 * Float(blue)) / 255
            let alpha = Float(opacity) / 255
            return alpha * value + (1 - alpha)
        }
        return try GrayscaleImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    /// An 8-bit grayscale PNG of `image`.
    static func encode(_ image: GrayscaleImage) throws -> Data {
        var png: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 128)
        guard cpng_encode_gray8(image.bytes(), UInt32(image.width), UInt32(image.height), &png, &size, &message) == 0,
              let png else { throw failure(message, path: "(PNG in memory)") }
        defer { cpng_free(png) }
        return Data(bytes: png, count: size)
    }

    private static func failure(_ message: [CChar], path: String) -> DatasetError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return .cannotRead(path: path, reason: "bad or unsupported PNG: \(text.isEmpty ? "unknown error" : text)")
    }
}
