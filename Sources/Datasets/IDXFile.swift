import Foundation

/// A file in the IDX format of the MNIST database: a magic number (two zero bytes, a type
/// code, the number of dimensions), each dimension as a big-endian 32-bit integer, then the
/// data. Only unsigned bytes (type 0x08), the type MNIST uses, are read.
public struct IDXFile: Sendable {
    /// The size of each dimension (for MNIST images `[count, 28, 28]`, for labels `[count]`).
    public let dimensions: [Int]
    /// The data, in row-major order.
    public let bytes: [UInt8]

    /// Parses IDX bytes, checking the magic number and that the dimensions match the data
    /// size exactly before allocating anything from them.
    /// - Throws: ``DatasetError/badIDX(path:reason:)`` saying what is wrong.
    public init(parsing data: Data, path: String) throws {
        func bad(_ reason: String) -> DatasetError { .badIDX(path: path, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { throw bad("the file has \(bytes.count) bytes, fewer than the 4-byte magic number") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw bad(String(format: "wrong magic number 0x%02X%02X%02X%02X; an IDX file starts with 0x0000", bytes[0], bytes[1], bytes[2], bytes[3]))
        }
        guard bytes[2] == 0x08 else {
            throw bad(String(format: "data type 0x%02X is not supported; expected 0x08 (unsigned bytes)", bytes[2]))
        }
        let rank = Int(bytes[3])
        guard (1...4).contains(rank) else { throw bad("\(rank) dimensions; expected 1 to 4") }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw bad("the header needs \(headerSize) bytes for \(rank) dimensions, the file has \(bytes.count)")
        }
        var dimensions: [Int] = []
        var count = 1
        for index in 0..<rank {
            let offset = 4 + 4 * index
            let dimension = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            dimensions.append(dimension)
            count *= dimension  // at most (2³²)⁴ would overflow, so check as we go
            guard count <= bytes.count else {
                throw bad("the header declares dimensions \(dimensions)… needing more data than the \(bytes.count - headerSize) bytes in the file")
            }
        }
        guard bytes.count - headerSize == count else {
            throw bad("dimensions \(dimensions) need \(count) bytes of data, the file has \(bytes.count - headerSize)")
        }
        self.dimensions = dimensions
        self.bytes = Array(bytes[headerSize...])
    }

    /// Reads an IDX file, gzip-compressed or not.
    /// - Parameters:
    ///   - url: the file (`.gz` or not).
    ///   - limit: the largest decompressed size accepted.
    /// - Throws: ``DatasetError`` for a missing, unreadable, damaged or invalid file.
    public init(contentsOf url: URL, limit: Int = 256 << 20) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        let raw = Gzip.isCompressed(data) ? try Gzip.decompress(data, limit: limit, path: url.path) : data
        try self.init(parsing: raw, path: url.path)
    }
}
