import Foundation

/// Tensors as raw little-endian Float32 bytes, the layout of safetensors and NumPy's `<f4`.
extension Tensor {
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
