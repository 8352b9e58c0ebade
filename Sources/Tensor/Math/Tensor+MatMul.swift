extension Tensor {
    /// The matrix product `op(self) · op(other)`, where `op` transposes the last two axes of
    /// its operand when the matching flag is set.
    ///
    /// Two matrices take one `cblas_sgemm`. Above rank 2 the leading axes are a batch of
    /// matrices (NumPy's `matmul`): both operands have the same batch axes, or one of them is a
    /// single matrix used for every matrix of the other's batch (a batch times a rank-2 weight
    /// matrix is then one GEMM over all rows).
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` below rank 2,
    ///   ``TensorError/shapeMismatch(operation:expected:found:)`` when the inner dimensions or
    ///   the batch axes differ.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        var result = Tensor(uninitializedShape: [])
        if rank == 2 && other.rank == 2 {
            try Tensor.matmul(self, transposed: transposeSelf, other, transposed: transposeOther, into: &result)
            return result
        }
        for operand in [self, other] where operand.rank < 2 {
            throw TensorError.invalidShape(operation: "matmul", shape: operand.shape, reason: "expected rank >= 2")
        }
        let batchShape = rank > 2 ? Array(shape.dropLast(2)) : Array(other.shape.dropLast(2))
        if rank > 2 && other.rank > 2 && shape.dropLast(2) != other.shape.dropLast(2) {
            throw TensorError.shapeMismatch(
                operation: "matmul: batch axes of \(shape) and \(other.shape)", expected: Array(shape.dropLast(2)),
                found: Array(other.shape.dropLast(2)))
        }
        if other.rank == 2 && !transposeSelf {
            // Every matrix of the batch times one matrix: one GEMM over all the batch's rows.
            let rows = try reshaped([-1, shape[rank - 1]])
            try Tensor.matmul(rows, transposed: false, other, transposed: transposeOther, into: &result)
            return try result.reshaped(Array(shape.dropLast()) + [result.shape[1]])
        }
        let (m, k, n) = try Tensor.productDimensions(shape, transposed: transposeSelf, other.shape, transposed: transposeOther)
        let a = try reshaped([-1, shape[rank - 2], shape[rank - 1]])
        let b = try other.reshaped([-1, other.shape[other.rank - 2], other.shape[other.rank - 1]])
        let count = Swift.max(a.shape[0], b.shape[0])
        result = Tensor(uninitializedShape: batchShape + [m, n])
        let c = result.storage.pointer
        guard k > 0, m > 0, n > 0 else {
            c.update(repeating: 0, count: result.count)
            return result
        }
        // Many small products (attention's heads): whole matrices per thread, one BLAS call each.
        parallelChunks(count: count, costPerItem: m * n * k, minimumCostPerChunk: 1 << 20) { matrices in
            for index in matrices {
                let aMatrix = a.storage.pointer + (a.shape[0] == 1 ? 0 : index * a.shape[1] * a.shape[2])
                let bMatrix = b.storage.pointer + (b.shape[0] == 1 ? 0 : index * b.shape[1] * b.shape[2])
                BLAS.gemmOnThisThread(transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                                      a: aMatrix, lda: a.shape[2], b: bMatrix, ldb: b.shape[2], c: c + index * m * n, ldc: n)
            }
        }
        return result
    }

    /// `c = alpha · op(a) · op(b) + (accumulate ? c : 0)` through one `cblas_sgemm`.
    ///
    /// When `accumulate` is false `c` is resized to the product's shape, reusing its buffer
    /// when possible (so a layer can keep `c` between steps without allocating); when true
    /// `c` must already have that shape.
    /// - Throws: ``TensorError`` when a rank is not 2 or the dimensions do not fit.
    public static func matmul(
        _ a: Tensor, transposed transposeA: Bool, _ b: Tensor, transposed transposeB: Bool,
        into c: inout Tensor, alpha: Float = 1, accumulate: Bool = false
    ) throws {
        for operand in [a, b] where operand.rank != 2 {
            throw TensorError.invalidShape(operation: "matmul", shape: operand.shape, reason: "expected a rank-2 matrix")
        }
        let (m, k, n) = try productDimensions(a.shape, transposed: transposeA, b.shape, transposed: transposeB)
        if accumulate {
            guard c.shape == [m, n] else {
                throw TensorError.shapeMismatch(operation: "matmul(accumulate:)", expected: [m, n], found: c.shape)
            }
            c.makeUnique()
        } else {
            try c.resizeDiscardingContents(to: [m, n])
        }
        BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a.storage.pointer, lda: a.shape[1], b: b.storage.pointer, ldb: b.shape[1],
                  beta: accumulate ? 1 : 0, c: c.storage.pointer, ldc: n)
    }

    /// `m`, `k` and `n` of `op(A) · op(B)` for the matrices in the last two axes of shapes
    /// `a` and `b`, after checking that the inner dimensions agree.
    static func productDimensions(
        _ a: [Int], transposed transposeA: Bool, _ b: [Int], transposed transposeB: Bool
    ) throws -> (m: Int, k: Int, n: Int) {
        let (rows, columns) = (a[a.count - 2], a[a.count - 1])
        let (m, k) = transposeA ? (columns, rows) : (rows, columns)
        let (kB, n) = transposeB ? (b[b.count - 1], b[b.count - 2]) : (b[b.count - 2], b[b.count - 1])
        guard k == kB else {
            throw TensorError.shapeMismatch(
                operation: "matmul: inner dimensions of \(a)\(transposeA ? "ᵀ" : "") and \(b)\(transposeB ? "ᵀ" : "")",
                expected: [k, n], found: [kB, n])
        }
        return (m, k, n)
    }

    /// The transpose of a rank-2 matrix.
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` unless the tensor is rank 2.
    public func transposed() throws -> Tensor {
        guard rank == 2 else {
            throw TensorError.invalidShape(operation: "transposed", shape: shape, reason: "expected a rank-2 matrix")
        }
        let (rows, columns) = (shape[0], shape[1])
        let result = Tensor(uninitializedShape: [columns, rows])
        let x = storage.pointer
        let y = result.storage.pointer
        let block = 32
        for r0 in stride(from: 0, to: rows, by: block) {
            for c0 in stride(from: 0, to: columns, by: block) {
                for r in r0..<Swift.min(r0 + block, rows) {
                    for c in c0..<Swift.min(c0 + block, columns) { y[c * rows + r] = x[r * columns + c] }
                }
            }
        }
        return result
    }
}
