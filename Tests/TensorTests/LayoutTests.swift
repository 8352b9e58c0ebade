import Foundation
import Testing
import Tensor

/// The element of a row-major tensor of `shape` at a multi-index, read through `scalars`.
private func element(_ scalars: [Float], _ shape: [Int], _ index: [Int]) -> Float {
    scalars[index.indices.reduce(0) { $0 * shape[$1] + index[$1] }]
}

/// Every multi-index of `shape`, in row-major order.
private func indices(of shape: [Int]) -> [[Int]] {
    shape.reduce([[]]) { partial, length in partial.flatMap { prefix in (0..<length).map { prefix + [$0] } } }
}

/// Broadcasting, permuting, slicing, joining and batched products, each against a loop over
/// multi-indices that follows the definition.
@Suite("Tensor rearrangements and broadcasting against index loops")
struct LayoutTests {
    @Test("broadcasting combines each output position with the operands' aligned positions",
          arguments: [([2, 3, 4], [3, 1]), ([1, 4], [3, 1]), ([5], [2, 1, 5]), ([2, 1, 3], [2, 4, 1]), ([], [2, 2])])
    func broadcasting(_ shapes: ([Int], [Int])) throws {
        let (a, b) = (randomTensor(shapes.0, seed: 1), randomTensor(shapes.1, seed: 2))
        let result = try Tensor.broadcasting(a, b, operation: "test") { $0 * 10 + $1 }
        let rank = max(a.rank, b.rank)
        for index in indices(of: result.shape) {
            func aligned(_ shape: [Int]) -> [Int] {
                shape.indices.map { shape[$0] == 1 ? 0 : index[rank - shape.count + $0] }
            }
            let expected = element(a.scalars, a.shape, aligned(a.shape)) * 10 + element(b.scalars, b.shape, aligned(b.shape))
            #expect(element(result.scalars, result.shape, index) == expected, "at \(index)")
        }
        #expect(try a.broadcast(to: result.shape).shape == result.shape)
        #expect(throws: TensorError.self) { try Tensor.broadcasting(Tensor.ones([3]), Tensor.ones([4])) { $0 + $1 } }
    }

