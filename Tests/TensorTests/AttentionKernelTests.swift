import Testing
import Foundation
import Tensor

@Suite("Attention kernel", .serialized)
struct AttentionKernelTests {
    /// `softmax(Q·Kᵀ/√d + mask)·V` per head, in Double, one scalar at a time.
    func reference(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, heads: Int, keyDim: Int, valueDim: Int) -> Tensor {
        let (n, tq, tk) = (q.shape[0], q.shape[1], k.shape[1])
        var out = [Float](repeating: 0, count: n * tq * heads * valueDim)
        for b in 0..<n {
            for h in 0..<heads {
                for i in 0..<tq {
                    var scores = (0..<tk).map { j in
                        (0..<keyDim).reduce(0.0) { sum, d in
                            sum + Double(q.scalars[(b * tq + i) * heads * keyDim + h * keyDim + d])
                                * Double(k.scalars[(b * tk + j) * heads * keyDim + h * keyDim + d])
                        } / Double(keyDim).squareRoot()
                    }
                    if let mask {
                        let m = mask.shape[0] == 1 ? 0 : b
                        for j in 0..<tk { scores[j] += Double(mask.scalars[(m * tq + i) * tk + j]) }
                    }
                    let top = scores.max()!
                    let e = scores.map { Foundation.exp($0 - top) }
                    let total = e.reduce(0, +)
                    for d in 0..<valueDim {
                        let sum = (0..<tk).reduce(0.0) { $0 + e[$1] / total * Double(v.scalars[(b * tk + $1) * heads * valueDim + h * valueDim + d]) }
                        out[(b * tq + i) * heads * valueDim + h * valueDim + d] = Float(sum)
                    }
                }
            }
        }
        return try! Tensor(shape: [n, tq, heads * valueDim], scalars: out)
    }

    @Test("forward matches the direct formula, without a mask, with one for all samples and with one per sample")
    func forwardMatchesReference() throws {
        let kernel = try AttentionKernel(heads: 3, keyDim: 4, valueDim: 2)
        let (q, k, v) = (randomTensor([2, 5, 12], seed: 1), randomTensor([2, 7, 12], seed: 2), randomTensor([2, 7, 6], seed: 3))
        let shared = try Tensor(shape: [1, 5, 7], scalars: (0..<35).map { $0 % 4 == 0 ? -1e9 : Float($0) * 0.01 })
        let perSample = randomTensor([2, 5, 7], seed: 4)
        for mask in [nil, shared, perSample] {
            var (weights, output) = (Tensor([]), Tensor([]))
            try kernel.forward(query: q, key: k, value: v, adding: mask, weights: &weights, into: &output)
            let expected = reference(q, k, v, mask: mask, heads: 3, keyDim: 4, valueDim: 2)
            #expect(output.shape == expected.shape && weights.shape == [2, 3, 5, 7])
            #expect(relativeError(output, expected) < 1e-5)
        }
    }

    @Test("split across threads by (sample, head), forward and backward match one thread exactly", arguments: [2, 3])
    func threads(_ count: Int) throws {
        let kernel = try AttentionKernel(heads: 4, keyDim: 16, valueDim: 16)
        let (q, k, v) = (randomTensor([16, 49, 64], seed: 5), randomTensor([16, 49, 64], seed: 6), randomTensor([16, 49, 64], seed: 7))
        let dy = randomTensor([16, 49, 64], seed: 8)
        func run() throws -> (Tensor, AttentionKernel.Gradients) {
            var (weights, output, gradients) = (Tensor([]), Tensor([]), AttentionKernel.Gradients())
            try kernel.forward(query: q, key: k, value: v, weights: &weights, into: &output)
            try kernel.backward(query: q, key: k, value: v, weights: weights, outputGradient: dy, into: &gradients)
            return (output, gradients)
        }
        let (y1, g1) = try withComputeThreads(1, run)
        let (y, g) = try withComputeThreads(count, run)
        #expect(y == y1 && g.query == g1.query && g.key == g1.key && g.value == g1.value)
    }

    @Test("operands of the wrong shape are errors that name them")
    func badShapes() throws {
        let kernel = try AttentionKernel(heads: 2, keyDim: 3, valueDim: 3)
        var (weights, output) = (Tensor([]), Tensor([]))
        #expect(throws: TensorError.shapeMismatch(operation: "attention key [batch, steps, heads · keyDim]",
                                                  expected: [2, 4, 6], found: [2, 4, 5])) {
            try kernel.forward(query: randomTensor([2, 3, 6], seed: 1), key: randomTensor([2, 4, 5], seed: 2),
                               value: randomTensor([2, 4, 6], seed: 3), weights: &weights, into: &output)
        }
        #expect(throws: TensorError.self) {
            try kernel.forward(query: randomTensor([2, 3, 6], seed: 1), key: randomTensor([2, 4, 6], seed: 2),
                               value: randomTensor([2, 4, 6], seed: 3), adding: randomTensor([3, 3, 4], seed: 4),
                               weights: &weights, into: &output)
        }
        #expect(throws: TensorError.self) { try AttentionKernel(heads: 0, keyDim: 3, valueDim: 3) }
    }
}
