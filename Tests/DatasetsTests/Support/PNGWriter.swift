import Foundation

/// A small independent PNG writer for test fixtures the decoder must read: any colour type and
/// bit depth, optional Adam7 interlacing, a palette with transparency. Filter 0 on every row and
/// stored (uncompressed) deflate blocks keep it short; the committed fixtures cover the filters.
struct PNGWriter {
    enum ColorType: UInt8 { case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6 }

    var width: Int, height: Int
    var colorType: ColorType
    var bitDepth: Int
    var interlaced = false
    /// Palette entries (r, g, b) and their alphas, for `.palette`.
    var palette: [(UInt8, UInt8, UInt8)] = []
    var paletteAlpha: [UInt8] = []

    /// A PNG of `samples`: one array of channel values (at `bitDepth`) per pixel, row by row.
    func encode(_ samples: [[Int]]) -> Data {
        precondition(samples.count == width * height)
        var png = Data([137, 80, 78, 71, 13, 10, 26, 10])
        var header = Data()
        header.append(bigEndian: UInt32(width)); header.append(bigEndian: UInt32(height))
        header.append(contentsOf: [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0])
        png.appendChunk("IHDR", header)
        if colorType == .palette {
            png.appendChunk("PLTE", Data(palette.flatMap { [$0.0, $0.1, $0.2] }))
            if !paletteAlpha.isEmpty { png.appendChunk("tRNS", Data(paletteAlpha)) }
        }
        png.appendChunk("IDAT", zlibStored(scanlines(samples)))
        png.appendChunk("IEND", Data())
        return png
    }

    /// The filtered rows of each pass (one pass unless interlaced), as the decoder inflates them.
    private func scanlines(_ samples: [[Int]]) -> Data {
        let passes = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        var data = Data()
        for (x0, y0, dx, dy) in passes {
            let columns = Array(stride(from: x0, to: width, by: dx)), rows = Array(stride(from: y0, to: height, by: dy))
            guard !columns.isEmpty, !rows.isEmpty else { continue }
            for y in rows {
                data.append(0)  // filter type None
                var bits = BitPacker(depth: bitDepth)
                for x in columns { for value in samples[y * width + x] { bits.append(value) } }
                data.append(contentsOf: bits.finish())
            }
        }
        return data
    }

    private func zlibStored(_ raw: Data) -> Data {
        var out = Data([0x78, 0x01])
        let bytes = [UInt8](raw)
        var offset = 0
        repeat {
            let count = min(65535, bytes.count - offset)
            out.append(offset + count == bytes.count ? 1 : 0)
            out.append(contentsOf: [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)])
            out.append(contentsOf: bytes[offset..<offset + count])
            offset += count
        } while offset < bytes.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        out.append(bigEndian: b << 16 | a)
        return out
    }
}

/// Packs samples of 1 to 16 bits, most significant first, as PNG rows do.
private struct BitPacker {
    let depth: Int
    var bytes: [UInt8] = []
    var accumulator = 0, used = 0

    init(depth: Int) { self.depth = depth }

    mutating func append(_ value: Int) {
        if depth >= 8 {
            if depth == 16 { bytes.append(UInt8(value >> 8)) }
            bytes.append(UInt8(value & 0xFF))
            return
        }
        accumulator = accumulator << depth | value
        used += depth
        if used == 8 { bytes.append(UInt8(accumulator)); accumulator = 0; used = 0 }
    }

    mutating func finish() -> [UInt8] {
        if used > 0 { bytes.append(UInt8(accumulator << (8 - used))) }
        return bytes
    }
}

extension Data {
    mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }

    fileprivate mutating func appendChunk(_ type: String, _ body: Data) {
        append(bigEndian: UInt32(body.count))
        let typed = Data(type.utf8) + body
        append(typed)
        append(bigEndian: PNGWriter.crc32(typed))
    }
}

extension PNGWriter {
    /// The chunk checksum (CRC-32 of type and body).
    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return ~crc
    }
}
