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
}

extension Float: FloatLane {
    static var width: Int { 1 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Float { pointer.pointee }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) { pointer.pointee = self }
}

extension SIMD4: FloatLane where Scalar == Float {
    static var width: Int { 4 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self)
    }
}
