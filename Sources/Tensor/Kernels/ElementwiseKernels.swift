/// The element-wise loops, written once. `transform` is inlined at each call site, so
/// each use compiles to its own vectorised loop.

/// `output[i] = transform(input[i])`; `output` may be `input`.
@inlinable @inline(__always)
func mapScalars(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int,
    _ transform: (Float) -> Float
) {
    for index in 0..<count { output[index] = transform(input[index]) }
}

/// `output[i] = combine(lhs[i], rhs[i])`; `output` may be `lhs` or `rhs`.
@inlinable @inline(__always)
func zipScalars(
    _ lhs: UnsafePointer<Float>, _ rhs: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
    count: Int, _ combine: (Float, Float) -> Float
) {
    for index in 0..<count { output[index] = combine(lhs[index], rhs[index]) }
}

/// `output[r, c] = combine(matrix[r, c], row[c])` for a row-major `rows x columns` matrix:
/// a vector broadcast over every row (a bias add). `output` may be `matrix`.
@inlinable @inline(__always)
func broadcastRows(
    _ matrix: UnsafePointer<Float>, _ row: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
    rows: Int, columns: Int, _ combine: (Float, Float) -> Float
) {
    for r in 0..<rows {
        zipScalars(matrix + r * columns, row, output + r * columns, count: columns, combine)
    }
}

/// `output[c] = combine(output[c], matrix[r, c])` for every row r of a row-major
/// `rows x columns` matrix, in memory order: a reduction over rows (a bias gradient, a
/// sum along an axis). `output` must already hold the initial values.
@inlinable @inline(__always)
func accumulateRows(
    _ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into output: UnsafeMutablePointer<Float>,
    _ combine: (Float, Float) -> Float
) {
    for r in 0..<rows {
        zipScalars(output, matrix + r * columns, output, count: columns, combine)
    }
}
