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
    ///
    /// Large products are split into blocks of C's rows (or columns, when C has fewer rows
    /// than columns), one single-threaded BLAS call per block on ``ComputeThreads/count``
    /// threads. On the convolutions' tall and skinny shapes this is 1.1–2× faster than
    /// OpenBLAS's own threading, which sometimes runs slower on two threads than on one;
    /// on square matrices it is as fast (Benchmarks: `sgemm`). OpenBLAS is safe to call from
    /// several threads at once since 0.3.7 (earlier versions raced: OpenMathLib/OpenBLAS#2126);
    /// Debian 12 ships 0.3.21.
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
        _ = singleThreadedBLAS
        // Blocks of at least 2²¹ multiply-adds: below that, starting a thread costs more than it saves.
        let minimumWorkPerBlock = 1 << 21
        if m >= n {
            parallelChunks(count: m, costPerItem: n * k, minimumCostPerChunk: minimumWorkPerBlock) { rows in
                let rowsOfA = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
                gemmOnThisThread(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                      a: rowsOfA, lda: lda, b: b, ldb: ldb, beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc)
            }
        } else {
            parallelChunks(count: n, costPerItem: m * k, minimumCostPerChunk: minimumWorkPerBlock) { columns in
                let columnsOfB = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
                gemmOnThisThread(transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, alpha: alpha,
                      a: a, lda: lda, b: columnsOfB, ldb: ldb, beta: beta, c: c + columns.lowerBound, ldc: ldc)
            }
        }
    }

    /// Makes OpenBLAS compute every call on the calling thread (``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
    /// does the threading); evaluated once, before the first product.
    private static let singleThreadedBLAS: Void = {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
    }()

    /// One BLAS call on the calling thread, for kernels that split the work themselves (a
    /// chunk of images per thread); same operands as ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``, `k > 0`.
    static func gemmOnThisThread(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = singleThreadedBLAS
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
