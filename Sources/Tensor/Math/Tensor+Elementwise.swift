extension Tensor {
    /// A new tensor with `transform` applied to every scalar.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        mapScalars(storage.pointer, result.storage.pointer, count: count, transform)
        return result
    }

    /// Applies `transform` to every scalar in place.
    @inlinable
    public mutating func mapInPlace(_ transform: (Float) -> Float) {
        makeUnique()
        mapScalars(storage.pointer, storage.pointer, count: count, transform)
    }

    /// A new tensor combining this one and `other` scalar by scalar.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes differ.
    @inlinable
    public func zip(_ other: Tensor, operation: String = "zip", _ combine: (Float, Float) -> Float) throws -> Tensor {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch(operation: operation, expected: shape, found: other.shape)
        }
        let result = Tensor(uninitializedShape: shape)
        zipScalars(storage.pointer, other.storage.pointer, result.storage.pointer, count: count, combine)
        return result
    }

    /// Combines `other` into this tensor scalar by scalar, in place.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes differ.
    @inlinable
    public mutating func zipInPlace(
        _ other: Tensor, operation: String = "zipInPlace", _ combine: (Float, Float) -> Float
    ) throws {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch(operation: operation, expected: shape, found: other.shape)
        }
        makeUnique()
        zipScalars(storage.pointer, other.storage.pointer, storage.pointer, count: count, combine)
    }

    /// `combine(self[..., j], row[j])`: a rank-1 `row` broadcast over the last axis.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless `row` has shape `[shape.last]`.
    @inlinable
    public func broadcastingLastAxis(_ row: Tensor, _ combine: (Float, Float) -> Float) throws -> Tensor {
        var result = self
        try result.broadcastLastAxis(row, operation: "broadcastingLastAxis", combine)
        return result
    }

    /// `self[..., j] + bias[j]`: a rank-1 `bias` broadcast over the last axis (a layer's bias).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless `bias` has shape `[shape.last]`.
    public func addingBias(_ bias: Tensor) throws -> Tensor {
        var result = self
        try result.broadcastLastAxis(bias, operation: "addBias", +)
        return result
    }

    /// Adds a rank-1 `bias` to every row of the last axis, in place.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless `bias` has shape `[shape.last]`.
    public mutating func addBias(_ bias: Tensor) throws {
        try broadcastLastAxis(bias, operation: "addBias", +)
    }

    /// `transform(self[..., j] + bias[j])` in one pass, in place: a layer's bias add fused
    /// with its activation.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless `bias` has shape `[shape.last]`.
    @inlinable
    public mutating func addBias(_ bias: Tensor, thenApply transform: (Float) -> Float) throws {
        try broadcastLastAxis(bias, operation: "addBias") { transform($0 + $1) }
    }

    @inlinable
    mutating func broadcastLastAxis(_ row: Tensor, operation: String, _ combine: (Float, Float) -> Float) throws {
        guard let columns = shape.last, row.shape == [columns] else {
            throw TensorError.shapeMismatch(operation: operation, expected: [shape.last ?? 0], found: row.shape)
        }
        makeUnique()
        broadcastRows(storage.pointer, row.storage.pointer, storage.pointer,
                      rows: count / Swift.max(columns, 1), columns: columns, combine)
    }

    // MARK: Operators

    /// Element-wise sum, split across threads for large tensors. - Throws: when the shapes differ.
    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try arithmetic(lhs, rhs, .add) }
    /// Element-wise difference. - Throws: when the shapes differ.
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try arithmetic(lhs, rhs, .subtract) }
    /// Element-wise product. - Throws: when the shapes differ.
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try arithmetic(lhs, rhs, .multiply) }
    /// Element-wise quotient. - Throws: when the shapes differ.
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try arithmetic(lhs, rhs, .divide) }

    /// The four arithmetic operators, for ``arithmetic(_:_:_:)``.
    enum Arithmetic: String { case add = "+", subtract = "-", multiply = "*", divide = "/" }

    /// `lhs ∘ rhs` element by element, in one pass split across threads (each element is
    /// computed alone, so the result does not depend on the split).
    static func arithmetic(_ lhs: Tensor, _ rhs: Tensor, _ operation: Arithmetic) throws -> Tensor {
        guard lhs.shape == rhs.shape else {
            throw TensorError.shapeMismatch(operation: operation.rawValue, expected: lhs.shape, found: rhs.shape)
        }
        let result = Tensor(uninitializedShape: lhs.shape)
        let (a, b, c) = (lhs.storage.pointer, rhs.storage.pointer, result.storage.pointer)
        parallelChunks(count: lhs.count, costPerItem: 1, minimumCostPerChunk: 1 << 16) { range in
            switch operation {
            case .add: for index in range { c[index] = a[index] + b[index] }
            case .subtract: for index in range { c[index] = a[index] - b[index] }
            case .multiply: for index in range { c[index] = a[index] * b[index] }
            case .divide: for index in range { c[index] = a[index] / b[index] }
            }
        }
        return result
    }

    /// Element-wise sum in place. - Throws: when the shapes differ.
    public static func += (lhs: inout Tensor, rhs: Tensor) throws { try lhs.zipInPlace(rhs, operation: "+=", +) }
    /// Element-wise difference in place. - Throws: when the shapes differ.
    public static func -= (lhs: inout Tensor, rhs: Tensor) throws { try lhs.zipInPlace(rhs, operation: "-=", -) }
    /// Element-wise product in place. - Throws: when the shapes differ.
    public static func *= (lhs: inout Tensor, rhs: Tensor) throws { try lhs.zipInPlace(rhs, operation: "*=", *) }
    /// Element-wise quotient in place. - Throws: when the shapes differ.
    public static func /= (lhs: inout Tensor, rhs: Tensor) throws { try lhs.zipInPlace(rhs, operation: "/=", /) }

    /// Adds a scalar to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
    /// Adds a scalar to every element.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs + $0 } }
    /// Subtracts a scalar from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
    /// Subtracts every element from a scalar.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs - $0 } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    /// Divides every element by a scalar.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }
    /// Divides a scalar by every element.
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs / $0 } }
    /// Negates every element.
    public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }

    /// Adds a scalar to every element in place.
    public static func += (lhs: inout Tensor, rhs: Float) { lhs.mapInPlace { $0 + rhs } }
    /// Subtracts a scalar from every element in place.
    public static func -= (lhs: inout Tensor, rhs: Float) { lhs.mapInPlace { $0 - rhs } }
    /// Multiplies every element by a scalar in place.
    public static func *= (lhs: inout Tensor, rhs: Float) { lhs.mapInPlace { $0 * rhs } }
    /// Divides every element by a scalar in place.
    public static func /= (lhs: inout Tensor, rhs: Float) { lhs.mapInPlace { $0 / rhs } }
}
