/// The transforms of one Winograd algorithm F(m×m, 3×3), applied to one tile, one lane of
/// channels at a time (``FloatLane``): the input transform `Bᵀ d B` (n×n pixels to n² points,
/// n = m + 2), the output transform `Aᵀ M A` (n² points to m×m pixels, plus the bias and
/// ReLU), and their adjoints for backward; and the filter transform's matrix `G` (n×3).
/// Pixels are `pixelStride` apart and rows `rowStride` apart; points are `pointStride` apart.
protocol WinogradTiles {
    /// m, the side of an output tile.
    static var outputSize: Int { get }
    /// n = m + 2, the side of an input tile.
    static var inputSize: Int { get }
    /// `G`, n×3.
    static var g: [[Float]] { get }

    static func inputTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int)
    static func outputTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, pointStride: Int, bias: UnsafePointer<Float>, rectify: Bool,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int)
    static func outputGradientTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int)
    /// Adds (not writes) the tile's input gradient to `target`.
    static func inputGradientTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, pointStride: Int,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int)
}

// The four transforms over all `count` channels of a tile: four at a time, then one at a time.
extension WinogradTiles {
    @inline(__always)
    static func inputTiles(
        count: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        let vectorEnd = count & ~3
        for k in stride(from: 0, to: vectorEnd, by: 4) {
            inputTile(SIMD4<Float>.self, k, source, rowStride: rowStride, pixelStride: pixelStride, into: target, pointStride: pointStride)
        }
        for k in vectorEnd..<count {
            inputTile(Float.self, k, source, rowStride: rowStride, pixelStride: pixelStride, into: target, pointStride: pointStride)
        }
    }

    @inline(__always)
    static func outputTiles(
        count: Int, _ source: UnsafePointer<Float>, pointStride: Int, bias: UnsafePointer<Float>, rectify: Bool,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
    ) {
        let vectorEnd = count & ~3
        for k in stride(from: 0, to: vectorEnd, by: 4) {
            outputTile(SIMD4<Float>.self, k, source, pointStride: pointStride, bias: bias, rectify: rectify, into: target,
                       rowStride: rowStride, pixelStride: pixelStride)
        }
        for k in vectorEnd..<count {
            outputTile(Float.self, k, source, pointStride: pointStride, bias: bias, rectify: rectify, into: target,
                       rowStride: rowStride, pixelStride: pixelStride)
        }
    }

    @inline(__always)
    static func outputGradientTiles(
        count: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        let vectorEnd = count & ~3
        for k in stride(from: 0, to: vectorEnd, by: 4) {
            outputGradientTile(SIMD4<Float>.self, k, source, rowStride: rowStride, pixelStride: pixelStride, into: target,
                               pointStride: pointStride)
        }
        for k in vectorEnd..<count {
            outputGradientTile(Float.self, k, source, rowStride: rowStride, pixelStride: pixelStride, into: target,
                               pointStride: pointStride)
        }
    }

    @inline(__always)
    static func inputGradientTiles(
        count: Int, _ source: UnsafePointer<Float>, pointStride: Int,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
    ) {
        let vectorEnd = count & ~3
        for k in stride(from: 0, to: vectorEnd, by: 4) {
            inputGradientTile(SIMD4<Float>.self, k, source, pointStride: pointStride, into: target, rowStride: rowStride,
                              pixelStride: pixelStride)
        }
        for k in vectorEnd..<count {
            inputGradientTile(Float.self, k, source, pointStride: pointStride, into: target, rowStride: rowStride,
                              pixelStride: pixelStride)
        }
    }
}

// MARK: F(2×2, 3×3)

/// F(2×2, 3×3): 4×4 input tiles, 16 points, 2.25 times fewer multiplications than direct.
/// Its transforms use only additions and halves, so it is as accurate as im2col in Float32.
enum WinogradF2x3: WinogradTiles {
    static var outputSize: Int { 2 }
    static var inputSize: Int { 4 }
    static let g: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// `Bᵀ x`.
    @inline(__always)
    static func bT<L: FloatLane>(_ x: (L, L, L, L)) -> (L, L, L, L) {
        (x.0 - x.2, x.1 + x.2, x.2 - x.1, x.1 - x.3)
    }

    /// `B x`, the adjoint of ``bT(_:)``.
    @inline(__always)
    static func b<L: FloatLane>(_ x: (L, L, L, L)) -> (L, L, L, L) {
        (x.0, x.1 - x.2 + x.3, x.1 + x.2 - x.0, -x.3)
    }

    /// `Aᵀ x`.
    @inline(__always)
    static func aT<L: FloatLane>(_ x: (L, L, L, L)) -> (L, L) {
        (x.0 + x.1 + x.2, x.1 - x.2 - x.3)
    }

