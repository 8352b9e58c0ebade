import Foundation
import Tensor

/// The safetensors container (as written by Hugging Face's library and read by NumPy and
/// PyTorch users): an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to its dtype, shape and byte range, an optional `__metadata__` map of strings,
/// then the raw little-endian data. Only Float32 (`F32`) tensors are used here.
struct SafeTensors {
    /// String metadata stored in the header (`__metadata__`).
    var metadata: [String: String]
    /// The tensors in file order.
    var tensors: [(name: String, value: Tensor)]

    /// The largest header accepted when reading: far above any real model's, and a bound on
    /// what a corrupt length field can make the reader allocate.
    static let maximumHeaderLength = 64 << 20

    /// The file's bytes.
    func encoded() throws -> Data {
        var header: [String: JSONValue] = ["__metadata__": .object(metadata.mapValues { .string($0) })]
        var offset = 0
        for (name, value) in tensors {
            let length = value.count * 4
            header[name] = .object([
                "dtype": .string("F32"),
                "shape": .array(value.shape.map { .number(Double($0)) }),
                "data_offsets": .array([.number(Double(offset)), .number(Double(offset + length))]),
            ])
            offset += length
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var headerBytes = try encoder.encode(JSONValue.object(header))
        // Pad with spaces so that the data starts 8-byte aligned, as the reference writer does.
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8))
        var data = Data(capacity: 8 + headerBytes.count + offset)
        data.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: UInt64(headerBytes.count) >> (8 * $0)) })
        data.append(headerBytes)
        for (_, value) in tensors { value.appendLittleEndianBytes(to: &data) }
        return data
    }

    /// Parses and validates a file's bytes: every length, offset, dtype and shape is checked
    /// before anything is allocated from it.
    /// - Throws: ``ModelFileError/corrupt(path:reason:)`` saying what is wrong.
    static func decode(_ data: Data, path: String) throws -> SafeTensors {
        func corrupt(_ reason: String) -> ModelFileError { .corrupt(path: path, reason: reason) }
        guard data.count >= 8 else {
            throw corrupt("the file has \(data.count) bytes; it must start with an 8-byte header length")
        }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8), headerLength <= UInt64(maximumHeaderLength) else {
            throw corrupt("the header length \(headerLength) runs past the end of the file (\(data.count) bytes)")
        }
        let headerEnd = 8 + Int(headerLength)
        let header: [String: JSONValue]
        do {
            header = try JSONDecoder().decode([String: JSONValue].self, from: data.subdata(in: 8..<headerEnd))
        } catch {
            throw corrupt("the header is not a JSON object")
        }
        let bufferLength = data.count - headerEnd

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard case let .object(entries) = raw else { throw corrupt("__metadata__ is not an object") }
            for (key, value) in entries {
                guard case let .string(text) = value else { throw corrupt("__metadata__.\(key) is not a string") }
                metadata[key] = text
            }
        }

        var entries: [(name: String, shape: [Int], range: Range<Int>)] = []
        for (name, raw) in header where name != "__metadata__" {
            guard case let .object(fields) = raw else { throw corrupt("the entry of tensor '\(name)' is not an object") }
            guard case let .string(dtype)? = fields["dtype"] else { throw corrupt("tensor '\(name)' has no dtype") }
            guard dtype == "F32" else { throw corrupt("tensor '\(name)' has dtype \(dtype); expected F32") }
            guard case let .array(rawShape)? = fields["shape"],
                  let shape = integers(rawShape), shape.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else {
                throw corrupt("tensor '\(name)' has no valid shape (a list of non-negative integers)")
            }
            guard case let .array(rawOffsets)? = fields["data_offsets"], let offsets = integers(rawOffsets),
                  offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= bufferLength else {
                throw corrupt("tensor '\(name)' has data_offsets outside the \(bufferLength) bytes of data")
            }
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= bufferLength else {
                    throw corrupt("tensor '\(name)' of shape \(shape) is larger than the file")
                }
                count = product
            }
            guard offsets[1] - offsets[0] == count * 4 else {
                throw corrupt("tensor '\(name)' of shape \(shape) needs \(count * 4) bytes, its data_offsets span \(offsets[1] - offsets[0])")
            }
            entries.append((name, shape, offsets[0]..<offsets[1]))
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (previous, next) in zip(entries, entries.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw corrupt("the data of tensors '\(previous.name)' and '\(next.name)' overlap")
        }

        let tensors = try entries.map { entry -> (String, Tensor) in
            let start = headerEnd + entry.range.lowerBound
            return (entry.name, try Tensor(shape: entry.shape, littleEndianBytes: data, at: start))
        }
        return SafeTensors(metadata: metadata, tensors: tensors)
    }

    /// JSON numbers that are all exact integers, else nil (never traps on huge or fractional values).
    private static func integers(_ values: [JSONValue]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard case let .number(number) = value, let integer = Int(exactly: number) else { return nil }
            result.append(integer)
        }
        return result
    }
}
