import Foundation

/// Tensors as raw little-endian Float32 bytes, the layout of safetensors and NumPy's `<f4`,
/// and from 8-bit data (images kept as bytes until a batch needs them).
extension Tensor {
    /// The rows `rows` of a row-major matrix of bytes, each byte times `scale`, as a tensor of
    /// shape `[rows.count] + rowShape` (a batch of 8-bit images scaled to `[0, 1]` with
    /// `scale: 1 / 255`).
    /// - Throws: ``TensorError`` when `bytes` is not a whole number of rows of `rowShape`, or
    ///   for a row outside it.
    public init(gatheringRows rows: some Collection<Int>, of bytes: [UInt8], rowShape: [Int], scale: Float) throws {
        let rowSize = try Tensor.elementCount(of: rowShape, operation: "Tensor(gatheringRows:of:rowShape:scale:)")
        guard rowSize > 0, bytes.count % rowSize == 0 else {
            throw TensorError.invalidArgument(name: "bytes", value: "\(bytes.count) bytes",
                                              reason: "expected whole rows of \(rowSize) bytes for shape \(rowShape)")
        }
        let available = bytes.count / rowSize
        if let bad = rows.first(where: { $0 < 0 || $0 >= available }) {
            throw TensorError.invalidArgument(name: "row", value: "\(bad)", reason: "expected 0..<\(available)")
        }
        let result = Tensor(uninitializedShape: [rows.count] + rowShape)
        bytes.withUnsafeBufferPointer { source in
            for (offset, row) in rows.enumerated() {
                let (from, to) = (source.baseAddress! + row * rowSize, result.storage.pointer + offset * rowSize)
                for index in 0..<rowSize { to[index] = Float(from[index]) * scale }
            }
        }
        self = result
    }

    /// Appends the scalars to `data` as little-endian IEEE 754 binary32, in row-major order.
    public func appendLittleEndianBytes(to data: inout Data) {
        #if _endian(little)
        data.append(UnsafeBufferPointer(start: storage.pointer, count: count))
        #else
        for index in 0..<count { Swift.withUnsafeBytes(of: storage.pointer[index].bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        #endif
    }

    /// A tensor of `shape` from the little-endian binary32 scalars in `data`, starting at byte `offset`.
    /// - Throws: ``TensorError`` for a bad shape, or when `data` holds fewer bytes than the shape needs.
    public init(shape: [Int], littleEndianBytes data: Data, at offset: Int) throws {
        let count = try Tensor.elementCount(of: shape, operation: "Tensor(shape:littleEndianBytes:at:)")
        let (end, overflow) = offset.addingReportingOverflow(count * 4)
        guard offset >= 0, !overflow, end <= data.count else {
            throw TensorError.invalidArgument(
                name: "littleEndianBytes", value: "\(data.count) bytes",
                reason: "expected \(count * 4) bytes from offset \(offset) for shape \(shape)")
        }
        let result = Tensor(uninitializedShape: shape)
        data.withUnsafeBytes { raw in
            for index in 0..<count {
                let bits = raw.loadUnaligned(fromByteOffset: offset + index * 4, as: UInt32.self)
                result.storage.pointer[index] = Float(bitPattern: UInt32(littleEndian: bits))
            }
        }
        self = result
    }
}
