import Foundation

/// The netpbm grayscale format: `P5` (binary) or `P2` (text), 8- or 16-bit.
enum PGM {
    static func decode(_ data: Data, path: String, maximumPixelCount: Int) throws -> GrayscaleImage {
        func bad(_ reason: String) -> DatasetError { .cannotRead(path: path, reason: "bad PGM file: \(reason)") }
        let bytes = [UInt8](data)
        var position = 2
        /// The next whitespace-separated token of the header, skipping `#` comments.
        func token() throws -> Int {
            while position < bytes.count {
                if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count, bytes[position] != 10 { position += 1 }
                } else if bytes[position] == 32 || (9...13).contains(bytes[position]) {
                    position += 1
                } else {
                    break
                }
            }
            var value = 0
            var digits = 0
            while position < bytes.count, (48...57).contains(bytes[position]), digits < 9 {
                value = value * 10 + Int(bytes[position] - 48)
                position += 1
                digits += 1
            }
            guard digits > 0 else { throw bad("expected a number at byte \(position)") }
            return value
        }
        let binary = bytes[1] == UInt8(ascii: "5")
        let width = try token(), height = try token(), maximum = try token()
        try GrayscaleImage.checkSize(width: width, height: height, path: path, maximumPixelCount: maximumPixelCount)
        guard (1...65535).contains(maximum) else { throw bad("maximum value \(maximum) is out of range") }
        var values: [Int] = []
        values.reserveCapacity(width * height)
        if binary {
            position += 1  // the single whitespace after the maximum
            let sampleSize = maximum > 255 ? 2 : 1
            guard bytes.count - position >= width * height * sampleSize else {
                throw bad("expected \(width * height * sampleSize) bytes of pixels, found \(Swift.max(0, bytes.count - position))")
            }
            for index in 0..<width * height {
                let offset = position + index * sampleSize
                values.append(sampleSize == 2 ? Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) : Int(bytes[offset]))
            }
        } else {
            for _ in 0..<width * height { values.append(try token()) }
        }
        return try GrayscaleImage(width: width, height: height, pixels: values.map { Float(Swift.min($0, maximum)) / Float(maximum) })
    }
}