    /// `A x`, the adjoint of ``aT(_:)``.
    @inline(__always)
    static func a<L: FloatLane>(_ x: (L, L)) -> (L, L, L, L) {
        (x.0, x.0 + x.1, x.0 - x.1, -x.1)
    }

    @inline(__always)
    static func inputTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        func column(_ s: Int) -> (L, L, L, L) {
            let pixel = source + (s &* pixelStride &+ k)
            return bT((L.load(pixel), L.load(pixel + rowStride), L.load(pixel + (2 &* rowStride)), L.load(pixel + (3 &* rowStride))))
        }
        let (x0, x1, x2, x3) = (column(0), column(1), column(2), column(3))
        let out = target + k
        store(bT((x0.0, x1.0, x2.0, x3.0)), out, firstPoint: 0, pointStride: pointStride)
        store(bT((x0.1, x1.1, x2.1, x3.1)), out, firstPoint: 4, pointStride: pointStride)
        store(bT((x0.2, x1.2, x2.2, x3.2)), out, firstPoint: 8, pointStride: pointStride)
        store(bT((x0.3, x1.3, x2.3, x3.3)), out, firstPoint: 12, pointStride: pointStride)
    }

    @inline(__always)
    static func outputTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, pointStride: Int, bias: UnsafePointer<Float>, rectify: Bool,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
    ) {
        func column(_ j: Int) -> (L, L) {
            let point = source + (j &* pointStride &+ k)
            return aT((L.load(point), L.load(point + (4 &* pointStride)), L.load(point + (8 &* pointStride)),
                       L.load(point + (12 &* pointStride))))
        }
        let (s0, s1, s2, s3) = (column(0), column(1), column(2), column(3))
        let rows = (aT((s0.0, s1.0, s2.0, s3.0)), aT((s0.1, s1.1, s2.1, s3.1)))
        let shift = L.load(bias + k)
        func put(_ z: L, _ row: Int, _ column: Int) {
            let value = z + shift
            (rectify ? value.rectified() : value).store(to: target + (row &* rowStride &+ column &* pixelStride &+ k))
        }
        put(rows.0.0, 0, 0); put(rows.0.1, 0, 1)
        put(rows.1.0, 1, 0); put(rows.1.1, 1, 1)
    }

    @inline(__always)
    static func outputGradientTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        let r0 = a((L.load(source + k), L.load(source + (rowStride &+ k))))
        let r1 = a((L.load(source + (pixelStride &+ k)), L.load(source + (rowStride &+ pixelStride &+ k))))
        let out = target + k
        store(a((r0.0, r1.0)), out, firstPoint: 0, pointStride: pointStride)
        store(a((r0.1, r1.1)), out, firstPoint: 4, pointStride: pointStride)
        store(a((r0.2, r1.2)), out, firstPoint: 8, pointStride: pointStride)
        store(a((r0.3, r1.3)), out, firstPoint: 12, pointStride: pointStride)
    }

    @inline(__always)
    static func inputGradientTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, pointStride: Int,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
    ) {
        func column(_ j: Int) -> (L, L, L, L) {
            let point = source + (j &* pointStride &+ k)
            return b((L.load(point), L.load(point + (4 &* pointStride)), L.load(point + (8 &* pointStride)),
                      L.load(point + (12 &* pointStride))))
        }
        let (q0, q1, q2, q3) = (column(0), column(1), column(2), column(3))
        add(b((q0.0, q1.0, q2.0, q3.0)), target + k, pixelStride: pixelStride)
        add(b((q0.1, q1.1, q2.1, q3.1)), target + (rowStride &+ k), pixelStride: pixelStride)
        add(b((q0.2, q1.2, q2.2, q3.2)), target + (2 &* rowStride &+ k), pixelStride: pixelStride)
        add(b((q0.3, q1.3, q2.3, q3.3)), target + (3 &* rowStride &+ k), pixelStride: pixelStride)
    }

    @inline(__always)
    private static func add<L: FloatLane>(_ x: (L, L, L, L), _ target: UnsafeMutablePointer<Float>, pixelStride: Int) {
        (L.load(target) + x.0).store(to: target)
        (L.load(target + pixelStride) + x.1).store(to: target + pixelStride)
        (L.load(target + (2 &* pixelStride)) + x.2).store(to: target + (2 &* pixelStride))
        (L.load(target + (3 &* pixelStride)) + x.3).store(to: target + (3 &* pixelStride))
    }

    @inline(__always)
    private static func store<L: FloatLane>(_ x: (L, L, L, L), _ target: UnsafeMutablePointer<Float>, firstPoint: Int, pointStride: Int) {
        x.0.store(to: target + (firstPoint &* pointStride))
        x.1.store(to: target + ((firstPoint &+ 1) &* pointStride))
        x.2.store(to: target + ((firstPoint &+ 2) &* pointStride))
        x.3.store(to: target + ((firstPoint &+ 3) &* pointStride))
    }
}

