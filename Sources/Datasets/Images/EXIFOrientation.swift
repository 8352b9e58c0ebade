import Foundation

/// How a camera's stored pixels must be turned to be upright: the EXIF `Orientation` tag
/// (0x0112). Phones store photos as the sensor saw them and record the turn here.
public enum EXIFOrientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored, upsideDown, upsideDownMirrored, leftMirrored, right, rightMirrored, left

    /// The orientation recorded in a JPEG file's EXIF segment (`APP1`), or nil when the file
    /// has none or it cannot be read (the image is then shown as stored, like browsers do).
    public init?(jpeg data: Data) {
        let bytes = [UInt8](data)
        var position = 2  // after SOI
        while position + 4 <= bytes.count, bytes[position] == 0xFF {
            let marker = bytes[position + 1]
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            if marker == 0xDA || marker == 0xD9 || length < 2 { return nil }  // image data or end: no EXIF before it
            let payload = position + 4
            let end = min(position + 2 + length, bytes.count)
            if marker == 0xE1, end - payload >= 6, bytes[payload..<payload + 6].elementsEqual(Array("Exif\0\0".utf8)) {
                guard let value = Self.orientationTag(in: bytes[(payload + 6)..<end]) else { return nil }
                self.init(rawValue: value)
                return
            }
            position += 2 + length
        }
        return nil
    }

    /// The Orientation entry of the first IFD of a TIFF structure, if present and in bounds.
    private static func orientationTag(in tiff: ArraySlice<UInt8>) -> Int? {
        let tiff = Array(tiff)
        guard tiff.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func unsigned(_ offset: Int, _ size: Int) -> Int? {
            guard offset >= 0, offset + size <= tiff.count else { return nil }
            let field = tiff[offset..<offset + size]
            return (littleEndian ? field.reversed() : Array(field)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard unsigned(2, 2) == 42, let directory = unsigned(4, 4), let entries = unsigned(directory, 2) else { return nil }
        for entry in 0..<entries {
            let offset = directory + 2 + entry * 12
            guard let tag = unsigned(offset, 2) else { return nil }
            if tag == 0x0112 { return unsigned(offset + 8, 2) }  // type SHORT: the value sits in the field
        }
        return nil
    }

    /// Whether turning swaps width and height.
    var transposes: Bool { rawValue >= 5 }
}

extension GrayscaleImage {
    /// The image turned upright as `orientation` says.
    public func oriented(_ orientation: EXIFOrientation) -> GrayscaleImage {
        guard orientation != .up else { return self }
        let (w, h) = (width, height)
        let newWidth = orientation.transposes ? h : w, newHeight = orientation.transposes ? w : h
        var turned = [Float](repeating: 0, count: w * h)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                // The stored pixel shown at (x, y).
                let (sourceX, sourceY) = switch orientation {
                case .up: (x, y)
                case .mirrored: (w - 1 - x, y)
                case .upsideDown: (w - 1 - x, h - 1 - y)
                case .upsideDownMirrored: (x, h - 1 - y)
                case .leftMirrored: (y, x)
                case .right: (y, h - 1 - x)
                case .rightMirrored: (w - 1 - y, h - 1 - x)
                case .left: (w - 1 - y, x)
                }
                turned[y * newWidth + x] = pixels[sourceY * w + sourceX]
            }
        }
        return GrayscaleImage(checkedWidth: newWidth, height: newHeight, pixels: turned)
    }
}
