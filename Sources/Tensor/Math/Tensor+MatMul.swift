extension Tensor {
    /// The matrix product `op(self) · op(other)` through one `cblas_sgemm`, where `op`
    /// transposes its operand when the matching flag is set.
    ///
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` unless both are rank 2,
    ///   ``TensorError/shapeMismatch(operation:expected:found:)`` when the inner dimensions differ.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        var result = Tensor(uninitializedShape: [])
        try Tensor.matmul(self, transposed: transposeSelf, other, transposed: transposeOther, into: &result)
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
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kB, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kB else {
            throw TensorError.shapeMismatch(
                operation: "matmul: inner dimensions of \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "")",
                expected: [k, n], found: [kB, n])
        }
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
