/// The loops over n-dimensional boxes of strided memory, written once: copying a box
/// (permutation, slicing, concatenation, broadcasting a tensor to a larger shape) and
/// combining two broadcast operands. Each walks every axis but the last with an odometer
/// and leaves the last, after merging the axes that are contiguous in every operand, to a
/// tight (vectorisable) inner loop.

/// Strides, in elements, of a row-major tensor of `shape`.
@usableFromInline
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var stride = 1
    for axis in shape.indices.reversed() {
        strides[axis] = stride
        stride *= shape[axis]
    }
    return strides
}

/// `shape` with axes of length 1 dropped and neighbouring axes merged where every operand's
/// strides allow it (`outer stride == inner stride · inner length`), so that the odometer
/// turns as rarely as possible. Returns at least one axis.
@usableFromInline
func mergedAxes(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var mergedShape: [Int] = []
    var merged = [[Int]](repeating: [], count: strides.count)
    for axis in shape.indices where shape[axis] != 1 {
        if let last = mergedShape.last,
           strides.indices.allSatisfy({ strides[$0][axis] * shape[axis] == merged[$0].last! }) {
            mergedShape[mergedShape.count - 1] = last * shape[axis]
            for operand in strides.indices { merged[operand][merged[operand].count - 1] = strides[operand][axis] }
        } else {
            mergedShape.append(shape[axis])
            for operand in strides.indices { merged[operand].append(strides[operand][axis]) }
        }
    }
    if mergedShape.isEmpty { return ([1], strides.map { _ in [1] }) }
    return (mergedShape, merged)
}

/// Calls `body(offsets)` for every position of all axes of `shape` but the last, with each
/// operand's element offset for that position (starting from `origins`).
@inlinable @inline(__always)
func forEachRow(
    shape: [Int], strides: [[Int]], origins: [Int], _ body: (_ offsets: [Int]) -> Void
) {
    let outerAxes = shape.count - 1
    if shape.contains(0) { return }
    var index = [Int](repeating: 0, count: outerAxes)
    var offsets = origins
    while true {
        body(offsets)
        var axis = outerAxes - 1
        while axis >= 0 {
            index[axis] += 1
            for operand in offsets.indices { offsets[operand] += strides[operand][axis] }
            if index[axis] < shape[axis] { break }
            for operand in offsets.indices { offsets[operand] -= strides[operand][axis] * shape[axis] }
            index[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}

/// Copies the box `shape` from `source` (element strides `sourceStrides`, from offset
/// `sourceOrigin`) to `destination` (its strides, from its origin). The two must not overlap.
func copyBox(
    shape: [Int], from source: UnsafePointer<Float>, sourceStrides: [Int], sourceOrigin: Int = 0,
    to destination: UnsafeMutablePointer<Float>, destinationStrides: [Int], destinationOrigin: Int = 0
) {
    let (shape, strides) = mergedAxes(shape, [sourceStrides, destinationStrides])
    let length = shape.last!
    let (sourceStep, destinationStep) = (strides[0].last!, strides[1].last!)
    forEachRow(shape: shape, strides: strides, origins: [sourceOrigin, destinationOrigin]) { offsets in
        let (from, to) = (source + offsets[0], destination + offsets[1])
        if sourceStep == 1 && destinationStep == 1 {
            to.update(from: from, count: length)
        } else {
            for i in 0..<length { to[i * destinationStep] = from[i * sourceStep] }
        }
    }
}

/// `output[p] = combine(lhs[p], rhs[p])` over the box `shape`, each operand read through its
/// own strides (0 along an axis it is broadcast over); `output` is row-major and contiguous.
@inlinable @inline(__always)
func combineBox(
    shape: [Int], _ lhs: UnsafePointer<Float>, lhsStrides: [Int], _ rhs: UnsafePointer<Float>, rhsStrides: [Int],
    into output: UnsafeMutablePointer<Float>, _ combine: (Float, Float) -> Float
) {
    let (shape, strides) = mergedAxes(shape, [lhsStrides, rhsStrides, rowMajorStrides(shape)])
    let length = shape.last!
    let (lhsStep, rhsStep) = (strides[0].last!, strides[1].last!)
    forEachRow(shape: shape, strides: strides, origins: [0, 0, 0]) { offsets in
        let (a, b, c) = (lhs + offsets[0], rhs + offsets[1], output + offsets[2])
        switch (lhsStep, rhsStep) {
        case (1, 1): zipScalars(a, b, c, count: length, combine)
        case (1, 0):
            let scalar = b[0]
            for i in 0..<length { c[i] = combine(a[i], scalar) }
        case (0, 1):
            let scalar = a[0]
            for i in 0..<length { c[i] = combine(scalar, b[i]) }
        default:
            for i in 0..<length { c[i] = combine(a[i * lhsStep], b[i * rhsStep]) }
        }
    }
}
