import Testing
import Tensor

/// Runs `body` with ``ComputeThreads/count`` set to `threads`, then restores it.
func withComputeThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
    let previous = ComputeThreads.count
    ComputeThreads.count = threads
    defer { ComputeThreads.count = previous }
    return try body()
}

/// The multi-threaded paths (GEMM blocks, batch-parallel kernels, update rules), run with 2
/// and 3 threads whatever the machine has, against the direct references or the
/// single-threaded path. The shapes are large enough for every loop to be split (at least
/// 3 · 2¹⁵ scalars of work). Serialized: the thread count is process-wide.
@Suite("Parallel paths with 2 and 3 threads", .serialized)
struct ParallelPathTests {
    static let threadCounts = [2, 3]

    @Test("depthwise convolution split by images matches one thread; its weight sums repeat exactly", arguments: threadCounts)
    func depthwiseConvolution(_ threads: Int) throws {
        let kernel = try DepthwiseConv2DKernel(inputShape: [14, 13, 16], multiplier: 2, kernelSize: (3, 3), padding: .same)
        let (x, w, b) = (randomTensor([12, 14, 13, 16], seed: 60), randomTensor(kernel.weightShape, seed: 61),
                         randomTensor([32], seed: 62))
        let dy = randomTensor([12] + kernel.outputShape, seed: 63)
        func run() throws -> (Tensor, DepthwiseConv2DKernel.Gradients) {
            var (y, g) = (Tensor([]), DepthwiseConv2DKernel.Gradients())
            try kernel.forward(x, weights: w, bias: b, into: &y)
            try kernel.backward(input: x, outputGradient: dy, weights: w, into: &g)
            return (y, g)
        }
        let (y1, g1) = try withComputeThreads(1, run)
        let (y, g) = try withComputeThreads(threads, run)
        let (yAgain, gAgain) = try withComputeThreads(threads, run)
        #expect(y == y1 && g.input == g1.input)
        #expect(relativeError(g.weights, g1.weights) < 1e-5 && relativeError(g.bias, g1.bias) < 1e-5)
        #expect(g.weights == gAgain.weights && g.bias == gAgain.bias && yAgain == y)
    }

