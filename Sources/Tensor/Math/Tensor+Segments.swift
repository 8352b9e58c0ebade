/// Ranges of a tensor's flat scalars: how a model keeps all its parameters (or all their
/// gradients) in one buffer, each parameter a segment of it.
extension Tensor {
    /// Copies the scalars of `source` into this tensor's scalars `offset..<offset + source.count`.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` when the range is outside this tensor.
    public mutating func writeScalars(of source: Tensor, at offset: Int) throws {
        try checkSegment(offset..<(offset + source.count), operation: "writeScalars(of:at:)")
        makeUnique()
        (storage.pointer + offset).update(from: source.storage.pointer, count: source.count)
    }

    /// Overwrites this tensor's scalars with `source`'s scalars `offset..<offset + count`.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` when the range is outside `source`.
    public mutating func readScalars(from source: Tensor, at offset: Int) throws {
        try source.checkSegment(offset..<(offset + count), operation: "readScalars(from:at:)")
        makeUnique()
        storage.pointer.update(from: source.storage.pointer + offset, count: count)
    }

    /// Σ x² over the scalars in `range`, summed in Double.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` when the range is outside this tensor.
    public func sumOfSquares(in range: Range<Int>) throws -> Double {
        try checkSegment(range, operation: "sumOfSquares(in:)")
        var total: Double = 0
        var block: Float = 0
        for index in range {
            let value = storage.pointer[index]
            block += value * value
            if (index - range.lowerBound) & 1023 == 1023 {
                total += Double(block)
                block = 0
            }
        }
        return total + Double(block)
    }

    /// Applies `transform` to the scalars in `range`, in place.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` when the range is outside this tensor.
    @inlinable
    public mutating func mapInPlace(in range: Range<Int>, _ transform: (Float) -> Float) throws {
        try checkSegment(range, operation: "mapInPlace(in:)")
        makeUnique()
        let start = storage.pointer + range.lowerBound
        mapScalars(start, start, count: range.count, transform)
    }

    /// The index and value of the first scalar that is NaN or infinite, if any.
    public var firstNonFinite: (index: Int, value: Float)? {
        for index in 0..<count where !storage.pointer[index].isFinite { return (index, storage.pointer[index]) }
        return nil
    }

    @usableFromInline
    func checkSegment(_ range: Range<Int>, operation: String) throws {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw TensorError.invalidArgument(
                name: "range", value: "\(range)", reason: "\(operation): expected a range inside 0..<\(count)")
        }
    }
}
