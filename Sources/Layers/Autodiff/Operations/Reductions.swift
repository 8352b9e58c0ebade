import Tensor

/// Sums, means, maxima and minima over axes. Each takes the axes to reduce (all when nil)
/// and keeps them with length 1 when `keepingDimensions`, as NumPy's `keepdims`.
extension Variable {
    /// The sum over `axes`.
    /// - Throws: for an axis out of range.
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Variable {
        let x = value
        let kept = try x.sum(alongAxes: axes, keepingDimensions: true)
        return try Variable.record(.sum, try Variable.dropping(kept, axes, keepingDimensions, of: x), [self]) { g, _ in
            [try g.reshaped(kept.shape).broadcast(to: x.shape)]
        }
    }

    /// The mean over `axes`.
    /// - Throws: for an axis out of range or an empty tensor.
    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Variable {
        let x = value
        guard x.count > 0 else { throw TensorError.empty(operation: "mean", shape: x.shape) }
        let kept = try x.sum(alongAxes: axes, keepingDimensions: true)
        let scale = Float(kept.count) / Float(x.count)
        return try Variable.record(.mean, try Variable.dropping(kept * scale, axes, keepingDimensions, of: x), [self]) { g, _ in
            [try (g * scale).reshaped(kept.shape).broadcast(to: x.shape)]
        }
    }

    /// The maximum over `axes`; the gradient is shared equally by the elements that tie for it.
    /// - Throws: for an axis out of range or of length 0.
    public func max(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Variable {
        try extreme(.max, axes, keepingDimensions) { try $0.max(alongAxis: $1) }
    }

    /// The minimum over `axes`; the gradient is shared equally by the elements that tie for it.
    /// - Throws: for an axis out of range or of length 0.
    public func min(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Variable {
        try extreme(.min, axes, keepingDimensions) { try $0.min(alongAxis: $1) }
    }

    private func extreme(
        _ operation: Operation, _ axes: [Int]?, _ keepingDimensions: Bool, _ reduce: (Tensor, Int) throws -> Tensor
    ) throws -> Variable {
        let x = value
        let kept = try x.reduce(alongAxes: axes, keepingDimensions: true, operation: operation.rawValue, reduce)
        return try Variable.record(operation, try Variable.dropping(kept, axes, keepingDimensions, of: x), [self]) { g, _ in
            let winners = try Tensor.broadcasting(x, kept) { $0 == $1 ? 1 : 0 }
            let ties = try winners.sum(alongAxes: axes, keepingDimensions: true)
            let share = try g.reshaped(kept.shape).zip(ties, /)
            return [try Tensor.broadcasting(winners, share, *)]
        }
    }

    /// `kept` (a reduction with its axes kept) without those axes unless `keepingDimensions`.
    private static func dropping(_ kept: Tensor, _ axes: [Int]?, _ keepingDimensions: Bool, of x: Tensor) throws -> Tensor {
        if keepingDimensions { return kept }
        let reduced = try Set((axes ?? Array(0..<x.rank)).map { try x.normalizedAxis($0, operation: "reduction") })
        return try kept.reshaped(x.shape.indices.filter { !reduced.contains($0) }.map { x.shape[$0] })
    }
}