    @Test("GEMM split into row blocks and column blocks matches the triple loop", arguments: threadCounts)
    func gemm(threads: Int) throws {
        // 520x90x90 splits C's rows, 36x90x1300 its columns (more columns than rows).
        for (m, k, n) in [(520, 90, 90), (36, 90, 1300)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = randomTensor(ta ? [k, m] : [m, k], seed: 1), b = randomTensor(tb ? [n, k] : [k, n], seed: 2)
                let c = try withComputeThreads(threads) { try a.matmul(b, transposeSelf: ta, transposeOther: tb) }
                #expect(relativeError(c, Reference.matmul(a, ta, b, tb)) < 1e-5, "\(m)x\(k)x\(n) \(ta) \(tb)")
            }
        }
    }

    @Test("batched products split by matrices match each matrix's triple loop", arguments: threadCounts)
    func batchedMatmul(threads: Int) throws {
        // 2 × 50 products of 32x32x32 (attention's heads): split into 3 or more chunks of matrices.
        let a = randomTensor([2, 50, 32, 32], seed: 6), b = randomTensor([2, 50, 32, 32], seed: 7)
        let c = try withComputeThreads(threads) { try a.matmul(b, transposeOther: true) }
        for index in [0, 37, 99] {
            let (i, j) = (index / 50, index % 50)
            let aMatrix = try a.slice([i..<(i + 1), j..<(j + 1)]).reshaped([32, 32])
            let bMatrix = try b.slice([i..<(i + 1), j..<(j + 1)]).reshaped([32, 32])
            let cMatrix = try c.slice([i..<(i + 1), j..<(j + 1)]).reshaped([32, 32])
            #expect(relativeError(cMatrix, Reference.matmul(aMatrix, false, bMatrix, true)) < 1e-5, "matrix \(index)")
        }
    }

    @Test("recurrent kernels split by samples: forward matches the Double reference, backward matches one thread",
          arguments: threadCounts, [RecurrentCell.simple, .lstm, .gru])
    func recurrent(threads: Int, cell: RecurrentCell) throws {
        // 64 sequences of 8 steps, 32 units: split into 3 or more chunks of samples.
        let (batch, steps, features, units) = (64, 8, 6, 32)
        let x = randomTensor([batch, steps, features], seed: 1)
        let shapes = RecurrentKernel(cell: cell, units: units).weightShapes(features: features)
        // A contracting recurrence (u in [-1/4, 1/4]: spectral radius about 0.8): with u in [-1, 1]
        // (radius 3.3) SimpleRNN's backward amplifies each step's rounding through the 8 steps, and
        // the threads' correct but different summation order was 1.7e-5 off here (Zen 3, AVX2); now 2e-7.
        let (w, u, b) = (randomTensor(shapes.kernel, seed: 2), randomTensor(shapes.recurrentKernel, seed: 3) * 0.25,
                         randomTensor(shapes.bias, seed: 4))
        func run() throws -> (Tensor, [Tensor]) {
            var kernel = RecurrentKernel(cell: cell, units: units, goBackwards: true)
            var (y, dx, dw, du, db) = (Tensor([]), Tensor([]), Tensor([]), Tensor([]), Tensor([]))
            try kernel.forward(x, kernel: w, recurrentKernel: u, bias: b, returnSequences: true, into: &y)
            try kernel.backward(outputGradient: y, kernel: w, recurrentKernel: u, inputGradient: &dx, kernelGradient: &dw,
                                recurrentKernelGradient: &du, biasGradient: &db)
            return (y, [dx, dw, du, db])
        }
        let (y, gradients) = try withComputeThreads(threads, run)
        let (_, serial) = try withComputeThreads(1, run)
        let reference = RecurrentReference(cell: cell, units: units, features: features, goBackwards: true, returnSequences: true)
        let expected = reference.run(x: x.scalars.map(Double.init), batch: batch, steps: steps, w: w.scalars.map(Double.init),
                                     u: u.scalars.map(Double.init), b: b.scalars.map(Double.init))
        #expect(zip(y.scalars, expected).map { abs(Double($0) - $1) }.max()! < 2e-5)
        for (parallel, single) in zip(gradients, serial) { #expect(relativeError(parallel, single) < 1e-5) }
    }

    @Test("convolution (with a fused ReLU) forward matches the direct loop; backward matches one thread",
          arguments: threadCounts, Conv2DKernel.Algorithm.allCases)
    func convolution(threads: Int, algorithm: Conv2DKernel.Algorithm) throws {
        // Winograd splits 30 images into chunks of several blocks of at most 7 images.
        let x = randomTensor([30, 12, 11, 16], seed: 3), w = randomTensor([3, 3, 16, 16], seed: 4), b = randomTensor([16], seed: 5)
        func makeKernel() throws -> Conv2DKernel {
            try Conv2DKernel(inputShape: [12, 11, 16], filters: 16, kernelSize: (3, 3), padding: .same, algorithm: algorithm)
        }
        func run() throws -> (Tensor, Conv2DKernel.Gradients) {
            var kernel = try makeKernel()
            var (y, gradients) = (Tensor([]), Conv2DKernel.Gradients())
            try kernel.forward(x, weights: w, bias: b, activation: .relu, into: &y)
            try kernel.backward(input: x, output: y, outputGradient: randomTensor(y.shape, seed: 6), weights: w,
                                activation: .relu, into: &gradients)
            return (y, gradients)
        }
        let (y, gradients) = try withComputeThreads(threads, run)
        let (_, single) = try withComputeThreads(1, run)
        let reference = Reference.conv2d(x, w, b, window: try makeKernel().window).map { $0 <= 0 ? 0 : $0 }
        #expect(relativeError(y, reference) < 1e-5)
        #expect(relativeError(gradients.weights, single.weights) < 1e-5)
        #expect(relativeError(gradients.bias, single.bias) < 1e-5)
        #expect(relativeError(gradients.input!, single.input!) < 1e-5)
    }

    @Test("+ - * / of two tensors, split across threads, are the scalar operators element by element", arguments: threadCounts)
    func arithmetic(threads: Int) throws {
        let a = randomTensor([3 * (1 << 16) + 5], seed: 31), b = randomTensor([3 * (1 << 16) + 5], seed: 32).map { $0 + 2 }
        let results = try withComputeThreads(threads) { [try a + b, try a - b, try a * b, try a / b] }
        #expect(results == [try a.zip(b, +), try a.zip(b, -), try a.zip(b, *), try a.zip(b, /)])
        #expect(throws: TensorError.shapeMismatch(operation: "+", expected: [2], found: [3])) { try Tensor([1, 2]) + Tensor([1, 2, 3]) }
    }

    @Test("dropout draws the same mask on any number of threads", arguments: threadCounts)
    func dropout(threads: Int) throws {
        let x = randomTensor([64, 1601], seed: 12), dy = randomTensor([64, 1601], seed: 13)
        func run() throws -> (Tensor, Tensor) {
            var kernel = try DropoutKernel(rate: 0.4)
            var (y, dx) = (Tensor([]), Tensor([]))
            try kernel.forward(x, seed: 99, into: &y)
            try kernel.backward(outputGradient: dy, into: &dx)
            return (y, dx)
        }
        let parallel = try withComputeThreads(threads, run), single = try withComputeThreads(1, run)
        #expect(parallel.0 == single.0)
        #expect(parallel.1 == single.1)
    }

    @Test("ReLU and its backward match the scalar definitions on a tensor long enough to split, with a tail",
          arguments: [1] + threadCounts)
    func relu(threads: Int) throws {
        // 3 · 2¹⁶ + 3 elements: several chunks, and a tail shorter than a SIMD lane.
        let x = randomTensor([3 * (1 << 16) + 3], seed: 1), dy = randomTensor([3 * (1 << 16) + 3], seed: 2)
        let y = withComputeThreads(threads) { FusedActivation.relu(x) }
        #expect(y.scalars == x.scalars.map { $0 <= 0 ? 0 : $0 })
        #expect(x.scalars.contains { $0 < 0 }, "the input must have both signs")
        let dx = try withComputeThreads(threads) { try FusedActivation.relu.backward(output: y, outputGradient: dy) }
        #expect(dx.scalars == zip(y.scalars, dy.scalars).map { $0 <= 0 ? 0 : $1 })
    }

    @Test("pooling forward matches the direct loop; backward matches one thread", arguments: threadCounts)
    func pooling(threads: Int) throws {
        let x = randomTensor([32, 28, 27, 8], seed: 7)
        let dy = randomTensor([32, 14, 14, 8], seed: 8)
        func run() throws -> (max: Tensor, average: Tensor, maxGradient: Tensor, averageGradient: Tensor) {
            var maximum = try MaxPool2DKernel(inputShape: [28, 27, 8], poolSize: (2, 2), padding: .same)
            var average = try AveragePool2DKernel(inputShape: [28, 27, 8], poolSize: (2, 2), padding: .same)
            var result = (max: Tensor([]), average: Tensor([]), maxGradient: Tensor([]), averageGradient: Tensor([]))
            try maximum.forward(x, into: &result.max)
            try average.forward(x, into: &result.average)
            try maximum.backward(outputGradient: dy, into: &result.maxGradient)
            try average.backward(outputGradient: dy, into: &result.averageGradient)
            return result
        }
        let parallel = try withComputeThreads(threads, run)
        let single = try withComputeThreads(1, run)
        let window = try MaxPool2DKernel(inputShape: [28, 27, 8], poolSize: (2, 2), padding: .same).window
        #expect(parallel.max == Reference.pool(x, window: window, average: false))
        #expect(relativeError(parallel.average, Reference.pool(x, window: window, average: true)) < 1e-6)
        #expect(parallel.maxGradient == single.maxGradient)
        #expect(parallel.averageGradient == single.averageGradient)
    }

    @Test("batch normalisation statistics and normalisation match the Double reference", arguments: threadCounts)
    func batchNormalization(threads: Int) throws {
        let x = randomTensor([64, 16, 16, 8], seed: 9)
        let kernel = try BatchNormKernel(features: 8, epsilon: 1e-3)
        var (mean, variance, y) = (Tensor([]), Tensor([]), Tensor([]))
        let (gamma, beta) = (randomTensor([8], seed: 10), randomTensor([8], seed: 11))
        try withComputeThreads(threads) {
            try kernel.statistics(of: x, mean: &mean, variance: &variance)
            try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, into: &y)
        }
        let expected = BatchNormReference.statistics(x, features: 8)
        for (actual, reference) in zip(mean.scalars + variance.scalars, expected.mean + expected.variance) {
            #expect(abs(Double(actual) - reference) < 1e-5)
        }
        let normalized = BatchNormReference.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, epsilon: 1e-3)
        #expect(relativeError(y, normalized) < 1e-5)
    }

    @Test("affine resampling: backward is the exact adjoint of forward, and matches one thread", arguments: threadCounts)
    func resampling(threads: Int) throws {
        let x = randomTensor([16, 20, 19, 3], seed: 12), r = randomTensor([16, 20, 19, 3], seed: 13)
        var generator = RandomGenerator(seed: 14)
        let transforms = (0..<16).map { _ in
            AffineTransform(a: 1 + 0.2 * generator.nextUnitFloat(), b: 0.3 * generator.nextUnitFloat(), c: -0.2, d: 0.9,
                            shiftRows: 2 * generator.nextUnitFloat(), shiftColumns: -1.5)
        }
        func run() throws -> (Tensor, Tensor) {
            var kernel = try AffineResampleKernel(imageShape: [20, 19, 3])
            var (y, dx) = (Tensor([]), Tensor([]))
            try kernel.forward(x, transforms: transforms, into: &y)
            try kernel.backward(outputGradient: r, into: &dx)
            return (y, dx)
        }
        let (y, dx) = try withComputeThreads(threads, run)
        let (singleY, singleDX) = try withComputeThreads(1, run)
        #expect(y == singleY && dx == singleDX)
        // <R x, r> = <x, Rᵀ r>
        let lhs = zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x.scalars, dx.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-4 * max(1, abs(lhs)))
    }

    @Test("global average pooling matches the direct mean; its backward spreads the gradient", arguments: threadCounts)
    func globalAveragePooling(threads: Int) throws {
        let x = randomTensor([48, 16, 16, 8], seed: 15), dy = randomTensor([48, 8], seed: 16)
        var kernel = try GlobalAveragePool2DKernel(imageShape: [16, 16, 8])
        var (y, dx) = (Tensor([]), Tensor([]))
        try withComputeThreads(threads) {
            try kernel.forward(x, into: &y)
            try kernel.backward(outputGradient: dy, into: &dx)
        }
        #expect(relativeError(y, try x.reshaped([48, 256, 8]).mean(alongAxis: 1)) < 1e-6)
        let gradient = dy.scalars
        let spread: [Float] = (0..<dx.count).map { index in
            let (image, channel) = (index / 2048, index % 8)
            return gradient[image * 8 + channel] / 256
        }
        #expect(relativeError(dx, try Tensor(shape: [48, 16, 16, 8], scalars: spread)) < 1e-7)
    }

    @Test("update rules give the same bits on any thread count", arguments: threadCounts)
    func updateRules(threads: Int) throws {
        let weights = randomTensor([300_001], seed: 17), gradients = randomTensor([300_001], seed: 18)
        func run() throws -> [Tensor] {
            var (w1, w2, w3) = (weights, weights, weights)
            var (m, v, s) = (Tensor.zeros(like: weights), Tensor.zeros(like: weights), Tensor.zeros(like: weights))
            var velocity: Tensor? = Tensor.zeros(like: weights), momentum: Tensor? = Tensor.zeros(like: weights)
            try UpdateRule.adam(weights: &w1, gradients: gradients, firstMoments: &m, secondMoments: &v,
                                learningRate: 0.01, step: 3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7)
            try UpdateRule.sgd(weights: &w2, gradients: gradients, velocity: &velocity, learningRate: 0.1,
                               momentum: 0.9, nesterov: true)
            try UpdateRule.rmsprop(weights: &w3, gradients: gradients, squares: &s, velocity: &momentum,
                                   learningRate: 0.01, rho: 0.9, momentum: 0.5, epsilon: 1e-7)
            return [w1, w2, w3, m, v, s, velocity!, momentum!]
        }
        let parallel = try withComputeThreads(threads, run)
        let single = try withComputeThreads(1, run)
        #expect(parallel == single)
        // And the rule itself: SGD with Nesterov, first step, v = −lr·g, w += μv − lr·g.
        let expected = zip(weights.scalars, gradients.scalars).map { w, g in w + 0.9 * (-0.1 * g) - 0.1 * g }
        #expect(relativeError(parallel[1], try Tensor(shape: [300_001], scalars: expected)) < 1e-6)
    }
}
