import Testing
import Tensor

/// Winograd F(2×2, 3×3) against im2col, the reference algorithm, on layers the size of the
/// MNIST networks' (the small cases and finite differences are in ConvolutionTests).
@Suite("Winograd convolution")
struct WinogradTests {
    static let layers: [ConvCase] = [
        ConvCase(batch: 6, height: 13, width: 13, channels: 32, kernelHeight: 3, kernelWidth: 3, filters: 64,
                 strideHeight: 1, strideWidth: 1, padding: .valid),
        ConvCase(batch: 3, height: 26, width: 26, channels: 32, kernelHeight: 3, kernelWidth: 3, filters: 32,
                 strideHeight: 1, strideWidth: 1, padding: .valid),
        ConvCase(batch: 5, height: 12, width: 12, channels: 16, kernelHeight: 3, kernelWidth: 3, filters: 24,
                 strideHeight: 1, strideWidth: 1, padding: .same),
        ConvCase(batch: 4, height: 9, width: 10, channels: 10, kernelHeight: 3, kernelWidth: 3, filters: 6,
                 strideHeight: 1, strideWidth: 1, padding: .same),
    ]

    func kernel(_ c: ConvCase, _ algorithm: Conv2DKernel.Algorithm) throws -> Conv2DKernel {
        try Conv2DKernel(inputShape: [c.height, c.width, c.channels], filters: c.filters, kernelSize: (3, 3),
                         padding: c.padding, algorithm: algorithm)
    }

    @Test("output and all three gradients agree with im2col to 1e-5 (F(4x4) measured 2e-6)",
          arguments: layers, [Conv2DKernel.Algorithm.winograd, .winograd4x4])
    func agreesWithIm2col(_ c: ConvCase, _ algorithm: Conv2DKernel.Algorithm) throws {
        var (winograd, im2col) = (try kernel(c, algorithm), try kernel(c, .im2col))
        let tolerance: Float = 1e-5
        let x = randomTensor([c.batch, c.height, c.width, c.channels], seed: 1)
        let w = try randomTensor([3, 3, c.channels, c.filters], seed: 2) * 0.2
        let b = randomTensor([c.filters], seed: 3)
        let dy = randomTensor([c.batch] + im2col.outputShape, seed: 4)
        #expect(relativeError(try winograd.forward(x, weights: w, bias: b), try im2col.forward(x, weights: w, bias: b)) < tolerance)
        #expect(relativeError(try winograd.forward(x, weights: w, bias: nil), try im2col.forward(x, weights: w, bias: nil)) < tolerance)
        let fast = try winograd.backward(input: x, outputGradient: dy, weights: w)
        let reference = try im2col.backward(input: x, outputGradient: dy, weights: w)
        #expect(relativeError(try #require(fast.input), try #require(reference.input)) < tolerance)
        #expect(relativeError(fast.weights, reference.weights) < tolerance)
        // The bias gradient, summed in a different order by each algorithm, against a sum in Double
        // (Float sums of 720 terms of both signs are good to about 1e-6 of the result).
        let rows = dy.scalars.count / c.filters
        let exactBias = try Tensor(shape: [c.filters], scalars: (0..<c.filters).map { f in
            Float((0..<rows).reduce(0.0) { $0 + Double(dy.scalars[$1 * c.filters + f]) })
        })
        #expect(relativeError(fast.bias, exactBias) < 1e-5)
        #expect(relativeError(reference.bias, exactBias) < 1e-5)
        let weightsOnly = try winograd.backward(input: x, outputGradient: dy, weights: w, inputGradient: false)
        #expect(weightsOnly.input == nil)
        #expect(weightsOnly.weights == fast.weights)
    }

    @Test("the preferred algorithm: im2col unless 3x3 stride 1 over 8+ channels; then F(4x4) where it saves a quarter")
    func preferredAlgorithm() throws {
        func chosen(_ shape: [Int], _ size: Int, _ stride: Int, padding: Padding = .valid) throws -> Conv2DKernel.Algorithm {
            try Conv2DKernel(inputShape: shape, filters: 4, kernelSize: (size, size), strides: (stride, stride),
                             padding: padding).algorithm
        }
        #expect(try chosen([13, 13, 32], 3, 1) == .winograd4x4)   // 11x11: 9 tiles of 36 against 36 of 16
        #expect(try chosen([26, 26, 32], 3, 1) == .winograd4x4)   // 24x24
        #expect(try chosen([10, 10, 64], 3, 1) == .winograd4x4)   // 8x8
        #expect(try chosen([12, 12, 32], 3, 1) == .winograd)      // 10x10: 25 tiles of 16 fit exactly
        #expect(try chosen([10, 10, 8], 3, 1, padding: .same) == .winograd)
        #expect(try chosen([13, 13, 7], 3, 1) == .im2col)
        #expect(try chosen([28, 28, 1], 3, 1) == .im2col)
        #expect(try chosen([24, 24, 32], 5, 1) == .im2col)
        #expect(try chosen([24, 24, 32], 3, 2) == .im2col)
        #expect(try Conv2DKernel(inputShape: [13, 13, 32], filters: 4, kernelSize: (3, 3), algorithm: .im2col).algorithm == .im2col)
    }

    @Test("asking Winograd for a geometry it cannot compute is an error that says why")
    func unsupportedGeometry() throws {
        #expect(throws: TensorError.invalidArgument(
            name: "algorithm", value: "winograd",
            reason: "expected a 3x3 kernel with stride 1, no dilation and no causal padding for Winograd, found 5x5 with "
                + "strides 2x2, dilation 1x1, padding .valid; use .im2col")) {
            try Conv2DKernel(inputShape: [24, 24, 32], filters: 4, kernelSize: (5, 5), strides: (2, 2), algorithm: .winograd)
        }
        #expect(throws: TensorError.self) {
            try Conv2DKernel(inputShape: [24, 24, 32], filters: 4, kernelSize: (3, 3), strides: (2, 2), algorithm: .winograd4x4)
        }
    }
}
