/// What the vectorised kernels compute on: one `Float`, or four adjacent ones in a
/// `SIMD4<Float>` (the width of SSE, which this package's Swift code is compiled for). A loop
/// written once for a generic lane runs four at a time over the body of an array and one at a
/// time over its tail.
protocol FloatLane {
    /// The scalars in one lane.
    static var width: Int { get }
    /// The lane's scalars read from `pointer` (unaligned).
    static func load(_ pointer: UnsafePointer<Float>) -> Self
    /// Writes the lane's scalars to `pointer` (unaligned).
    func store(to pointer: UnsafeMutablePointer<Float>)
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static prefix func - (operand: Self) -> Self
    static func * (lhs: Float, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    /// `max(self, 0)`, lane by lane (NaN stays NaN, so that a diverging run is noticed).
    func rectified() -> Self
    /// 0 where `output <= 0`, else `self`, lane by lane: ReLU's backward.
    func masked(where output: Self) -> Self
}

/// Runs `body` over `0..<count`: four scalars at a time (`SIMD4<Float>`), then one at a time.
@inline(__always)
func forEachLane(count: Int, _ body: (any FloatLane.Type, Range<Int>) -> Void) {
    let vectorEnd = count & ~3
    if vectorEnd > 0 { body(SIMD4<Float>.self, 0..<vectorEnd) }
    if vectorEnd < count { body(Float.self, vectorEnd..<count) }
}

extension Float: FloatLane {
    static var width: Int { 1 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Float { pointer.pointee }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) { pointer.pointee = self }
    @inline(__always) func rectified() -> Float { self <= 0 ? 0 : self }
    @inline(__always) func masked(where output: Float) -> Float { output <= 0 ? 0 : self }
}

extension SIMD4: FloatLane where Scalar == Float {
    static var width: Int { 4 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self)
    }
    @inline(__always) func rectified() -> Self { replacing(with: 0, where: self .<= 0) }
    @inline(__always) func masked(where output: Self) -> Self { replacing(with: 0, where: output .<= 0) }
}
