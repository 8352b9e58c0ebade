import Testing
import Tensor

@Suite("Orthogonal initialiser (QR through LAPACKE)")
struct OrthogonalTests {
    @Test("WᵀW = gain²·I for tall matrices, WWᵀ for wide ones, convolution kernels seen as [kh·kw·cin, cout]",
          arguments: [([6, 4], 1), ([4, 4], 1), ([3, 5], 1), ([3, 3, 2, 4], 0.5), ([2, 2, 3, 16], 2)] as [([Int], Float)])
    func orthonormal(_ shape: [Int], gain: Float) throws {
        var generator = RandomGenerator(seed: 11)
        let w = try Tensor.orthogonal(shape, gain: gain, using: &generator)
        #expect(w.shape == shape)
        let matrix = try w.reshaped([-1, shape.last!])
        let (rows, columns) = (matrix.shape[0], matrix.shape[1])
        let gram = rows >= columns ? try matrix.matmul(matrix, transposeSelf: true) : try matrix.matmul(matrix, transposeOther: true)
        let size = Swift.min(rows, columns)
        let identity = try Tensor(shape: [size, size], scalars: (0..<size * size).map { $0 % (size + 1) == 0 ? gain * gain : 0 })
        #expect(relativeError(gram, identity) < 1e-5, "\(gram)")
    }

    @Test("seeded, and different seeds give different matrices; bad shapes are refused")
    func seededAndChecked() throws {
        var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 1), c = RandomGenerator(seed: 2)
        let first = try Tensor.orthogonal([5, 3], using: &a)
        #expect(first == (try Tensor.orthogonal([5, 3], using: &b)))
        #expect(first != (try Tensor.orthogonal([5, 3], using: &c)))
        #expect(throws: TensorError.self) { try Tensor.orthogonal([5], using: &a) }
        #expect(throws: TensorError.self) { try Tensor.orthogonal([0, 3], using: &a) }
    }
}
