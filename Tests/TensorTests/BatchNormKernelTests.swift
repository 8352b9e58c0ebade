import Testing
import Tensor

/// Direct Double computations of batch normalisation, one feature at a time.
enum BatchNormReference {
    static func statistics(_ x: Tensor, features: Int) -> (mean: [Double], variance: [Double]) {
        let values = x.scalars, rows = x.count / features
        var mean = [Double](repeating: 0, count: features), variance = mean
        for f in 0..<features {
            for r in 0..<rows { mean[f] += Double(values[r * features + f]) }
            mean[f] /= Double(rows)
            for r in 0..<rows { variance[f] += (Double(values[r * features + f]) - mean[f]) * (Double(values[r * features + f]) - mean[f]) }
            variance[f] /= Double(rows)
        }
        return (mean, variance)
    }

    static func normalize(_ x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float) -> Tensor {
        let features = mean.count
        let (mu, v, g, b) = (mean.scalars, variance.scalars, gamma.scalars, beta.scalars)
        let y = x.scalars.enumerated().map { index, value in
            let f = index % features
            return Float(Double(g[f]) * (Double(value) - Double(mu[f])) / (Double(v[f]) + Double(epsilon)).squareRoot() + Double(b[f]))
        }
        return try! Tensor(shape: x.shape, scalars: y)
    }
}

@Suite("Batch normalisation kernel")
struct BatchNormKernelTests {
    let epsilon: Float = 1e-3

    @Test("statistics match a direct computation", arguments: [[2, 5, 5, 3], [7, 1], [3, 4, 4, 11], [64, 13, 13, 32]])
    func statistics(shape: [Int]) throws {
        let x = randomTensor(shape, seed: 1)
        let kernel = try BatchNormKernel(features: shape.last!, epsilon: epsilon)
        var (mean, variance) = (Tensor([]), Tensor([]))
        try kernel.statistics(of: x, mean: &mean, variance: &variance)
        let expected = BatchNormReference.statistics(x, features: shape.last!)
        #expect(mean.shape == [shape.last!] && variance.shape == [shape.last!])
        for (actual, reference) in zip(mean.scalars + variance.scalars, expected.mean + expected.variance) {
            #expect(abs(Double(actual) - reference) < 1e-5, "got \(actual), expected \(reference)")
        }
    }

    @Test("statistics keep their precision over many rows with a large mean and a small spread")
    func precision() throws {
        // 200,000 rows around 1000.37 with a standard deviation of about 0.03: a naive Float
        // running sum drifts by far more than the spread, and Σx² − (Σx)²/M cancels entirely.
        var generator = RandomGenerator(seed: 2)
        let spread = try Tensor.uniform([200_000, 2], lowerBound: -0.05, upperBound: 0.05, using: &generator)
        let x = spread.map { $0 + 1000.37 }
        let kernel = try BatchNormKernel(features: 2, epsilon: epsilon)
        var (mean, variance) = (Tensor([]), Tensor([]))
        try kernel.statistics(of: x, mean: &mean, variance: &variance)
        let expected = BatchNormReference.statistics(x, features: 2)
        for f in 0..<2 {
            #expect(abs(Double(mean.scalars[f]) - expected.mean[f]) < 1e-4)
            #expect(abs(Double(variance.scalars[f]) - expected.variance[f]) / expected.variance[f] < 1e-3)
        }
    }

