/// `exp`, the logistic sigmoid and `tanh` four lanes at a time, for kernels whose time goes to
/// these functions (a recurrent cell calls five per unit and step; glibc's scalar `tanhf`
/// was half of an LSTM's training step).
///
/// - `exp`: Cephes's `expf` (range reduction by `ln 2`, a degree-5 polynomial), relative
///   error below 1e-7 on `[-87, 88]`; the input is clamped to `[−126, 127]·ln 2`.
/// - `sigmoid`: `1 / (1 + exp(−x))`, error below 1e-7.
/// - `tanh`: Eigen's rational approximation (odd degree 13 over even degree 6, as
///   TensorFlow's CPU kernels use), clamped at ±7.905; error below 4e-7, exact `x` below 4e-4.
///
/// Only SSE2 operations: rounding is done with the 1.5·2²³ trick, not `floor`, which would
/// need SSE4.1 and fall back to a call per lane.
enum VectorMath {
    typealias Lanes = SIMD4<Float>

    @inline(__always)
    static func exp(_ x: Lanes) -> Lanes {
        // Within ±126·ln 2 and 127·ln 2, so that 2ⁿ stays a normal number.
        let clamped = clamp(x, -87.33654475, 88.02969193)
        // n = round(x / ln 2), by adding and removing 1.5·2²³ (whose bits then hold n).
        let magic = Lanes(repeating: 12_582_912)
        let shifted = clamped * 1.44269504088896341 + magic
        let n = shifted - magic
        let r = clamped - n * 0.693359375 - n * -2.12194440e-4  // x − n·ln 2 in two parts, |r| ≤ ln 2 / 2
        var p = Lanes(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let expR = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD4<Int32>.self) &- unsafeBitCast(magic, to: SIMD4<Int32>.self)
        let twoToN = unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
        // NaN stays NaN (the clamp would make it a bound), so that a diverging run is noticed.
        return (expR * twoToN).replacing(with: x, where: x .!= x)
    }

    @inline(__always)
    static func sigmoid(_ x: Lanes) -> Lanes { 1 / (1 + exp(-x)) }

    @inline(__always)
    static func tanh(_ x: Lanes) -> Lanes {
        let clamped = clamp(x, -7.90531110763549805, 7.90531110763549805)
        let x2 = clamped * clamped
        var p = Lanes(repeating: -2.76076847742355e-16)
        p = p * x2 + 2.00018790482477e-13
        p = p * x2 + -8.60467152213735e-11
        p = p * x2 + 5.12229709037114e-08
        p = p * x2 + 1.48572235717979e-05
        p = p * x2 + 6.37261928875436e-04
        p = p * x2 + 4.89352455891786e-03
        p = p * clamped
        var q = Lanes(repeating: 1.19825839466702e-06)
        q = q * x2 + 1.18534705686654e-04
        q = q * x2 + 2.26843463243900e-03
        q = q * x2 + 4.89352518554385e-03
        return (p / q).replacing(with: x, where: abs(x) .< 0.0004 .| x .!= x)
    }

    /// `x` clamped to `[lower, upper]` by two selects (`SIMD.clamped` is a call per use here).
    @inline(__always)
    private static func clamp(_ x: Lanes, _ lower: Float, _ upper: Float) -> Lanes {
        x.replacing(with: lower, where: x .< lower).replacing(with: upper, where: x .> upper)
    }

    @inline(__always)
    private static func abs(_ x: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(x, to: SIMD4<UInt32>.self) & 0x7FFF_FFFF, to: Lanes.self)
    }

    /// Four lanes from `pointer`, of which the first `count` (1...4) are read and the others 0.
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, count: Int) -> Lanes {
        if count >= 4 { return UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self) }
        var lanes = Lanes()
        for lane in 0..<count { lanes[lane] = pointer[lane] }
        return lanes
    }

    /// Writes the first `count` (1...4) lanes of `lanes` to `pointer`.
    @inline(__always)
    static func store(_ lanes: Lanes, to pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 4 { return UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: Lanes.self) }
        for lane in 0..<count { pointer[lane] = lanes[lane] }
    }
}

/// The vector functions on tensors, for tests and for layers that want the same numbers as
/// the recurrent kernels.
extension Tensor {
    /// `tanh` of every element by ``VectorMath``'s approximation (error below 4e-7).
    public func fastTanh() -> Tensor { vectorMap(VectorMath.tanh) }
    /// The logistic sigmoid of every element by ``VectorMath``'s `exp` (error below 1e-7).
    public func fastSigmoid() -> Tensor { vectorMap(VectorMath.sigmoid) }
    /// `exp` of every element by ``VectorMath``'s approximation (relative error below 1e-7).
    public func fastExp() -> Tensor { vectorMap(VectorMath.exp) }

    private func vectorMap(_ function: (SIMD4<Float>) -> SIMD4<Float>) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let (x, y) = (storage.pointer, result.storage.pointer)
        for start in stride(from: 0, to: count, by: 4) {
            let lanes = Swift.min(4, count - start)
            VectorMath.store(function(VectorMath.load(x + start, count: lanes)), to: y + start, count: lanes)
        }
        return result
    }
}