// MARK: F(4×4, 3×3)

/// F(4×4, 3×3): 6×6 input tiles, 36 points, 4 times fewer multiplications than direct, and
/// the transformed data of a tile per output pixel is 2.25 rather than 4 values. Its matrices
/// have entries up to 8 (and `G` sixths), so it rounds a little more than F(2×2) (Lavin & Gray,
/// section 5): about 2e-6 of im2col relative on MNIST-scale layers (the tests ask for 1e-5).
enum WinogradF4x3: WinogradTiles {
    typealias Six<L> = (L, L, L, L, L, L)
    typealias Four<L> = (L, L, L, L)

    static var outputSize: Int { 4 }
    static var inputSize: Int { 6 }
    static let g: [[Float]] = [
        [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
    ]

    /// `Bᵀ x`.
    @inline(__always)
    static func bT<L: FloatLane>(_ x: Six<L>) -> Six<L> {
        let (d12, s12, d31) = (x.1 - x.2, x.1 + x.2, x.3 - x.1)
        return (4 * x.0 - 5 * x.2 + x.4, x.4 + x.3 - 4 * s12, x.4 - x.3 + 4 * d12,
                x.4 - x.2 + 2 * d31, x.4 - x.2 - 2 * d31, 4 * x.1 - 5 * x.3 + x.5)
    }

    /// `B x`, the adjoint of ``bT(_:)``.
    @inline(__always)
    static func b<L: FloatLane>(_ v: Six<L>) -> Six<L> {
        (4 * v.0,
         4 * (v.2 - v.1 + v.5) + 2 * (v.4 - v.3),
         -5 * v.0 - 4 * (v.1 + v.2) - v.3 - v.4,
         v.1 - v.2 + 2 * (v.3 - v.4) - 5 * v.5,
         v.0 + v.1 + v.2 + v.3 + v.4,
         v.5)
    }

    /// `Aᵀ x`.
    @inline(__always)
    static func aT<L: FloatLane>(_ x: Six<L>) -> Four<L> {
        let (s12, d12, s34, d34) = (x.1 + x.2, x.1 - x.2, x.3 + x.4, x.3 - x.4)
        return (x.0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34, d12 + 8 * d34 + x.5)
    }

    /// `A y`, the adjoint of ``aT(_:)``.
    @inline(__always)
    static func a<L: FloatLane>(_ y: Four<L>) -> Six<L> {
        let (s02, d13) = (y.0 + y.2, y.1 + y.3)
        return (y.0, s02 + d13, s02 - d13, y.0 + 2 * y.1 + 4 * y.2 + 8 * y.3, y.0 - 2 * y.1 + 4 * y.2 - 8 * y.3, y.3)
    }

    @inline(__always)
    static func inputTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        func column(_ s: Int) -> Six<L> {
            let pixel = source + (s &* pixelStride &+ k)
            func at(_ row: Int) -> L { L.load(pixel + row &* rowStride) }
            return bT((at(0), at(1), at(2), at(3), at(4), at(5)))
        }
        let (x0, x1, x2, x3, x4, x5) = (column(0), column(1), column(2), column(3), column(4), column(5))
        let out = target + k
        store(bT((x0.0, x1.0, x2.0, x3.0, x4.0, x5.0)), out, firstPoint: 0, pointStride: pointStride)
        store(bT((x0.1, x1.1, x2.1, x3.1, x4.1, x5.1)), out, firstPoint: 6, pointStride: pointStride)
        store(bT((x0.2, x1.2, x2.2, x3.2, x4.2, x5.2)), out, firstPoint: 12, pointStride: pointStride)
        store(bT((x0.3, x1.3, x2.3, x3.3, x4.3, x5.3)), out, firstPoint: 18, pointStride: pointStride)
        store(bT((x0.4, x1.4, x2.4, x3.4, x4.4, x5.4)), out, firstPoint: 24, pointStride: pointStride)
        store(bT((x0.5, x1.5, x2.5, x3.5, x4.5, x5.5)), out, firstPoint: 30, pointStride: pointStride)
    }

