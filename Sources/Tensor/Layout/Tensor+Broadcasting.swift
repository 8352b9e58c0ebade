/// NumPy's broadcasting: two shapes are aligned at their last axes, and along each axis the
/// lengths must be equal or one of them 1 (a missing axis counts as 1).
extension Tensor {
    /// The shape two operands broadcast to.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when an axis differs
    ///   and neither length is 1.
    public static func broadcastShape(_ lhs: [Int], _ rhs: [Int], operation: String = "broadcast") throws -> [Int] {
        let rank = Swift.max(lhs.count, rhs.count)
        let a = [Int](repeating: 1, count: rank - lhs.count) + lhs
        let b = [Int](repeating: 1, count: rank - rhs.count) + rhs
        return try (0..<rank).map { axis in
            if a[axis] == b[axis] || b[axis] == 1 { return a[axis] }
            if a[axis] == 1 { return b[axis] }
            throw TensorError.shapeMismatch(
                operation: "\(operation): shapes do not broadcast (axis \(axis - rank) is \(a[axis]) and \(b[axis]))",
                expected: lhs, found: rhs)
        }
    }

    /// The element strides with which this tensor is read as a tensor of `shape` it
    /// broadcasts to: 0 along the axes it is repeated over.
    @usableFromInline
    func strides(broadcastTo shape: [Int]) -> [Int] {
        let padding = shape.count - rank
        let own = rowMajorStrides(self.shape)
        return shape.indices.map { axis in
            axis < padding || self.shape[axis - padding] == 1 ? 0 : own[axis - padding]
        }
    }

    /// `combine(lhs, rhs)` element by element after broadcasting both to one shape.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes do not broadcast.
    @inlinable
    public static func broadcasting(
        _ lhs: Tensor, _ rhs: Tensor, operation: String = "broadcasting", _ combine: (Float, Float) -> Float
    ) throws -> Tensor {
        if lhs.shape == rhs.shape { return try lhs.zip(rhs, operation: operation, combine) }
        let shape = try broadcastShape(lhs.shape, rhs.shape, operation: operation)
        let result = Tensor(uninitializedShape: shape)
        combineBox(shape: shape, lhs.storage.pointer, lhsStrides: lhs.strides(broadcastTo: shape),
                   rhs.storage.pointer, rhsStrides: rhs.strides(broadcastTo: shape),
                   into: result.storage.pointer, combine)
        return result
    }

    /// This tensor repeated along new leading axes and along its axes of length 1 to fill `shape`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless the tensor broadcasts to `shape`.
    public func broadcast(to shape: [Int]) throws -> Tensor {
        if shape == self.shape { return self }
        guard try Tensor.broadcastShape(self.shape, shape, operation: "broadcast(to:)") == shape else {
            throw TensorError.shapeMismatch(operation: "broadcast(to:)", expected: shape, found: self.shape)
        }
        let result = Tensor(uninitializedShape: shape)
        copyBox(shape: shape, from: storage.pointer, sourceStrides: strides(broadcastTo: shape),
                to: result.storage.pointer, destinationStrides: rowMajorStrides(shape))
        return result
    }

    /// The adjoint of ``broadcast(to:)``: sums over the axes along which a tensor of `shape`
    /// would be repeated to give this one, so that the result has `shape` (the gradient of a
    /// broadcast operand).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless `shape` broadcasts to this shape.
    public func sum(toShape shape: [Int]) throws -> Tensor {
        if shape == self.shape { return self }
        guard try Tensor.broadcastShape(shape, self.shape, operation: "sum(toShape:)") == self.shape else {
            throw TensorError.shapeMismatch(operation: "sum(toShape:)", expected: self.shape, found: shape)
        }
        let padding = rank - shape.count
        var result = self
        for axis in (0..<rank).reversed() where axis < padding || shape[axis - padding] == 1 {
            if result.shape[axis] != 1 || axis < padding {
                result = try result.sum(alongAxis: axis)
                if axis >= padding { result = try result.reshaped(Array(result.shape[..<axis]) + [1] + result.shape[axis...]) }
            }
        }
        return try result.reshaped(shape)
    }
}
