/// Tensors rearranged: axes permuted, boxes cut out and written back, tensors joined along
/// an axis. Every one is one strided copy (``copyBox``).
extension Tensor {
    /// The axis `axis` (negative counts from the end) as an index into `shape`.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)`` outside `-rank..<rank`.
    public func normalizedAxis(_ axis: Int, operation: String) throws -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 0, normalized < rank else { throw TensorError.invalidAxis(operation: operation, axis: axis, rank: rank) }
        return normalized
    }

    /// The tensor with its axes reordered: axis `i` of the result is axis `axes[i]` of this
    /// one (NumPy's `transpose(axes)`, PyTorch's `permute`).
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` unless `axes` is a permutation of `0..<rank`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.sorted() == Array(0..<rank) else {
            throw TensorError.invalidArgument(
                name: "axes", value: "\(axes)", reason: "expected a permutation of 0..<\(rank) for shape \(shape)")
        }
        if axes == Array(0..<rank) { return self }
        let own = rowMajorStrides(shape)
        let newShape = axes.map { shape[$0] }
        let result = Tensor(uninitializedShape: newShape)
        copyBox(shape: newShape, from: storage.pointer, sourceStrides: axes.map { own[$0] },
                to: result.storage.pointer, destinationStrides: rowMajorStrides(newShape))
        return result
    }

    /// The tensor with the order of axis `axis` reversed (NumPy's `flip(x, axis)`): a batch of
    /// sequences `[batch, steps, features]` read from its last step with `axis: 1`.
    /// - Throws: ``TensorError/invalidAxis(operation:axis:rank:)`` for an axis out of range.
    public func reversed(alongAxis axis: Int) throws -> Tensor {
        let axis = try normalizedAxis(axis, operation: "reversed(alongAxis:)")
        let result = Tensor(uninitializedShape: shape)
        guard count > 0 else { return result }
        var strides = rowMajorStrides(shape)
        let origin = (shape[axis] - 1) * strides[axis]
        strides[axis] = -strides[axis]
        copyBox(shape: shape, from: storage.pointer, sourceStrides: strides, sourceOrigin: origin,
                to: result.storage.pointer, destinationStrides: rowMajorStrides(shape))
        return result
    }

    /// The tensor with its last two axes swapped (a batch of matrices transposed).
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` below rank 2.
    public func transposedLastAxes() throws -> Tensor {
        guard rank >= 2 else {
            throw TensorError.invalidShape(operation: "transposedLastAxes", shape: shape, reason: "expected rank >= 2")
        }
        return try permuted(Array(0..<(rank - 2)) + [rank - 1, rank - 2])
    }

    /// The box `ranges` (one range per leading axis; the axes after them are taken whole),
    /// copied into a new tensor: `x.slice([0..<2, 1..<3])` is NumPy's `x[0:2, 1:3]`.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for more ranges than axes or
    ///   a range outside its axis.
    public func slice(_ ranges: [Range<Int>]) throws -> Tensor {
        let box = try boxShape(ranges, operation: "slice")
        let result = Tensor(uninitializedShape: box.shape)
        let strides = rowMajorStrides(shape)
        copyBox(shape: box.shape, from: storage.pointer, sourceStrides: strides, sourceOrigin: box.origin,
                to: result.storage.pointer, destinationStrides: rowMajorStrides(box.shape))
        return result
    }

    /// The elements `range` of axis `axis`, all of the other axes (a column slice of a
    /// matrix is `x.slice(alongAxis: 1, range)`).
    /// - Throws: ``TensorError`` for an axis or range out of bounds.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) throws -> Tensor {
        let axis = try normalizedAxis(axis, operation: "slice(alongAxis:)")
        return try slice(shape[..<axis].map { 0..<$0 } + [range])
    }

    /// Writes `block` into the box that starts at `origin` (one index per leading axis),
    /// the adjoint of ``slice(_:)``.
    /// - Throws: ``TensorError`` when the block does not fit inside this tensor there.
    public mutating func write(_ block: Tensor, at origin: [Int]) throws {
        guard origin.count <= rank, block.rank == rank else {
            throw TensorError.shapeMismatch(operation: "write(_:at: \(origin))", expected: shape, found: block.shape)
        }
        let ranges = shape.indices.map { axis in
            let start = axis < origin.count ? origin[axis] : 0
            return start..<(start + block.shape[axis])
        }
        let box = try boxShape(ranges, operation: "write(_:at:)")
        makeUnique()
        copyBox(shape: box.shape, from: block.storage.pointer, sourceStrides: rowMajorStrides(block.shape),
                to: storage.pointer, destinationStrides: rowMajorStrides(shape), destinationOrigin: box.origin)
    }

    /// The tensors joined along `axis`; every other axis must agree.
    /// - Throws: ``TensorError`` for no tensors, different ranks or mismatched axes.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument(name: "tensors", value: "[]", reason: "expected at least one tensor to concatenate")
        }
        let axis = try first.normalizedAxis(axis, operation: "concatenate")
        for tensor in tensors {
            var expected = first.shape
            if tensor.rank == first.rank { expected[axis] = tensor.shape[axis] }
            guard tensor.shape == expected else {
                throw TensorError.shapeMismatch(
                    operation: "concatenate along axis \(axis): every axis but \(axis) must agree", expected: expected,
                    found: tensor.shape)
            }
        }
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        var result = Tensor(uninitializedShape: shape)
        var start = 0
        for tensor in tensors {
            try result.write(tensor, at: [Int](repeating: 0, count: axis) + [start])
            start += tensor.shape[axis]
        }
        return result
    }

    /// The tensors, which must share one shape, stacked along a new axis `axis`.
    /// - Throws: ``TensorError`` for no tensors or different shapes.
    public static func stack(_ tensors: [Tensor], alongAxis axis: Int) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument(name: "tensors", value: "[]", reason: "expected at least one tensor to stack")
        }
        let position = axis < 0 ? axis + first.rank + 1 : axis
        guard position >= 0, position <= first.rank else {
            throw TensorError.invalidAxis(operation: "stack", axis: axis, rank: first.rank + 1)
        }
        let expanded = try tensors.map { tensor in
            guard tensor.shape == first.shape else {
                throw TensorError.shapeMismatch(operation: "stack: every tensor must have one shape", expected: first.shape,
                                                found: tensor.shape)
            }
            return try tensor.reshaped(Array(first.shape[..<position]) + [1] + first.shape[position...])
        }
        return try concatenate(expanded, alongAxis: position)
    }

    /// The tensor cut along `axis` into consecutive pieces of the given lengths, which must
    /// add up to the axis's length.
    /// - Throws: ``TensorError`` for an axis out of range or lengths that do not add up.
    public func split(sizes: [Int], alongAxis axis: Int) throws -> [Tensor] {
        let axis = try normalizedAxis(axis, operation: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[axis] else {
            throw TensorError.invalidArgument(
                name: "sizes", value: "\(sizes)", reason: "expected non-negative lengths adding up to \(shape[axis]) (axis \(axis) of \(shape))")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try slice(alongAxis: axis, start..<(start + size))
        }
    }

    /// The shape of the box `ranges` and the offset of its first element, after checking it.
    private func boxShape(_ ranges: [Range<Int>], operation: String) throws -> (shape: [Int], origin: Int) {
        guard ranges.count <= rank else {
            throw TensorError.invalidArgument(
                name: "ranges", value: "\(ranges)", reason: "expected at most \(rank) ranges for shape \(shape)")
        }
        for (axis, range) in ranges.enumerated() where range.lowerBound < 0 || range.upperBound > shape[axis] {
            throw TensorError.invalidArgument(
                name: "range", value: "\(range)", reason: "\(operation): expected a range inside 0..<\(shape[axis]) for axis \(axis) of \(shape)")
        }
        let strides = rowMajorStrides(shape)
        let box = shape.indices.map { $0 < ranges.count ? ranges[$0].count : shape[$0] }
        let origin = ranges.enumerated().reduce(0) { $0 + $1.element.lowerBound * strides[$1.offset] }
        return (box, origin)
    }
}
