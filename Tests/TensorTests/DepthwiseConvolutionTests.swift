import Testing
import Tensor

@Suite("DepthwiseConv2D kernel")
struct DepthwiseConvolutionTests {
    /// [h, w, channels], kernel, multiplier, strides, dilation, padding.
    static let cases: [([Int], (Int, Int), Int, (Int, Int), (Int, Int), Padding)] = [
        ([5, 6, 3], (3, 3), 1, (1, 1), (1, 1), .valid),
        ([7, 6, 2], (3, 2), 3, (2, 1), (1, 1), .same),
        ([8, 7, 4], (2, 3), 2, (1, 1), (2, 2), .same),
        ([6, 9, 1], (1, 3), 2, (1, 3), (1, 1), .causal),
    ]

    func kernel(_ index: Int) throws -> DepthwiseConv2DKernel {
        let (shape, size, multiplier, strides, dilation, padding) = Self.cases[index]
        return try DepthwiseConv2DKernel(inputShape: shape, multiplier: multiplier, kernelSize: size, strides: strides,
                                         dilation: dilation, padding: padding)
    }

    func forward(_ kernel: DepthwiseConv2DKernel, _ x: Tensor, _ w: Tensor, _ b: Tensor?) throws -> Tensor {
        var y = Tensor([])
        try kernel.forward(x, weights: w, bias: b, into: &y)
        return y
    }

    /// The depthwise weights as a full convolution's, zero between different channels.
    func blockDiagonal(_ w: Tensor) -> Tensor {
        let (kh, kw, c, m) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        var full = [Float](repeating: 0, count: kh * kw * c * c * m)
        for tap in 0..<(kh * kw) {
            for channel in 0..<c {
                for j in 0..<m { full[(tap * c + channel) * c * m + channel * m + j] = w.scalars[(tap * c + channel) * m + j] }
            }
        }
        return try! Tensor(shape: [kh, kw, c, c * m], scalars: full)
    }

    @Test("forward equals a full convolution with block-diagonal weights", arguments: 0..<cases.count)
    func forwardMatchesReference(_ index: Int) throws {
        let kernel = try kernel(index)
        let x = randomTensor([2] + Self.cases[index].0, seed: 40)
        let w = randomTensor(kernel.weightShape, seed: 41)
        let b = randomTensor([kernel.outputChannels], seed: 42)
        let y = try forward(kernel, x, w, b)
        let expected = Reference.conv2d(x, blockDiagonal(w), b, window: kernel.window)
        #expect(y.shape == expected.shape)
        #expect(relativeError(y, expected) < 1e-5)
        #expect(relativeError(try forward(kernel, x, w, nil), Reference.conv2d(x, blockDiagonal(w), nil, window: kernel.window)) < 1e-5)
    }

    @Test("backward matches central finite differences", arguments: 0..<cases.count)
    func backwardMatchesFiniteDifferences(_ index: Int) throws {
        let kernel = try kernel(index)
        let x = randomTensor([3] + Self.cases[index].0, seed: 50)
        let w = randomTensor(kernel.weightShape, seed: 51)
        let b = randomTensor([kernel.outputChannels], seed: 52)
        let r = randomTensor([3] + kernel.outputShape, seed: 53)
        var g = DepthwiseConv2DKernel.Gradients()
        try kernel.backward(input: x, outputGradient: r, weights: w, into: &g)
        let dX = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(forward(kernel, $0, w, b), r) }, at: x)
        let dW = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(forward(kernel, x, $0, b), r) }, at: w)
        let dB = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(forward(kernel, x, w, $0), r) }, at: b)
        #expect(relativeError(try #require(g.input), dX) < 1e-3)
        #expect(relativeError(g.weights, dW) < 1e-3)
        #expect(relativeError(g.bias, dB) < 1e-3)
    }

    @Test("bad operands are errors that name the shapes")
    func badOperands() throws {
        let kernel = try kernel(0)
        var y = Tensor([])
        #expect(throws: TensorError.shapeMismatch(operation: "DepthwiseConv2D weights [kh, kw, channels, multiplier]",
                                                  expected: [3, 3, 3, 1], found: [3, 3, 3, 2])) {
            try kernel.forward(randomTensor([1, 5, 6, 3], seed: 1), weights: randomTensor([3, 3, 3, 2], seed: 2), bias: nil, into: &y)
        }
        #expect(throws: TensorError.self) { try DepthwiseConv2DKernel(inputShape: [5, 5, 2], multiplier: 0, kernelSize: (3, 3)) }
        #expect(throws: TensorError.self) { try DepthwiseConv2DKernel(inputShape: [2, 5, 2], multiplier: 1, kernelSize: (3, 3)) }
    }
}
