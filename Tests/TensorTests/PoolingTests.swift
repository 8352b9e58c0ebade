import Testing
import Tensor

struct PoolCase: CustomTestStringConvertible, Sendable {
    let shape: [Int]
    let pool: (Int, Int)
    let strides: (Int, Int)?
    let padding: Padding
    var testDescription: String { "\(shape) pool \(pool) strides \(String(describing: strides)) \(padding)" }
}

let poolingCases: [PoolCase] = [
    PoolCase(shape: [2, 4, 4, 3], pool: (2, 2), strides: nil, padding: .valid),
    PoolCase(shape: [1, 5, 5, 2], pool: (2, 2), strides: nil, padding: .valid),
    PoolCase(shape: [2, 5, 7, 2], pool: (2, 2), strides: nil, padding: .same),
    PoolCase(shape: [3, 6, 6, 1], pool: (3, 3), strides: (1, 1), padding: .valid),
    PoolCase(shape: [2, 7, 5, 3], pool: (3, 2), strides: (2, 1), padding: .same),
    PoolCase(shape: [1, 3, 3, 4], pool: (1, 1), strides: nil, padding: .valid),
    PoolCase(shape: [2, 6, 5, 11], pool: (2, 2), strides: nil, padding: .valid),   // 8 SIMD lanes + 3 scalar
    PoolCase(shape: [1, 5, 5, 16], pool: (3, 3), strides: (2, 2), padding: .same),
    PoolCase(shape: [2, 26, 26, 4], pool: (2, 2), strides: nil, padding: .valid),  // forward only: large
]

@Suite("Pooling kernels")
struct PoolingTests {
    @Test("max pooling without positions (inference) gives the same maxima and no backward")
    func maxPoolingWithoutPositions() throws {
        let x = randomTensor([3, 7, 6, 10], seed: 4)
        var kernel = try MaxPool2DKernel(inputShape: [7, 6, 10], poolSize: (2, 2), padding: .same)
        var (kept, bare, dX) = (Tensor([]), Tensor([]), Tensor([]))
        try kernel.forward(x, into: &kept)
        try kernel.forward(x, keepingPositions: false, into: &bare)
        #expect(bare == kept)
        #expect(bare == Reference.pool(x, window: kernel.window, average: false))
        #expect(throws: TensorError.self) { try kernel.backward(outputGradient: Tensor.ones(bare.shape), into: &dX) }
    }

    @Test("max pooling forward matches the direct loop", arguments: poolingCases)
    func maxForward(_ c: PoolCase) throws {
        var kernel = try MaxPool2DKernel(inputShape: Array(c.shape.dropFirst()), poolSize: c.pool, strides: c.strides, padding: c.padding)
        let x = randomTensor(c.shape, seed: 1)
        #expect(try kernel.forward(x) == Reference.pool(x, window: kernel.window, average: false))
    }

    @Test("average pooling forward matches the direct loop", arguments: poolingCases)
    func averageForward(_ c: PoolCase) throws {
        var kernel = try AveragePool2DKernel(inputShape: Array(c.shape.dropFirst()), poolSize: c.pool, strides: c.strides, padding: c.padding)
        let x = randomTensor(c.shape, seed: 2)
        #expect(relativeError(try kernel.forward(x), Reference.pool(x, window: kernel.window, average: true)) < 1e-6)
    }

    @Test("max pooling backward matches finite differences", arguments: poolingCases.dropLast())
    func maxBackward(_ c: PoolCase) throws {
        var kernel = try MaxPool2DKernel(inputShape: Array(c.shape.dropFirst()), poolSize: c.pool, strides: c.strides, padding: c.padding)
        // Distinct, well-separated values, so that a small step never changes which cell is the maximum.
        var generator = RandomGenerator(seed: 3)
        let x = try Tensor(shape: c.shape, scalars: (0..<c.shape.reduce(1, *)).map { Float($0) * 0.1 }.shuffled(using: &generator))
        let y = try kernel.forward(x)
        let r = randomTensor(y.shape, seed: 4)
        let analytic = try kernel.backward(outputGradient: r)
        var probe = kernel
        let numeric = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(probe.forward($0), r) }, at: x, step: 1e-3)
        #expect(relativeError(analytic, numeric) < 1e-2)
    }

    @Test("average pooling backward matches finite differences", arguments: poolingCases.dropLast())
    func averageBackward(_ c: PoolCase) throws {
        var kernel = try AveragePool2DKernel(inputShape: Array(c.shape.dropFirst()), poolSize: c.pool, strides: c.strides, padding: c.padding)
        let x = randomTensor(c.shape, seed: 5)
        let r = randomTensor(try kernel.forward(x).shape, seed: 6)
        let analytic = try kernel.backward(outputGradient: r)
        var probe = kernel
        let numeric = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(probe.forward($0), r) }, at: x)
        #expect(relativeError(analytic, numeric) < 1e-3)
    }

    @Test("pooling rejects bad shapes and backward before forward")
    func badInput() throws {
        var kernel = try MaxPool2DKernel(inputShape: [4, 4, 2], poolSize: (2, 2))
        #expect(throws: TensorError.self) { try kernel.backward(outputGradient: Tensor.zeros([1, 2, 2, 2])) }
        #expect(throws: TensorError.self) { try kernel.forward(Tensor.zeros([1, 4, 4, 3])) }
        _ = try kernel.forward(Tensor.zeros([3, 4, 4, 2]))
        #expect(throws: TensorError.self) { try kernel.backward(outputGradient: Tensor.zeros([1, 2, 2, 2])) }
        #expect(throws: TensorError.self) { try MaxPool2DKernel(inputShape: [1, 1, 2], poolSize: (2, 2)) }
        #expect(throws: TensorError.self) { try AveragePool2DKernel(inputShape: [4, 4, 2], poolSize: (0, 2)) }
        var average = try AveragePool2DKernel(inputShape: [4, 4, 2], poolSize: (2, 2))
        #expect(throws: TensorError.self) { try average.backward(outputGradient: Tensor.zeros([1, 2, 2, 2])) }
        _ = try average.forward(Tensor.zeros([1, 4, 4, 2]))
        #expect(throws: TensorError.self) { try average.backward(outputGradient: Tensor.zeros([1, 3, 3, 2])) }
    }
}
