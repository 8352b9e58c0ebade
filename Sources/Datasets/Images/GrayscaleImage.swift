import Foundation

/// A grayscale picture with intensities in `[0, 1]` (0 black, 1 white), row-major.
public struct GrayscaleImage: Sendable, Equatable {
    public let width, height: Int
    /// `height · width` intensities, row by row.
    public var pixels: [Float]

    /// The largest image read by default, in pixels (a 64-megapixel photo): a file claiming more
    /// is refused before any memory is set aside for it. A server can ask for less
    /// (``init(data:name:maximumPixelCount:)``): decoding costs about 12 bytes per pixel.
    public static let maximumPixelCount = 64 << 20

    /// An image of the given size and pixels.
    /// - Throws: ``DatasetError/inconsistent(_:)`` unless there are `width · height` pixels.
    public init(width: Int, height: Int, pixels: [Float]) throws {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw DatasetError.inconsistent("an image of \(width)x\(height) needs \(width * height) pixels, found \(pixels.count)")
        }
        self.init(checkedWidth: width, height: height, pixels: pixels)
    }

    /// An image from 8-bit intensities (0 black, 255 white).
    public init(width: Int, height: Int, bytes: [UInt8]) throws {
        try self.init(width: width, height: height, pixels: bytes.map { Float($0) / 255 })
    }

    init(checkedWidth width: Int, height: Int, pixels: [Float]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The intensity at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Float { pixels[y * width + x] }

    /// Reads a PNG (any colour type and bit depth, interlaced or not), JPEG (baseline or
    /// progressive, turned upright by its EXIF orientation) or PGM (P2/P5) file. Colours become
    /// luminance; transparent pixels are composited over white.
    /// - Throws: ``DatasetError`` for unreadable, unsupported or damaged files.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, name: url.path)
    }

    /// Decodes an image file's bytes; the format is told by its first bytes. `name` is used
    /// in error messages. The work is bounded before decoding starts: an image of more than
    /// `maximumPixelCount` pixels is refused from its header, and a progressive JPEG of more
    /// than 500 scans (libjpeg-turbo's limit) is refused.
    /// - Throws: ``DatasetError/cannotRead(path:reason:)`` for unsupported, oversized or damaged data.
    public init(data: Data, name: String = "(image)", maximumPixelCount: Int = GrayscaleImage.maximumPixelCount) throws {
        if data.starts(with: PNG.signature) {
            self = try PNG.decode(data, path: name, maximumPixelCount: maximumPixelCount)
        } else if data.starts(with: JPEG.signature) {
            self = try JPEG.decode(data, path: name, maximumPixelCount: maximumPixelCount)
        } else if data.starts(with: Array("P5".utf8)) || data.starts(with: Array("P2".utf8)) {
            self = try PGM.decode(data, path: name, maximumPixelCount: maximumPixelCount)
        } else {
            throw DatasetError.cannotRead(path: name, reason: "not a PNG, JPEG or PGM file (its first bytes are none of theirs)")
        }
    }

    /// Refuses sizes beyond `maximumPixelCount` before decoding.
    static func checkSize(width: Int, height: Int, path: String, maximumPixelCount: Int) throws {
        guard width > 0, height > 0, width <= maximumPixelCount / height else {
            throw DatasetError.cannotRead(
                path: path, reason: "the image is \(width)x\(height) pixels; at most \(maximumPixelCount) pixels are read")
        }
    }

    /// The intensities as 8-bit values, rounded and clamped to `0...255`.
    public func bytes() -> [UInt8] {
        pixels.map { UInt8((Swift.min(Swift.max($0, 0), 1) * 255).rounded()) }
    }

    /// The image as an 8-bit grayscale PNG file.
    public func pngData() throws -> Data { try PNG.encode(self) }

    /// The image as a grayscale JPEG file of the given quality (1 to 100).
    public func jpegData(quality: Int = 90, progressive: Bool = false) throws -> Data {
        try JPEG.encode(self, quality: quality, progressive: progressive)
    }
}
