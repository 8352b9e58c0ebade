import Tensor

/// Reshaping, permuting, slicing and joining; each backward is the adjoint rearrangement.
extension Variable {
    /// The same values in another shape (one dimension may be -1).
    /// - Throws: when the element counts differ.
    public func reshaped(_ shape: [Int]) throws -> Variable {
        let original = self.shape
        return try Variable.record(.reshape, try value.reshaped(shape), [self]) { g, _ in [try g.reshaped(original)] }
    }

    /// The axes reordered: axis `i` of the result is axis `axes[i]` of this variable.
    /// - Throws: unless `axes` is a permutation of the axes.
    public func permuted(_ axes: [Int]) throws -> Variable {
        var inverse = [Int](repeating: 0, count: axes.count)
        for (position, axis) in axes.enumerated() where axis >= 0 && axis < axes.count { inverse[axis] = position }
        return try Variable.record(.permute, try value.permuted(axes), [self]) { g, _ in [try g.permuted(inverse)] }
    }

    /// The last two axes swapped (each matrix of a batch transposed).
    /// - Throws: below rank 2.
    public func transposedLastAxes() throws -> Variable {
        guard rank >= 2 else {
            throw TensorError.invalidShape(operation: "transposedLastAxes", shape: shape, reason: "expected rank >= 2")
        }
        return try permuted(Array(0..<(rank - 2)) + [rank - 1, rank - 2])
    }

    /// The box `ranges` (one per leading axis, the rest whole), as NumPy's `x[a:b, c:d]`.
    /// - Throws: for a range outside its axis.
    public func slice(_ ranges: [Range<Int>]) throws -> Variable {
        let shape = self.shape
        return try Variable.record(.slice, try value.slice(ranges), [self]) { g, _ in
            var gradient = try Tensor.zeros(shape)
            try gradient.write(g, at: ranges.map(\.lowerBound))
            return [gradient]
        }
    }

    /// The elements `range` of axis `axis`, the other axes whole.
    /// - Throws: for an axis or range out of bounds.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) throws -> Variable {
        let axis = try value.normalizedAxis(axis, operation: "slice(alongAxis:)")
        return try slice(shape[..<axis].map { 0..<$0 } + [range])
    }

    /// The variables joined along `axis`; the other axes must agree.
    /// - Throws: for no variables or mismatched shapes.
    public static func concatenate(_ variables: [Variable], alongAxis axis: Int) throws -> Variable {
        let value = try Tensor.concatenate(variables.map(\.value), alongAxis: axis)
        let axis = try value.normalizedAxis(axis, operation: "concatenate")
        let sizes = variables.map { $0.shape[axis] }
        return try record(.concatenate, value, variables) { g, _ in try g.split(sizes: sizes, alongAxis: axis) }
    }

    /// The variables, of one shape, stacked along a new axis `axis`.
    /// - Throws: for no variables or different shapes.
    public static func stack(_ variables: [Variable], alongAxis axis: Int) throws -> Variable {
        let value = try Tensor.stack(variables.map(\.value), alongAxis: axis)
        let position = axis < 0 ? axis + value.rank : axis
        let (shape, count) = (variables[0].shape, variables.count)
        return try record(.stack, value, variables) { g, _ in
            try g.split(sizes: [Int](repeating: 1, count: count), alongAxis: position).map { try $0.reshaped(shape) }
        }
    }

    /// Consecutive pieces of the given lengths along `axis`.
    /// - Throws: for an axis out of range or lengths that do not add up to the axis's length.
    public func split(sizes: [Int], alongAxis axis: Int) throws -> [Variable] {
        let pieces = try value.split(sizes: sizes, alongAxis: axis)
        let axis = try value.normalizedAxis(axis, operation: "split")
        let shape = self.shape
        var start = 0
        return try pieces.map { piece in
            let origin = [Int](repeating: 0, count: axis) + [start]
            start += piece.shape[axis]
            return try Variable.record(.split, piece, [self]) { g, _ in
                var gradient = try Tensor.zeros(shape)
                try gradient.write(g, at: origin)
                return [gradient]
            }
        }
    }
}
