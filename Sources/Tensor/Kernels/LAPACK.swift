#if !canImport(Accelerate)
internal import CBLAS
#endif

/// The LAPACK routines the library uses (through LAPACKE), in one place.
enum LAPACK {
    /// Replaces the row-major `rows x columns` matrix `a` (rows >= columns) by the `Q` of its
    /// QR factorisation, `rows x columns` with orthonormal columns, and returns the diagonal
    /// of `R` (LAPACK's `sgeqrf` then `sorgqr`).
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` when LAPACK reports an error.
    static func qr(_ a: UnsafeMutablePointer<Float>, rows: Int, columns: Int) throws -> [Float] {
        precondition(rows >= columns && columns > 0)
        #if canImport(Accelerate)
        throw TensorError.invalidArgument(
            name: "initializer", value: "orthogonal", reason: "the QR factorisation needs LAPACKE, which this build lacks")
        #else
        var tau = [Float](repeating: 0, count: columns)
        let (m, n) = (Int32(rows), Int32(columns))
        let factored = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, n, a, n, &tau)
        guard factored == 0 else {
            throw TensorError.invalidArgument(name: "matrix", value: "\(rows)x\(columns)", reason: "sgeqrf failed with info \(factored)")
        }
        let diagonal = (0..<columns).map { a[$0 * columns + $0] }
        let formed = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, n, n, a, n, &tau)
        guard formed == 0 else {
            throw TensorError.invalidArgument(name: "matrix", value: "\(rows)x\(columns)", reason: "sorgqr failed with info \(formed)")
        }
        return diagonal
        #endif
    }
}