    @Test("normalize matches the formula and reuses the output buffer")
    func normalize() throws {
        let x = randomTensor([4, 3, 3, 5], seed: 3)
        let kernel = try BatchNormKernel(features: 5, epsilon: epsilon)
        let mean = randomTensor([5], seed: 4), gamma = randomTensor([5], seed: 5), beta = randomTensor([5], seed: 6)
        let variance = randomTensor([5], seed: 7).map { $0 * $0 + 0.1 }
        var output = Tensor([])
        try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, into: &output)
        let expected = BatchNormReference.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, epsilon: epsilon)
        #expect(relativeError(output, expected) < 1e-5)
        let buffer = output.withUnsafeBufferPointer { $0.baseAddress }
        try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, into: &output)
        #expect(output.withUnsafeBufferPointer { $0.baseAddress } == buffer)
    }

    @Test("backward matches finite differences", arguments: [true, false])
    func backward(batchStatistics: Bool) throws {
        let x = randomTensor([3, 2, 2, 4], seed: 8)
        let gamma = randomTensor([4], seed: 9).map { $0 + 1.5 }, beta = randomTensor([4], seed: 10)
        let movingMean = randomTensor([4], seed: 11), movingVariance = randomTensor([4], seed: 12).map { $0 * $0 + 0.5 }
        let kernel = try BatchNormKernel(features: 4, epsilon: epsilon)
        func loss(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor, _ r: Tensor) throws -> Double {
            var (mean, variance, y) = (movingMean, movingVariance, Tensor([]))
            if batchStatistics { try kernel.statistics(of: x, mean: &mean, variance: &variance) }
            try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, into: &y)
            return FiniteDifferences.dot(y, r)
        }
        var (mean, variance) = (movingMean, movingVariance)
        if batchStatistics { try kernel.statistics(of: x, mean: &mean, variance: &variance) }
        let r = randomTensor(x.shape, seed: 13)
        var (dxAnalytic, dGammaAnalytic, dBetaAnalytic) = (Tensor([]), Tensor([]), Tensor([]))
        try kernel.backward(input: x, outputGradient: r, mean: mean, variance: variance, gamma: gamma,
                            batchStatistics: batchStatistics,
                            inputGradient: &dxAnalytic, gammaGradient: &dGammaAnalytic, betaGradient: &dBetaAnalytic)
        let dx = try FiniteDifferences.gradient(of: { try loss($0, gamma, beta, r) }, at: x, step: 1e-2)
        let dGamma = try FiniteDifferences.gradient(of: { try loss(x, $0, beta, r) }, at: gamma, step: 1e-2)
        let dBeta = try FiniteDifferences.gradient(of: { try loss(x, gamma, $0, r) }, at: beta, step: 1e-2)
        #expect(relativeError(dxAnalytic, dx) < 1e-2)
        #expect(relativeError(dGammaAnalytic, dGamma) < 1e-2)
        #expect(relativeError(dBetaAnalytic, dBeta) < 1e-2)
    }

    @Test("with a fused ReLU: forward and backward are bit for bit a ReLU after the plain passes",
          arguments: [[64, 7, 7, 13], [5, 3]])
    func fusedReLU(shape: [Int]) throws {
        let features = shape.last!
        let x = randomTensor(shape, seed: 21), dy = randomTensor(shape, seed: 22)
        let gamma = randomTensor([features], seed: 23), beta = randomTensor([features], seed: 24)
        let kernel = try BatchNormKernel(features: features, epsilon: epsilon)
        var (mean, variance) = (Tensor([]), Tensor([]))
        try kernel.statistics(of: x, mean: &mean, variance: &variance)
        var (plain, fused) = (Tensor([]), Tensor([]))
        try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, into: &plain)
        try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, activation: .relu, into: &fused)
        let rectified = FusedActivation.relu(plain)
        #expect(fused == rectified)
        #expect(fused.scalars.contains(0) && fused.scalars.contains { $0 > 0 })
        var (dxPlain, dGammaPlain, dBetaPlain) = (Tensor([]), Tensor([]), Tensor([]))
        try kernel.backward(input: x, outputGradient: try FusedActivation.relu.backward(output: rectified, outputGradient: dy),
                            mean: mean, variance: variance, gamma: gamma, batchStatistics: true,
                            inputGradient: &dxPlain, gammaGradient: &dGammaPlain, betaGradient: &dBetaPlain)
        var (dx, dGamma, dBeta) = (Tensor([]), Tensor([]), Tensor([]))
        try kernel.backward(input: x, outputGradient: dy, mean: mean, variance: variance, gamma: gamma, batchStatistics: true,
                            activation: .relu, output: fused, inputGradient: &dx, gammaGradient: &dGamma, betaGradient: &dBeta)
        #expect(dx == dxPlain && dGamma == dGammaPlain && dBeta == dBetaPlain)
        #expect(throws: TensorError.self) {
            try kernel.backward(input: x, outputGradient: dy, mean: mean, variance: variance, gamma: gamma, batchStatistics: true,
                                activation: .relu, output: nil, inputGradient: &dx, gammaGradient: &dGamma, betaGradient: &dBeta)
        }
    }

    @Test("wrong shapes are reported with both shapes")
    func errors() throws {
        #expect(throws: TensorError.self) { try BatchNormKernel(features: 0, epsilon: 1e-3) }
        #expect(throws: TensorError.self) { try BatchNormKernel(features: 3, epsilon: 0) }
        let kernel = try BatchNormKernel(features: 3, epsilon: epsilon)
        var (mean, variance, output) = (Tensor([]), Tensor([]), Tensor([]))
        #expect(throws: TensorError.shapeMismatch(operation: "BatchNorm statistics (last axis)", expected: [2, 3], found: [2, 4])) {
            try kernel.statistics(of: randomTensor([2, 4], seed: 1), mean: &mean, variance: &variance)
        }
        #expect(throws: TensorError.self) {
            try kernel.statistics(of: Tensor(shape: [0, 3], repeating: 0), mean: &mean, variance: &variance)
        }
        let vector = randomTensor([3], seed: 2)
        #expect(throws: TensorError.shapeMismatch(operation: "BatchNorm normalize (per-feature vector)", expected: [3], found: [4])) {
            try kernel.normalize(randomTensor([2, 3], seed: 3), mean: vector, variance: randomTensor([4], seed: 4),
                                 gamma: vector, beta: vector, into: &output)
        }
    }
}
