/// Elements chosen by indices or by a condition: embedding look-ups and their adjoint, `where`.
extension Tensor {
    /// The rows `indices` of this tensor's first axis (an embedding table's vectors), in a
    /// tensor of shape `indexShape + shape[1...]`; `indexShape` must hold `indices.count` elements.
    /// - Throws: ``TensorError`` for an index outside the first axis or an `indexShape` that does not fit.
    public func gathering(rows indices: [Int], indexShape: [Int]) throws -> Tensor {
        guard try Tensor.elementCount(of: indexShape, operation: "gathering(rows:)") == indices.count else {
            throw TensorError.scalarCountMismatch(shape: indexShape, expected: indexShape.reduce(1, *), found: indices.count)
        }
        return try gathering(batch: indices).reshaped(indexShape + shape.dropFirst())
    }

    /// The adjoint of ``gathering(rows:indexShape:)``: a tensor of shape `tableShape`, zero
    /// but for row `indices[i]`, which gets the sum of the `i`-th row of this tensor for every
    /// `i` that names it (the gradient of an embedding table).
    /// - Throws: ``TensorError`` for an index outside the table or a shape that does not fit.
    public func scatteringRows(_ indices: [Int], into tableShape: [Int]) throws -> Tensor {
        let result = try Tensor.zeros(tableShape)
        guard let rows = tableShape.first, count == indices.count * (result.count / Swift.max(rows, 1)) else {
            throw TensorError.invalidShape(
                operation: "scatteringRows", shape: shape,
                reason: "expected \(indices.count) rows of shape \(Array(tableShape.dropFirst()))")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            throw TensorError.invalidArgument(name: "index", value: "\(bad)", reason: "expected 0..<\(rows)")
        }
        let rowSize = result.count / Swift.max(rows, 1)
        let (source, destination) = (storage.pointer, result.storage.pointer)
        for (position, row) in indices.enumerated() {
            zipScalars(destination + row * rowSize, source + position * rowSize, destination + row * rowSize,
                       count: rowSize, +)
        }
        return result
    }

    /// `condition ≠ 0 ? lhs : rhs` element by element, the three broadcast to one shape
    /// (NumPy's `where`).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes do not broadcast.
    public static func selecting(where condition: Tensor, _ lhs: Tensor, _ rhs: Tensor) throws -> Tensor {
        let shape = try broadcastShape(try broadcastShape(lhs.shape, rhs.shape, operation: "where"), condition.shape,
                                       operation: "where")
        let (c, a, b) = (try condition.broadcast(to: shape), try lhs.broadcast(to: shape), try rhs.broadcast(to: shape))
        let result = Tensor(uninitializedShape: shape)
        let (cp, ap, bp, out) = (c.storage.pointer, a.storage.pointer, b.storage.pointer, result.storage.pointer)
        for index in 0..<result.count { out[index] = cp[index] != 0 ? ap[index] : bp[index] }
        return result
    }
}