    @Test("sum(toShape:) is the adjoint of broadcast(to:)", arguments: [[3, 1], [4], [1, 1], []])
    func sumToShape(_ shape: [Int]) throws {
        let (small, large) = (randomTensor(shape, seed: 3), randomTensor([2, 3, 4].suffix(max(shape.count, 2)), seed: 4))
        let target = try Tensor.broadcastShape(shape, large.shape)
        let big = randomTensor(target, seed: 5)
        // ⟨broadcast(s), B⟩ = ⟨s, sum(B)⟩ for every s and B.
        let left = zip(try small.broadcast(to: target).scalars, big.scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let right = zip(small.scalars, try big.sum(toShape: shape).scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        #expect(abs(left - right) < 1e-4)
        #expect(try big.sum(toShape: shape).shape == shape)
    }

    @Test("permuted moves axis axes[i] to position i")
    func permuted() throws {
        let x = randomTensor([2, 3, 4, 5], seed: 6)
        let axes = [2, 0, 3, 1]
        let y = try x.permuted(axes)
        #expect(y.shape == [4, 2, 5, 3])
        for index in indices(of: y.shape) {
            var source = [Int](repeating: 0, count: 4)
            for (position, axis) in axes.enumerated() { source[axis] = index[position] }
            #expect(element(y.scalars, y.shape, index) == element(x.scalars, x.shape, source))
        }
        #expect(try x.transposedLastAxes().shape == [2, 3, 5, 4])
        #expect(throws: TensorError.self) { try x.permuted([0, 1, 1, 2]) }
    }

    @Test("reversed(alongAxis:) flips one axis and leaves the others", arguments: [0, 1, 2, -1])
    func reversed(axis: Int) throws {
        let x = randomTensor([2, 3, 4], seed: 7)
        let y = try x.reversed(alongAxis: axis)
        let flipped = axis < 0 ? axis + 3 : axis
        #expect(y.shape == x.shape)
        for index in indices(of: x.shape) {
            var source = index
            source[flipped] = x.shape[flipped] - 1 - index[flipped]
            #expect(element(y.scalars, y.shape, index) == element(x.scalars, x.shape, source))
        }
        #expect(try y.reversed(alongAxis: axis).scalars == x.scalars)
        #expect(throws: TensorError.self) { try x.reversed(alongAxis: 3) }
    }

    @Test("slice cuts a box, write puts it back, concatenate and split are inverses")
    func slicing() throws {
        let x = randomTensor([4, 5, 3], seed: 7)
        let box = try x.slice([1..<3, 2..<5])
        #expect(box.shape == [2, 3, 3])
        for index in indices(of: box.shape) {
            #expect(element(box.scalars, box.shape, index) == element(x.scalars, x.shape, [index[0] + 1, index[1] + 2, index[2]]))
        }
        var canvas = try Tensor.zeros(x.shape)
        try canvas.write(box, at: [1, 2])
        #expect(try canvas.slice([1..<3, 2..<5]) == box)
        #expect(canvas.sum() == box.sum())
        #expect(throws: TensorError.self) { try x.slice([0..<5]) }

        let pieces = try x.split(sizes: [1, 3, 1], alongAxis: 1)
        #expect(pieces.map(\.shape) == [[4, 1, 3], [4, 3, 3], [4, 1, 3]])
        #expect(try Tensor.concatenate(pieces, alongAxis: 1) == x)
        #expect(try pieces[1] == x.slice(alongAxis: 1, 1..<4))
        let stacked = try Tensor.stack([box, box * 2], alongAxis: 1)
        #expect(stacked.shape == [2, 2, 3, 3])
        #expect(try stacked.slice([0..<2, 1..<2]).reshaped(box.shape) == box * 2)
        #expect(throws: TensorError.self) { try Tensor.concatenate([x, Tensor.ones([4, 2, 2])], alongAxis: 1) }
    }

    @Test("a batched product is the product of each pair of matrices",
          arguments: [([3, 2, 4], [3, 4, 5], false, false), ([2, 4, 3], [2, 5, 4], true, true),
                      ([2, 3, 4], [4, 5], false, false), ([4, 3], [2, 5, 4], true, true), ([2, 2, 4, 3], [4, 6], true, false)])
    func batchedMatmul(_ shapes: ([Int], [Int], Bool, Bool)) throws {
        let (a, b) = (randomTensor(shapes.0, seed: 8), randomTensor(shapes.1, seed: 9))
        let product = try a.matmul(b, transposeSelf: shapes.2, transposeOther: shapes.3)
        let batch = max(a.count / (a.shape.suffix(2).reduce(1, *)), b.count / (b.shape.suffix(2).reduce(1, *)))
        let matricesA = try a.reshaped([-1] + a.shape.suffix(2))
        let matricesB = try b.reshaped([-1] + b.shape.suffix(2))
        var expected: [Float] = []
        for index in 0..<batch {
            let pick = { (m: Tensor) in try m.slice(batch: m.shape[0] == 1 ? 0..<1 : index..<(index + 1)).reshaped(Array(m.shape.dropFirst())) }
            expected += Reference.matmul(try pick(matricesA), shapes.2, try pick(matricesB), shapes.3).scalars
        }
        #expect(relativeError(try product.reshaped([-1]), Tensor(expected)) < 1e-5)
    }

    @Test("rearrangements that cannot be done are typed errors naming what was expected")
    func rearrangementErrors() throws {
        let x = randomTensor([2, 5], seed: 13)
        #expect { try x.split(sizes: [2, 2], alongAxis: 1) } throws: { "\($0)".contains("adding up to 5") }
        #expect { try x.slice(alongAxis: 2, 0..<1) } throws: { ($0 as? TensorError) == .invalidAxis(operation: "slice(alongAxis:)", axis: 2, rank: 2) }
        #expect { try Tensor.stack([x], alongAxis: -4) } throws: { $0 is TensorError }
        #expect { try Tensor.stack([x, x.slice(alongAxis: 1, 0..<4)], alongAxis: 0) } throws: { "\($0)".contains("one shape") }
        #expect {
            try randomTensor([2, 3, 4], seed: 1).matmul(randomTensor([3, 4, 2], seed: 2))
        } throws: { "\($0)".contains("batch axes") }
        #expect { try randomTensor([2, 3, 4], seed: 1).matmul(randomTensor([2, 5, 2], seed: 2)) } throws: { "\($0)".contains("inner dimensions") }
        #expect { try Tensor.broadcastShape([2, 3], [4, 3]) } throws: { "\($0)".contains("do not broadcast") }
    }

    @Test("sums over several axes, keeping them or not")
    func reductions() throws {
        let x = randomTensor([2, 3, 4], seed: 10)
        let kept = try x.sum(alongAxes: [0, 2], keepingDimensions: true)
        #expect(kept.shape == [1, 3, 1])
        for j in 0..<3 {
            let expected = (0..<2).flatMap { i in (0..<4).map { k in element(x.scalars, x.shape, [i, j, k]) } }.reduce(0, +)
            #expect(abs(kept[0, j, 0] - expected) < 1e-5)
        }
        #expect(try x.sum(alongAxes: nil).shape == [])
        #expect(try x.min(alongAxis: 1).scalars == (try (x * -1).max(alongAxis: 1) * -1).scalars)
    }

    @Test("gathering rows and scattering them back")
    func gatherScatter() throws {
        let table = randomTensor([5, 2], seed: 11)
        let rows = try table.gathering(rows: [3, 0, 3], indexShape: [3])
        #expect(rows == (try table.gathering(batch: [3, 0, 3])))
        let scattered = try Tensor.ones([3, 2]).scatteringRows([3, 0, 3], into: [5, 2])
        #expect(scattered.scalars == [1, 1, 0, 0, 0, 0, 2, 2, 0, 0])
        #expect(throws: TensorError.self) { try table.gathering(rows: [5], indexShape: [1]) }
    }

    @Test("functions: log-softmax, GELU, where")
    func functions() throws {
        let x = randomTensor([3, 4], seed: 12) * 5
        #expect(relativeError(try x.logSoftmax(), try x.softmax().log()) < 1e-5)
        // Reference values of GELU (exact and tanh form) from their definitions in Double.
        for value: Float in [-2, -0.5, 0, 0.7, 3] {
            let v = Double(value)
            let exact = 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
            let approximate = 0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
            #expect(abs(Double(Tensor(value).gelu()[]) - exact) < 1e-6)
            #expect(abs(Double(Tensor(value).gelu(approximate: true)[]) - approximate) < 1e-6)
        }
        let chosen = try Tensor.selecting(where: Tensor([1, 0, 1]), Tensor([1, 2, 3]), Tensor(-1))
        #expect(chosen.scalars == [1, -1, 3])
    }
}
