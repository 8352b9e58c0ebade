import Testing
import Tensor

/// Layer normalisation in Double, one row at a time.
func layerNormReference(_ x: [Double], features: Int, gamma: [Double], beta: [Double], epsilon: Double) -> [Double] {
    var y = x
    for row in 0..<(x.count / features) {
        let values = x[(row * features)..<((row + 1) * features)]
        let mean = values.reduce(0, +) / Double(features)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(features)
        for (feature, value) in values.enumerated() {
            y[row * features + feature] = gamma[feature] * (value - mean) / (variance + epsilon).squareRoot() + beta[feature]
        }
    }
    return y
}

@Suite("Layer normalisation kernel")
struct LayerNormKernelTests {
    let epsilon: Float = 1e-3

    @Test("forward matches a direct computation, with and without gamma and beta",
          arguments: [[2, 5, 3], [7, 1], [3, 33], [300, 64]])
    func forward(shape: [Int]) throws {
        let features = shape.last!
        let x = randomTensor(shape, seed: 1).map { $0 * 3 + 5 }
        let (gamma, beta) = (randomTensor([features], seed: 2), randomTensor([features], seed: 3))
        var kernel = try LayerNormKernel(features: features, epsilon: epsilon)
        for (g, b) in [(gamma, beta), (nil, nil)] as [(Tensor?, Tensor?)] {
            var y = Tensor([])
            try kernel.forward(x, gamma: g, beta: b, into: &y)
            let expected = layerNormReference(
                x.scalars.map(Double.init), features: features,
                gamma: g?.scalars.map(Double.init) ?? Array(repeating: 1, count: features),
                beta: b?.scalars.map(Double.init) ?? Array(repeating: 0, count: features), epsilon: Double(epsilon))
            #expect(y.shape == x.shape)
            let worst = zip(y.scalars, expected).map { abs(Double($0) - $1) }.max()!
            #expect(worst < 1e-4, "largest difference \(worst)")
        }
    }

    @Test("backward matches central differences of the Double reference, for the input, gamma and beta",
          arguments: [[3, 5], [2, 3, 8], [40, 48]])
    func backward(shape: [Int]) throws {
        let features = shape.last!
        let x = randomTensor(shape, seed: 4)
        let (gamma, beta) = (randomTensor([features], seed: 5), randomTensor([features], seed: 6))
        let weights = randomTensor(shape, seed: 7)  // loss = Σ w · y
        var kernel = try LayerNormKernel(features: features, epsilon: epsilon)
        var (y, dx, dGamma, dBeta) = (Tensor([]), Tensor([]), Tensor([]), Tensor([]))
        try kernel.forward(x, gamma: gamma, beta: beta, into: &y)
        try kernel.backward(outputGradient: weights, gamma: gamma, into: &dx, gammaGradient: &dGamma, betaGradient: &dBeta)

        let w = weights.scalars.map(Double.init)
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            zip(layerNormReference(x, features: features, gamma: g, beta: b, epsilon: Double(epsilon)), w).map(*).reduce(0, +)
        }
        let (x0, g0, b0) = (x.scalars.map(Double.init), gamma.scalars.map(Double.init), beta.scalars.map(Double.init))
        func numeric(_ values: [Double], _ index: Int, _ evaluate: ([Double]) -> Double) -> Double {
            var (plus, minus) = (values, values)
            plus[index] += 1e-4
            minus[index] -= 1e-4
            return (evaluate(plus) - evaluate(minus)) / 2e-4
        }
        for index in stride(from: 0, to: x.count, by: max(1, x.count / 50)) {
            let expected = numeric(x0, index) { loss($0, g0, b0) }
            #expect(abs(Double(dx.scalars[index]) - expected) < 1e-3, "dx[\(index)] \(dx.scalars[index]) vs \(expected)")
        }
        for feature in 0..<features {
            let expectedGamma = numeric(g0, feature) { loss(x0, $0, b0) }
            let expectedBeta = numeric(b0, feature) { loss(x0, g0, $0) }
            #expect(abs(Double(dGamma.scalars[feature]) - expectedGamma) < 1e-3 * max(1, abs(expectedGamma)))
            #expect(abs(Double(dBeta.scalars[feature]) - expectedBeta) < 1e-3 * max(1, abs(expectedBeta)))
        }
    }

    @Test("shapes that do not fit, and backward before forward, are clear errors")
    func errors() throws {
        #expect(throws: TensorError.self) { try LayerNormKernel(features: 0, epsilon: 1e-3) }
        #expect(throws: TensorError.self) { try LayerNormKernel(features: 3, epsilon: 0) }
        var kernel = try LayerNormKernel(features: 4, epsilon: 1e-3)
        var (y, dx, dGamma, dBeta) = (Tensor([]), Tensor([]), Tensor([]), Tensor([]))
        #expect(throws: TensorError.self) {
            try kernel.backward(outputGradient: try Tensor.zeros([2, 4]), gamma: nil, into: &dx,
                                gammaGradient: &dGamma, betaGradient: &dBeta)
        }
        #expect(throws: TensorError.self) { try kernel.forward(try Tensor.zeros([2, 5]), gamma: nil, beta: nil, into: &y) }
        #expect(throws: TensorError.self) {
            try kernel.forward(try Tensor.zeros([2, 4]), gamma: try Tensor.ones([3]), beta: nil, into: &y)
        }
        try kernel.forward(try Tensor.zeros([2, 4]), gamma: nil, beta: nil, into: &y)
        #expect(throws: TensorError.self) {
            try kernel.backward(outputGradient: try Tensor.zeros([3, 4]), gamma: nil, into: &dx,
                                gammaGradient: &dGamma, betaGradient: &dBeta)
        }
    }
}
