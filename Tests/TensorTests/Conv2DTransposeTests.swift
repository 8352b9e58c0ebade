import Testing
import Tensor

@Suite("Conv2DTranspose kernel")
struct Conv2DTransposeTests {
    /// [h, w, c], filters, kernel, strides, padding, and the output height and width Keras gives.
    static let cases: [([Int], Int, (Int, Int), (Int, Int), Padding, (Int, Int))] = [
        ([3, 4, 2], 3, (3, 3), (1, 1), .valid, (5, 6)),
        ([3, 4, 2], 2, (3, 3), (2, 2), .same, (6, 8)),
        ([4, 3, 3], 2, (2, 3), (2, 2), .valid, (8, 7)),
        ([2, 3, 1], 3, (1, 2), (3, 3), .valid, (6, 9)),  // kernel smaller than the stride: zeros between
        ([5, 5, 2], 2, (4, 4), (2, 3), .same, (10, 15)),
    ]

    func kernel(_ index: Int) throws -> Conv2DTransposeKernel {
        let (shape, filters, size, strides, padding, _) = Self.cases[index]
        return try Conv2DTransposeKernel(inputShape: shape, filters: filters, kernelSize: size, strides: strides, padding: padding)
    }

    func forward(_ kernel: Conv2DTransposeKernel, _ x: Tensor, _ w: Tensor, _ b: Tensor?) throws -> Tensor {
        var y = Tensor([])
        try kernel.forward(x, weights: w, bias: b, into: &y)
        return y
    }

    @Test("output sizes follow Keras; forward is the input gradient of the convolution it transposes",
          arguments: 0..<cases.count)
    func forwardIsTheConvolutionsAdjoint(_ index: Int) throws {
        let (shape, filters, size, strides, padding, expectedSize) = Self.cases[index]
        let kernel = try kernel(index)
        #expect(kernel.outputShape == [expectedSize.0, expectedSize.1, filters])
        let (x, w, b) = (randomTensor([2] + shape, seed: 70), randomTensor(kernel.weightShape, seed: 71),
                         randomTensor([filters], seed: 72))
        var convolution = try Conv2DKernel(inputShape: kernel.outputShape, filters: shape[2], kernelSize: size,
                                           strides: strides, padding: padding, algorithm: .im2col)
        #expect(convolution.outputShape == shape)
        let adjoint = try #require(try convolution.backward(input: randomTensor([2] + kernel.outputShape, seed: 73),
                                                            outputGradient: x, weights: w).input)
        #expect(relativeError(try forward(kernel, x, w, nil), adjoint) < 1e-5)
        let withBias = try forward(kernel, x, w, b)
        let expected = try Tensor.broadcasting(adjoint, b, +)
        #expect(relativeError(withBias, expected) < 1e-5)
    }

    @Test("backward matches central finite differences", arguments: 0..<cases.count)
    func backwardMatchesFiniteDifferences(_ index: Int) throws {
        let kernel = try kernel(index)
        let (x, w, b) = (randomTensor([2] + Self.cases[index].0, seed: 80), randomTensor(kernel.weightShape, seed: 81),
                         randomTensor([kernel.filters], seed: 82))
        let r = randomTensor([2] + kernel.outputShape, seed: 83)
        var g = Conv2DTransposeKernel.Gradients()
        try kernel.backward(input: x, outputGradient: r, weights: w, into: &g)
        let dX = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(forward(kernel, $0, w, b), r) }, at: x)
        let dW = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(forward(kernel, x, $0, b), r) }, at: w)
        let dB = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(forward(kernel, x, w, $0), r) }, at: b)
        #expect(relativeError(try #require(g.input), dX) < 1e-3)
        #expect(relativeError(g.weights, dW) < 1e-3)
        #expect(relativeError(g.bias, dB) < 1e-3)
        var withoutInput = Conv2DTransposeKernel.Gradients()
        try kernel.backward(input: x, outputGradient: r, weights: w, inputGradient: false, into: &withoutInput)
        #expect(withoutInput.input == nil && withoutInput.weights == g.weights)
    }

    @Test("bad operands are errors that name the shapes")
    func badOperands() throws {
        let kernel = try kernel(0)
        var y = Tensor([])
        #expect(throws: TensorError.shapeMismatch(operation: "Conv2DTranspose weights [kh, kw, filters, cin]",
                                                  expected: [3, 3, 3, 2], found: [3, 3, 2, 3])) {
            try kernel.forward(randomTensor([1, 3, 4, 2], seed: 1), weights: randomTensor([3, 3, 2, 3], seed: 2), bias: nil, into: &y)
        }
        #expect(throws: TensorError.self) {
            try kernel.forward(randomTensor([1, 4, 4, 2], seed: 1), weights: randomTensor([3, 3, 3, 2], seed: 2), bias: nil, into: &y)
        }
        #expect(throws: TensorError.self) { try Conv2DTransposeKernel(inputShape: [3, 3, 1], filters: 0, kernelSize: (3, 3)) }
    }
}
