#if canImport(Accelerate)
internal import Accelerate
#else
internal import CBLAS
#endif

/// The BLAS routines the library uses, in one place. Every call into CBLAS goes
/// through here, so that swapping the BLAS (OpenBLAS, Accelerate) touches one file.
@usableFromInline
enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, where op(A) is
    /// `m x k`, op(B) is `k x n` and C is `m x n`; `lda`, `ldb`, `ldc` are row strides.
    @usableFromInline
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // BLAS leaves C untouched for k == 0 only when beta == 1; make the empty sum explicit.
            for row in 0..<m { scale(c + row * ldc, count: n, by: beta) }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `x *= alpha` (and `x = 0` when alpha is 0, whatever x held).
    @usableFromInline
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by alpha: Float) {
        if alpha == 0 {
            x.update(repeating: 0, count: count)
        } else if alpha != 1 {
            for index in 0..<count { x[index] *= alpha }
        }
    }
}
