/// An n-dimensional array of `Float` scalars: row-major, contiguous, with value semantics.
///
/// Copies are cheap: two tensors share one buffer until one of them is written, and only
/// then is the buffer copied (copy-on-write). Shapes are `[Int]`; images are NHWC
/// (`[batch, height, width, channels]`), as in Keras.
///
/// ```swift
/// let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let b = try a.reshaped([3, 2])       // shares a's buffer
/// let c = try a.matmul(b)               // [2, 2], through cblas_sgemm
/// ```
///
/// Operations that can get mismatched input `throw` a ``TensorError`` that names the
/// shapes involved. Reading an element with an index out of range traps, as `Array` does.
public struct Tensor: Sendable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The number of scalars: the product of `shape` (1 for a scalar tensor of shape `[]`).
    public private(set) var count: Int
    @usableFromInline var storage: TensorStorage

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// Wraps a buffer whose capacity is at least the element count of `shape`.
    @usableFromInline
    init(shape: [Int], count: Int, storage: TensorStorage) {
        self.shape = shape
        self.count = count
        self.storage = storage
    }

    /// A tensor of the given shape filled with `value`.
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` for a negative dimension.
    public init(shape: [Int], repeating value: Float) throws {
        let count = try Tensor.elementCount(of: shape, operation: "Tensor(shape:repeating:)")
        self.init(shape: shape, count: count, storage: TensorStorage(capacity: count, repeating: value))
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    /// - Throws: ``TensorError/scalarCountMismatch(shape:expected:found:)`` when the count differs.
    public init(shape: [Int], scalars: some Collection<Float>) throws {
        let count = try Tensor.elementCount(of: shape, operation: "Tensor(shape:scalars:)")
        guard scalars.count == count else {
            throw TensorError.scalarCountMismatch(shape: shape, expected: count, found: scalars.count)
        }
        let storage = TensorStorage(uninitializedCapacity: count)
        _ = UnsafeMutableBufferPointer(start: storage.pointer, count: count).initialize(from: scalars)
        self.init(shape: shape, count: count, storage: storage)
    }

    /// A one-dimensional tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        let storage = TensorStorage(uninitializedCapacity: scalars.count)
        _ = UnsafeMutableBufferPointer(start: storage.pointer, count: scalars.count).initialize(from: scalars)
        self.init(shape: [scalars.count], count: scalars.count, storage: storage)
    }

    /// A scalar (rank-0) tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], count: 1, storage: TensorStorage(capacity: 1, repeating: scalar))
    }

    /// A tensor of the given shape whose contents are not initialised; for kernels that
    /// overwrite every element. The shape must already be valid.
    @usableFromInline
    init(uninitializedShape shape: [Int]) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, count: count, storage: TensorStorage(uninitializedCapacity: count))
    }

    /// The number of scalars in `shape`, after checking that no dimension is negative.
    static func elementCount(of shape: [Int], operation: String) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidShape(operation: operation, shape: shape, reason: "dimensions must not be negative")
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= Int(Int32.max) * 16 else {
                throw TensorError.invalidShape(operation: operation, shape: shape, reason: "too many elements")
            }
            count = product
        }
        return count
    }

    // MARK: Element access

    /// All scalars in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The scalar of a rank-0 or one-element tensor.
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` when there is not exactly one element.
    public func scalar() throws -> Float {
        guard count == 1 else {
            throw TensorError.invalidShape(operation: "scalar()", shape: shape, reason: "expected exactly one element")
        }
        return storage.pointer[0]
    }

    /// The element at a full multi-dimensional index. Traps when an index is out of range.
    public subscript(indices: Int...) -> Float {
        get { storage.pointer[flatIndex(indices)] }
        set {
            let index = flatIndex(indices)
            makeUnique()
            storage.pointer[index] = newValue
        }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == rank, "expected \(rank) indices for shape \(shape), found \(indices.count)")
        var flat = 0
        for (index, dimension) in Swift.zip(indices, shape) {
            precondition(index >= 0 && index < dimension, "index \(indices) is out of range for shape \(shape)")
            flat = flat * dimension + index
        }
        return flat
    }

    /// Calls `body` with the scalars, in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Calls `body` with the scalars to modify in place (copying a shared buffer first).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Gives this tensor a buffer of its own if it shares one.
    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy(count: count)
        }
    }

    // MARK: Shape

    /// The same scalars viewed with another shape, without copying.
    ///
    /// One dimension may be `-1`; it is inferred from the others, as in Keras and NumPy.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the element counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let inferred = newShape.filter { $0 == -1 }.count
        guard inferred <= 1 else {
            throw TensorError.invalidShape(operation: "reshaped", shape: newShape, reason: "at most one dimension may be -1")
        }
        var resolved = newShape
        if let position = newShape.firstIndex(of: -1) {
            let known = try Tensor.elementCount(
                of: newShape.enumerated().filter { $0.offset != position }.map(\.element), operation: "reshaped")
            guard known > 0, count % known == 0 else {
                throw TensorError.invalidShape(
                    operation: "reshaped", shape: newShape,
                    reason: "\(count) elements of shape \(shape) cannot be split that way")
            }
            resolved[position] = count / known
        }
        let newCount = try Tensor.elementCount(of: resolved, operation: "reshaped")
        guard newCount == count else {
            throw TensorError.shapeMismatch(operation: "reshaped (element count \(count))", expected: shape, found: resolved)
        }
        return Tensor(shape: resolved, count: count, storage: storage)
    }

    /// Gives this tensor the shape `newShape` with unspecified contents, reusing its buffer
    /// when that is large enough and not shared. For kernels and layers that overwrite
    /// every element and want a steady-state training step to allocate nothing.
    public mutating func resizeDiscardingContents(to newShape: [Int]) throws {
        let newCount = try Tensor.elementCount(of: newShape, operation: "resizeDiscardingContents")
        if newCount > storage.capacity || !isKnownUniquelyReferenced(&storage) {
            storage = TensorStorage(uninitializedCapacity: newCount)
        }
        shape = newShape
        count = newCount
    }

    /// The rows `range` of the first axis (a mini-batch), copied into a new tensor.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` when the range is outside the first axis.
    public func slice(batch range: Range<Int>) throws -> Tensor {
        guard rank >= 1 else {
            throw TensorError.invalidShape(operation: "slice(batch:)", shape: shape, reason: "expected rank >= 1")
        }
        guard range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw TensorError.invalidArgument(
                name: "range", value: "\(range)", reason: "expected a range inside 0..<\(shape[0]) for shape \(shape)")
        }
        let rowSize = count / Swift.max(shape[0], 1)
        let result = Tensor(uninitializedShape: [range.count] + shape.dropFirst())
        result.storage.pointer.update(from: storage.pointer + range.lowerBound * rowSize, count: range.count * rowSize)
        return result
    }

    /// The rows at `indices` of the first axis, in that order (a shuffled mini-batch).
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for an index outside the first axis.
    public func gathering(batch indices: some Collection<Int>) throws -> Tensor {
        guard rank >= 1 else {
            throw TensorError.invalidShape(operation: "gathering(batch:)", shape: shape, reason: "expected rank >= 1")
        }
        let rows = shape[0]
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            throw TensorError.invalidArgument(
                name: "index", value: "\(bad)", reason: "expected 0..<\(rows) for shape \(shape)")
        }
        let rowSize = count / Swift.max(rows, 1)
        let result = Tensor(uninitializedShape: [indices.count] + shape.dropFirst())
        for (offset, row) in indices.enumerated() {
            (result.storage.pointer + offset * rowSize).update(from: storage.pointer + row * rowSize, count: rowSize)
        }
        return result
    }
}

extension Tensor: Equatable {
    /// Two tensors are equal when their shapes and all their scalars are equal.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape
            && (lhs.storage === rhs.storage
                || lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } })
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first 8 scalars.
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

extension Optional<Tensor> {
    /// A kernel's optional gradient buffer: resized to `shape` (reusing its buffer when it can)
    /// when the gradient is `needed`, nil otherwise.
    mutating func resizeForGradient(to shape: [Int], if needed: Bool) throws {
        guard needed else {
            self = nil
            return
        }
        var buffer = self ?? Tensor(uninitializedShape: [0])
        self = nil  // so that the buffer is not shared and can be reused
        try buffer.resizeDiscardingContents(to: shape)
        self = buffer
    }
}
