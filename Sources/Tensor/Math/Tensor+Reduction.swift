extension Tensor {
    /// The sum of all elements (0 for an empty tensor), accumulated in Double.
    public func sum() -> Float {
        withUnsafeBufferPointer { buffer in Float(buffer.reduce(0.0) { $0 + Double($1) }) }
    }

    /// The mean of all elements.
    /// - Throws: ``TensorError/empty(operation:shape:)`` for an empty tensor.
    public func mean() throws -> Float {
        guard count > 0 else { throw TensorError.empty(operation: "mean", shape: shape) }
        return sum() / Float(count)
    }

    /// The largest element.
    /// - Throws: ``TensorError/empty(operation:shape:)`` for an empty tensor.
    public func max() throws -> Float {
        guard count > 0 else { throw TensorError.empty(operation: "max", shape: shape) }
        return withUnsafeBufferPointer { $0.max()! }
    }

    /// The smallest element.
    /// - Throws: ``TensorError/empty(operation:shape:)`` for an empty tensor.
    public func min() throws -> Float {
        guard count > 0 else { throw TensorError.empty(operation: "min", shape: shape) }
        return withUnsafeBufferPointer { $0.min()! }
    }

    /// Sums along `axis`, which is removed from the shape. Negative axes count from the end.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)`` for an axis out of range.
    public func sum(alongAxis axis: Int) throws -> Tensor {
        try reduce(alongAxis: axis, operation: "sum(alongAxis:)", initial: 0, +)
    }

    /// Averages along `axis`, which is removed from the shape.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)``, or ``TensorError/empty(operation:shape:)``
    ///   when the axis has length 0.
    public func mean(alongAxis axis: Int) throws -> Tensor {
        let length = try axisLength(axis, operation: "mean(alongAxis:)", nonEmpty: true)
        return try sum(alongAxis: axis) / Float(length)
    }

    /// The maximum along `axis`, which is removed from the shape.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)``, or ``TensorError/empty(operation:shape:)``
    ///   when the axis has length 0.
    public func max(alongAxis axis: Int) throws -> Tensor {
        _ = try axisLength(axis, operation: "max(alongAxis:)", nonEmpty: true)
        return try reduce(alongAxis: axis, operation: "max(alongAxis:)", initial: -.infinity) { Swift.max($0, $1) }
    }

    /// The minimum along `axis`, which is removed from the shape.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)``, or ``TensorError/empty(operation:shape:)``
    ///   when the axis has length 0.
    public func min(alongAxis axis: Int) throws -> Tensor {
        _ = try axisLength(axis, operation: "min(alongAxis:)", nonEmpty: true)
        return try reduce(alongAxis: axis, operation: "min(alongAxis:)", initial: .infinity) { Swift.min($0, $1) }
    }

    /// Sums along each of `axes` (all axes when nil); the summed axes are kept with length 1
    /// when `keepingDimensions` is true, as NumPy's `keepdims`, and removed otherwise.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)`` for an axis out of range.
    public func sum(alongAxes axes: [Int]?, keepingDimensions: Bool = false) throws -> Tensor {
        try reduce(alongAxes: axes, keepingDimensions: keepingDimensions, operation: "sum(alongAxes:)") {
            try $0.sum(alongAxis: $1)
        }
    }

    /// Applies the single-axis reduction `reduce` along each of `axes` (all when nil), last
    /// first, keeping each reduced axis with length 1 or removing it (for `Layers`' reductions).
    package func reduce(
        alongAxes axes: [Int]?, keepingDimensions: Bool, operation: String, _ reduce: (Tensor, Int) throws -> Tensor
    ) throws -> Tensor {
        let normalized = try Set((axes ?? Array(0..<rank)).map { axis in
            let value = normalizedAxis(axis)
            guard value >= 0, value < rank else { throw TensorError.invalidAxis(operation: operation, axis: axis, rank: rank) }
            return value
        })
        var result = self
        for axis in normalized.sorted(by: >) {
            result = try reduce(result, axis)
            result = try result.reshaped(Array(result.shape[..<axis]) + [1] + result.shape[axis...])
        }
        let kept = result.shape
        return keepingDimensions ? result : try result.reshaped(kept.indices.filter { !normalized.contains($0) }.map { kept[$0] })
    }

    /// The index of the maximum along `axis` (the first one on ties), for every position of
    /// the other axes in row-major order. For a `[batch, classes]` tensor and axis `-1`, the
    /// predicted class of each row.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)``, or ``TensorError/empty(operation:shape:)``
    ///   when the axis has length 0.
    public func argmax(alongAxis axis: Int = -1) throws -> [Int] {
        let length = try axisLength(axis, operation: "argmax(alongAxis:)", nonEmpty: true)
        let (outer, inner) = outerAndInnerCounts(around: normalizedAxis(axis))
        var result = [Int](repeating: 0, count: outer * inner)
        let x = storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var best = 0
                for j in 1..<length where x[base + j * inner] > x[base + best * inner] { best = j }
                result[o * inner + i] = best
            }
        }
        return result
    }

    /// The shared reduction loop: views the tensor as `[outer, length, inner]` and folds the
    /// middle axis, walking memory in order so that the inner loop vectorises.
    private func reduce(
        alongAxis axis: Int, operation: String, initial: Float, _ combine: (Float, Float) -> Float
    ) throws -> Tensor {
        let length = try axisLength(axis, operation: operation, nonEmpty: false)
        let axis = normalizedAxis(axis)
        let (outer, inner) = outerAndInnerCounts(around: axis)
        var outputShape = shape
        outputShape.remove(at: axis)
        let result = Tensor(uninitializedShape: outputShape)
        let x = storage.pointer
        let y = result.storage.pointer
        y.update(repeating: initial, count: outer * inner)
        for o in 0..<outer {
            accumulateRows(x + o * length * inner, rows: length, columns: inner, into: y + o * inner, combine)
        }
        return result
    }

    private func normalizedAxis(_ axis: Int) -> Int { axis < 0 ? axis + rank : axis }

    private func axisLength(_ axis: Int, operation: String, nonEmpty: Bool) throws -> Int {
        let normalized = normalizedAxis(axis)
        guard normalized >= 0, normalized < rank else {
            throw TensorError.invalidAxis(operation: operation, axis: axis, rank: rank)
        }
        if nonEmpty, shape[normalized] == 0 { throw TensorError.empty(operation: operation, shape: shape) }
        return shape[normalized]
    }

    private func outerAndInnerCounts(around axis: Int) -> (outer: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }
}