    @inline(__always)
    static func outputTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, pointStride: Int, bias: UnsafePointer<Float>, rectify: Bool,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
    ) {
        func column(_ j: Int) -> Four<L> {
            let point = source + (j &* pointStride &+ k)
            func at(_ i: Int) -> L { L.load(point + (6 &* i) &* pointStride) }
            return aT((at(0), at(1), at(2), at(3), at(4), at(5)))
        }
        let (s0, s1, s2, s3, s4, s5) = (column(0), column(1), column(2), column(3), column(4), column(5))
        let shift = L.load(bias + k)
        func put(_ row: Int, _ y: Four<L>) {
            let base = target + (row &* rowStride &+ k)
            func put(_ z: L, _ column: Int) {
                let value = z + shift
                (rectify ? value.rectified() : value).store(to: base + column &* pixelStride)
            }
            put(y.0, 0); put(y.1, 1); put(y.2, 2); put(y.3, 3)
        }
        put(0, aT((s0.0, s1.0, s2.0, s3.0, s4.0, s5.0)))
        put(1, aT((s0.1, s1.1, s2.1, s3.1, s4.1, s5.1)))
        put(2, aT((s0.2, s1.2, s2.2, s3.2, s4.2, s5.2)))
        put(3, aT((s0.3, s1.3, s2.3, s3.3, s4.3, s5.3)))
    }

    @inline(__always)
    static func outputGradientTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, rowStride: Int, pixelStride: Int,
        into target: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        func column(_ c: Int) -> Six<L> {
            let pixel = source + (c &* pixelStride &+ k)
            func at(_ row: Int) -> L { L.load(pixel + row &* rowStride) }
            return a((at(0), at(1), at(2), at(3)))
        }
        let (r0, r1, r2, r3) = (column(0), column(1), column(2), column(3))
        let out = target + k
        store(a((r0.0, r1.0, r2.0, r3.0)), out, firstPoint: 0, pointStride: pointStride)
        store(a((r0.1, r1.1, r2.1, r3.1)), out, firstPoint: 6, pointStride: pointStride)
        store(a((r0.2, r1.2, r2.2, r3.2)), out, firstPoint: 12, pointStride: pointStride)
        store(a((r0.3, r1.3, r2.3, r3.3)), out, firstPoint: 18, pointStride: pointStride)
        store(a((r0.4, r1.4, r2.4, r3.4)), out, firstPoint: 24, pointStride: pointStride)
        store(a((r0.5, r1.5, r2.5, r3.5)), out, firstPoint: 30, pointStride: pointStride)
    }

    @inline(__always)
    static func inputGradientTile<L: FloatLane>(
        _ lane: L.Type, _ k: Int, _ source: UnsafePointer<Float>, pointStride: Int,
        into target: UnsafeMutablePointer<Float>, rowStride: Int, pixelStride: Int
    ) {
        func column(_ j: Int) -> Six<L> {
            let point = source + (j &* pointStride &+ k)
            func at(_ i: Int) -> L { L.load(point + (6 &* i) &* pointStride) }
            return b((at(0), at(1), at(2), at(3), at(4), at(5)))
        }
        let (q0, q1, q2, q3, q4, q5) = (column(0), column(1), column(2), column(3), column(4), column(5))
        add(b((q0.0, q1.0, q2.0, q3.0, q4.0, q5.0)), target + k, pixelStride: pixelStride)
        add(b((q0.1, q1.1, q2.1, q3.1, q4.1, q5.1)), target + (rowStride &+ k), pixelStride: pixelStride)
        add(b((q0.2, q1.2, q2.2, q3.2, q4.2, q5.2)), target + (2 &* rowStride &+ k), pixelStride: pixelStride)
        add(b((q0.3, q1.3, q2.3, q3.3, q4.3, q5.3)), target + (3 &* rowStride &+ k), pixelStride: pixelStride)
        add(b((q0.4, q1.4, q2.4, q3.4, q4.4, q5.4)), target + (4 &* rowStride &+ k), pixelStride: pixelStride)
        add(b((q0.5, q1.5, q2.5, q3.5, q4.5, q5.5)), target + (5 &* rowStride &+ k), pixelStride: pixelStride)
    }

    @inline(__always)
    private static func add<L: FloatLane>(_ x: Six<L>, _ target: UnsafeMutablePointer<Float>, pixelStride: Int) {
        func add(_ value: L, _ pixel: Int) {
            let at = target + pixel &* pixelStride
            (L.load(at) + value).store(to: at)
        }
        add(x.0, 0); add(x.1, 1); add(x.2, 2); add(x.3, 3); add(x.4, 4); add(x.5, 5)
    }

    @inline(__always)
    private static func store<L: FloatLane>(_ x: Six<L>, _ target: UnsafeMutablePointer<Float>, firstPoint: Int, pointStride: Int) {
        func put(_ value: L, _ offset: Int) { value.store(to: target + (firstPoint &+ offset) &* pointStride) }
        put(x.0, 0); put(x.1, 1); put(x.2, 2); put(x.3, 3); put(x.4, 4); put(x.5, 5)
    }
}
