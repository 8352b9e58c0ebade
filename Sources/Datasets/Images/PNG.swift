import Foundation

/// A PNG decoder for the images users feed a digit classifier: 8-bit grayscale, RGB,
/// palette, grayscale+alpha and RGBA, not interlaced, all five row filters.
enum PNG {
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    static func decode(_ data: Data, path: String) throws -> GrayscaleImage {
        func bad(_ reason: String) -> DatasetError { .cannotRead(path: path, reason: "bad or unsupported PNG: \(reason)") }
        let bytes = [UInt8](data)
        func uint32(_ offset: Int) -> Int {
            Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        var position = signature.count
        var width = 0, height = 0, colorType = 0
        var palette: [[UInt8]] = []
        var paletteAlpha: [UInt8] = []
        var compressed = Data()
        var sawHeader = false
        chunks: while position + 8 <= bytes.count {
            let length = uint32(position)
            let type = String(decoding: bytes[position + 4..<position + 8], as: UTF8.self)
            let start = position + 8
            guard length <= bytes.count - start - 4 else { throw bad("chunk \(type) runs past the end of the file") }
            let body = bytes[start..<start + length]
            switch type {
            case "IHDR":
                guard length == 13 else { throw bad("IHDR has \(length) bytes") }
                width = uint32(start)
                height = uint32(start + 4)
                let bitDepth = Int(bytes[start + 8])
                colorType = Int(bytes[start + 9])
                guard width > 0, height > 0, width <= 16384, height <= 16384 else { throw bad("size \(width)x\(height) is not supported") }
                guard bitDepth == 8 else { throw bad("bit depth \(bitDepth); only 8-bit images are supported") }
                guard [0, 2, 3, 4, 6].contains(colorType) else { throw bad("color type \(colorType)") }
                guard bytes[start + 12] == 0 else { throw bad("interlaced images are not supported; save it without interlacing") }
                sawHeader = true
            case "PLTE":
                palette = stride(from: 0, to: length - length % 3, by: 3).map { Array(body[body.startIndex + $0..<body.startIndex + $0 + 3]) }
            case "tRNS":
                paletteAlpha = Array(body)
            case "IDAT":
                compressed.append(contentsOf: body)
            case "IEND":
                break chunks
            default:
                break
            }
            position = start + length + 4  // skip the CRC
        }
        guard sawHeader else { throw bad("no IHDR chunk") }
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        let stride = width * channels
        let raw = [UInt8](try Gzip.inflateZlib(compressed, limit: height * (stride + 1), path: path))
        guard raw.count == height * (stride + 1) else {
            throw bad("the image data has \(raw.count) bytes, expected \(height * (stride + 1))")
        }
        let samples = try unfilter(raw, height: height, stride: stride, bytesPerPixel: channels, bad: bad)

        var pixels = [Float](repeating: 0, count: width * height)
        for index in 0..<width * height {
            let pixel = samples[index * channels..<(index + 1) * channels].map { Float($0) / 255 }
            var value: Float
            var alpha: Float = 1
            switch colorType {
            case 0: value = pixel[0]
            case 4: value = pixel[0]; alpha = pixel[1]
            case 2: value = luminance(pixel[0], pixel[1], pixel[2])
            case 6: value = luminance(pixel[0], pixel[1], pixel[2]); alpha = pixel[3]
            default:  // palette
                let entry = Int(samples[index])
                guard entry < palette.count else { throw bad("palette index \(entry) outside a palette of \(palette.count)") }
                let color = palette[entry].map { Float($0) / 255 }
                value = luminance(color[0], color[1], color[2])
                if entry < paletteAlpha.count { alpha = Float(paletteAlpha[entry]) / 255 }
            }
            pixels[index] = alpha * value + (1 - alpha)  // over a white background
        }
        return try GrayscaleImage(width: width, height: height, pixels: pixels)
    }

    /// ITU-R BT.601 luma, as most image libraries convert RGB to gray.
    private static func luminance(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

    /// Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth).
    private static func unfilter(
        _ raw: [UInt8], height: Int, stride: Int, bytesPerPixel: Int, bad: (String) -> DatasetError
    ) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for column in 0..<stride {
                let x = raw[row * (stride + 1) + 1 + column]
                let a = column >= bytesPerPixel ? Int(output[row * stride + column - bytesPerPixel]) : 0
                let b = row > 0 ? Int(output[(row - 1) * stride + column]) : 0
                let c = row > 0 && column >= bytesPerPixel ? Int(output[(row - 1) * stride + column - bytesPerPixel]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw bad("row \(row) has filter type \(filter)")
                }
                output[row * stride + column] = UInt8(truncatingIfNeeded: Int(x) + predictor)
            }
        }
        return output
    }
}
