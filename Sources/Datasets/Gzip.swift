import Foundation
internal import CZlib

/// Decompression of gzip (and zlib) data through zlib.
public enum Gzip {
    /// Whether `data` starts with the gzip magic bytes.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed bytes of a gzip stream.
    /// - Parameters:
    ///   - data: the compressed bytes.
    ///   - limit: the most bytes the output may have; a stream that would inflate beyond it
    ///     is rejected, so a damaged or hostile file cannot make the reader allocate without bound.
    ///   - path: the file name for error messages.
    /// - Throws: ``DatasetError/badCompression(path:reason:)`` for damaged, truncated or oversized data.
    public static func decompress(_ data: Data, limit: Int, path: String) throws -> Data {
        try inflate(data, windowBits: 16 + MAX_WBITS, limit: limit, path: path)
    }

    /// The decompressed bytes of a zlib stream (as inside PNG files).
    static func inflateZlib(_ data: Data, limit: Int, path: String) throws -> Data {
        try inflate(data, windowBits: MAX_WBITS, limit: limit, path: path)
    }

    /// Inflates a gzip (`windowBits` 16 + 15) or zlib (15) stream, with an output limit.
    private static func inflate(_ data: Data, windowBits: Int32, limit: Int, path: String) throws -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.badCompression(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunkSize = 1 << 20
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var status: Int32 = Z_OK
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
            stream.avail_in = uInt(input.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    let reason = status == Z_BUF_ERROR ? "the stream is truncated" : (stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
                    throw DatasetError.badCompression(path: path, reason: reason)
                }
                guard output.count + produced <= limit else {
                    throw DatasetError.badCompression(path: path, reason: "it inflates to more than \(limit) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
            } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard status == Z_STREAM_END else {
            throw DatasetError.badCompression(path: path, reason: "the stream is truncated")
        }
        return output
    }
}
