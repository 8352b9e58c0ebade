/// Sums along a row in eight running sums (two `SIMD4` lanes), added together at the end: the
/// compiler keeps them in vector registers. A loop with one running sum is a chain of
/// dependent scalar additions (floating-point addition is not reassociated), several times
/// slower on the short rows of normalisation and attention. The order is fixed, so a result
/// repeats exactly.

/// `Σ values[i]`.
@inline(__always)
func rowSum(_ values: UnsafePointer<Float>, count: Int) -> Float {
    var (low, high) = (SIMD4<Float>(), SIMD4<Float>())
    var index = 0
    while index + 8 <= count {
        low += SIMD4(values[index], values[index + 1], values[index + 2], values[index + 3])
        high += SIMD4(values[index + 4], values[index + 5], values[index + 6], values[index + 7])
        index += 8
    }
    var sum = (low + high).sum()
    while index < count {
        sum += values[index]
        index += 1
    }
    return sum
}

/// `Σ a[i] · b[i]`.
@inline(__always)
func rowDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var (low, high) = (SIMD4<Float>(), SIMD4<Float>())
    var index = 0
    while index + 8 <= count {
        low += SIMD4(a[index], a[index + 1], a[index + 2], a[index + 3])
            * SIMD4(b[index], b[index + 1], b[index + 2], b[index + 3])
        high += SIMD4(a[index + 4], a[index + 5], a[index + 6], a[index + 7])
            * SIMD4(b[index + 4], b[index + 5], b[index + 6], b[index + 7])
        index += 8
    }
    var sum = (low + high).sum()
    while index < count {
        sum += a[index] * b[index]
        index += 1
    }
    return sum
}

/// `Σ (values[i] − center)²`.
@inline(__always)
func rowSquaredDeviations(_ values: UnsafePointer<Float>, from center: Float, count: Int) -> Float {
    var (low, high) = (SIMD4<Float>(), SIMD4<Float>())
    let middle = SIMD4<Float>(repeating: center)
    var index = 0
    while index + 8 <= count {
        let a = SIMD4(values[index], values[index + 1], values[index + 2], values[index + 3]) - middle
        let b = SIMD4(values[index + 4], values[index + 5], values[index + 6], values[index + 7]) - middle
        low += a * a
        high += b * b
        index += 8
    }
    var sum = (low + high).sum()
    while index < count {
        let deviation = values[index] - center
        sum += deviation * deviation
        index += 1
    }
    return sum
}
