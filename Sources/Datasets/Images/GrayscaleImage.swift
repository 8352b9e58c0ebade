import Foundation

/// A grayscale picture with intensities in `[0, 1]` (0 black, 1 white), row-major.
public struct GrayscaleImage: Sendable, Equatable {
    public let width, height: Int
    /// `height · width` intensities, row by row.
    public var pixels: [Float]

    /// An image of the given size and pixels.
    /// - Throws: ``DatasetError/inconsistent(_:)`` unless there are `width · height` pixels.
    public init(width: Int, height: Int, pixels: [Float]) throws {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw DatasetError.inconsistent("an image of \(width)x\(height) needs \(width * height) pixels, found \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The intensity at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Float { pixels[y * width + x] }

    /// Reads a PNG (grayscale, RGB, palette, with or without alpha; 8-bit) or PGM (P2/P5)
    /// file. Colours become luminance; transparent pixels are composited over white.
    /// - Throws: ``DatasetError`` for unreadable, unsupported or damaged files.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        if data.starts(with: PNG.signature) {
            self = try PNG.decode(data, path: url.path)
        } else if data.starts(with: Array("P5".utf8)) || data.starts(with: Array("P2".utf8)) {
            self = try PGM.decode(data, path: url.path)
        } else {
            throw DatasetError.cannotRead(path: url.path, reason: "not a PNG or PGM file (expected a PNG signature or P2/P5)")
        }
    }

    /// The image as a binary 8-bit PGM file (`P5`), which every image viewer opens.
    public func pgmData() -> Data {
        var data = Data("P5\n\(width) \(height)\n255\n".utf8)
        data.append(contentsOf: pixels.map { UInt8((Swift.min(Swift.max($0, 0), 1) * 255).rounded()) })
        return data
    }
}
