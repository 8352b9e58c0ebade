/// `exp`, the logistic sigmoid and `tanh` without calls into libm, for kernels whose time
/// goes to these functions (a recurrent cell calls five per unit and step; glibc's `tanhf`
/// was half of an LSTM's training step). They are branch-free scalar code (selects, bit
/// casts), so that the compiler vectorises the loops that call them.
///
/// - `exp`: Cephes's `expf` (range reduction by `ln 2`, a degree-5 polynomial), relative
///   error below 1e-7 on `[-87, 88]`; 0 below `−126·ln 2` and the input clamped at `127·ln 2`.
/// - `sigmoid`: `1 / (1 + exp(−x))`, error below 1e-7.
/// - `erf`: Eigen's rational approximation, error below 5e-7.
/// - `tanh`: Eigen's rational approximation (odd degree 13 over even degree 6, as
///   TensorFlow's CPU kernels use), clamped at ±7.905; error below 4e-7, exact `x` below 4e-4.
///
/// NaN stays NaN (the clamps would make it a bound), so that a diverging run is noticed.
@usableFromInline
enum VectorMath {
    @inlinable @inline(__always)
    static func exp(_ x: Float) -> Float {
        // Within −126·ln 2 and 127·ln 2, so that 2ⁿ stays a normal number.
        let clamped = Swift.min(Swift.max(x, -87.33654475), 88.02969193)
        // n = round(x / ln 2), by adding and removing 1.5·2²³ (whose low bits then hold n).
        let magic: Float = 12_582_912
        let shifted = clamped * 1.44269504088896341 + magic
        let n = shifted - magic
        let r = clamped - n * 0.693359375 - n * -2.12194440e-4  // x − n·ln 2 in two parts, |r| ≤ ln 2 / 2
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let expR = p * r * r + r + 1
        let twoToN = Float(bitPattern: (shifted.bitPattern &- magic.bitPattern &+ 127) &<< 23)
        // Below −126·ln 2 the result is 0 (as a masked score's −1e9 needs), not the smallest normal.
        return x.isNaN ? x : x < -87.33654475 ? 0 : expR * twoToN
    }

    @inlinable @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    @inlinable @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -7.90531110763549805), 7.90531110763549805)
        let x2 = clamped * clamped
        var p: Float = -2.76076847742355e-16
        p = p * x2 + 2.00018790482477e-13
        p = p * x2 + -8.60467152213735e-11
        p = p * x2 + 5.12229709037114e-08
        p = p * x2 + 1.48572235717979e-05
        p = p * x2 + 6.37261928875436e-04
        p = p * x2 + 4.89352455891786e-03
        p = p * clamped
        var q: Float = 1.19825839466702e-06
        q = q * x2 + 1.18534705686654e-04
        q = q * x2 + 2.26843463243900e-03
        q = q * x2 + 4.89352518554385e-03
        // |x| < 4e-4 (and NaN, for which the comparison fails) gives x itself.
        return !(x.magnitude >= 0.0004) ? x : p / q
    }

    /// The error function by Eigen's rational approximation (odd degree 13 over even degree
    /// 8, clamped at ±4), error below 5e-7: GELU's.
    @inlinable @inline(__always)
    static func erf(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -4), 4)
        let x2 = clamped * clamped
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 + -2.10102402082508e-06
        p = p * x2 + -5.69250639462346e-05
        p = p * x2 + -7.34990630326855e-04
        p = p * x2 + -2.95459980854025e-03
        p = p * x2 + -1.60960333262415e-02
        p = p * clamped
        var q: Float = -1.45660718464996e-05
        q = q * x2 + -2.13374055278905e-04
        q = q * x2 + -1.68282697438203e-03
        q = q * x2 + -7.37332916720468e-03
        q = q * x2 + -1.42647390514189e-02
        return x.isNaN ? x : p / q
    }
}

/// The vector functions on tensors, for tests and for layers that want the same numbers as
/// the recurrent kernels.
extension Tensor {
    /// `tanh` of every element by ``VectorMath``'s approximation (error below 4e-7).
    public func fastTanh() -> Tensor { map(VectorMath.tanh) }
    /// The logistic sigmoid of every element by ``VectorMath``'s `exp` (error below 1e-7).
    public func fastSigmoid() -> Tensor { map(VectorMath.sigmoid) }
    /// `exp` of every element by ``VectorMath``'s approximation (relative error below 1e-7).
    public func fastExp() -> Tensor { map(VectorMath.exp) }
    /// `erf` of every element by ``VectorMath``'s approximation (error below 5e-7).
    public func fastErf() -> Tensor { map(VectorMath.erf) }
}

extension VectorMath {
    /// `x[i] = sigmoid(x[i])` for `i < count`: one pointer, so the loop vectorises.
    @inline(__always)
    static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { x[index] = sigmoid(x[index]) }
    }

    /// `x[i] = tanh(x[i])` for `i < count`.
    @inline(__always)
    static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { x[index] = tanh(x[index]) }
    }
}
