extension Tensor {
    /// A tensor of zeros. - Throws: for a negative dimension.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones. - Throws: for a negative dimension.
    public static func ones(_ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, repeating: 1) }

    /// A tensor filled with `value`. - Throws: for a negative dimension.
    public static func filled(_ shape: [Int], with value: Float) throws -> Tensor {
        try Tensor(shape: shape, repeating: value)
    }

    /// A zero tensor with the same shape as `other`.
    public static func zeros(like other: Tensor) -> Tensor {
        Tensor(shape: other.shape, count: other.count, storage: TensorStorage(capacity: other.count, repeating: 0))
    }

    /// The rank-1 tensor `[start, start + step, ...]` of the values below `end` (NumPy's `arange`).
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a zero or non-finite step.
    public static func arange(from start: Float = 0, to end: Float, step: Float = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError.invalidArgument(name: "step", value: "\(step)", reason: "expected a finite, non-zero step and finite bounds")
        }
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<count).map { start + Float($0) * step })
    }

    /// `count` evenly spaced values from `start` to `end`, both included (NumPy's `linspace`).
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a negative count.
    public static func linspace(from start: Float, to end: Float, count: Int) throws -> Tensor {
        guard count >= 0 else {
            throw TensorError.invalidArgument(name: "count", value: "\(count)", reason: "expected count >= 0")
        }
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Float(Swift.max(count - 1, 1))
        return Tensor((0..<count).map { $0 == count - 1 ? end : start + Float($0) * step })
    }

    /// One row per label, with a 1 in the label's column and 0 elsewhere: shape `[labels.count, classes]`.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a label outside `0..<classes`.
    public static func oneHot(_ labels: some Collection<Int>, classes: Int) throws -> Tensor {
        guard classes > 0 else {
            throw TensorError.invalidArgument(name: "classes", value: "\(classes)", reason: "expected at least 1 class")
        }
        let result = try Tensor.zeros([labels.count, classes])
        for (row, label) in labels.enumerated() {
            guard (0..<classes).contains(label) else {
                throw TensorError.invalidArgument(
                    name: "label", value: "\(label)", reason: "label at row \(row) is outside 0..<\(classes)")
            }
            result.storage.pointer[row * classes + label] = 1
        }
        return result
    }
}
