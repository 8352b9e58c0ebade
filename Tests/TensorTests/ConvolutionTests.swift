import Testing
import Tensor

/// A convolution case: input [n, h, w, c], kernel kh x kw, f filters, strides, padding.
struct ConvCase: CustomTestStringConvertible, Sendable, Equatable {
    let batch, height, width, channels, kernelHeight, kernelWidth, filters, strideHeight, strideWidth: Int
    let padding: Padding
    var dilationHeight = 1, dilationWidth = 1
    var testDescription: String {
        "\(batch)x\(height)x\(width)x\(channels) k\(kernelHeight)x\(kernelWidth) f\(filters) s\(strideHeight)x\(strideWidth) "
            + "d\(dilationHeight)x\(dilationWidth) \(padding)"
    }
}

let convolutionCases: [ConvCase] = [
    ConvCase(batch: 1, height: 5, width: 5, channels: 1, kernelHeight: 3, kernelWidth: 3, filters: 1, strideHeight: 1, strideWidth: 1, padding: .valid),
    ConvCase(batch: 2, height: 7, width: 6, channels: 3, kernelHeight: 3, kernelWidth: 3, filters: 4, strideHeight: 1, strideWidth: 1, padding: .same),
    ConvCase(batch: 3, height: 8, width: 9, channels: 2, kernelHeight: 3, kernelWidth: 2, filters: 5, strideHeight: 2, strideWidth: 2, padding: .valid),
    ConvCase(batch: 2, height: 9, width: 7, channels: 2, kernelHeight: 4, kernelWidth: 3, filters: 3, strideHeight: 2, strideWidth: 3, padding: .same),
    ConvCase(batch: 2, height: 6, width: 6, channels: 4, kernelHeight: 1, kernelWidth: 1, filters: 3, strideHeight: 1, strideWidth: 1, padding: .valid),
    ConvCase(batch: 1, height: 5, width: 4, channels: 3, kernelHeight: 1, kernelWidth: 1, filters: 2, strideHeight: 2, strideWidth: 2, padding: .same),
    ConvCase(batch: 4, height: 3, width: 3, channels: 2, kernelHeight: 3, kernelWidth: 3, filters: 2, strideHeight: 1, strideWidth: 1, padding: .valid),
    ConvCase(batch: 1, height: 4, width: 5, channels: 1, kernelHeight: 5, kernelWidth: 5, filters: 2, strideHeight: 1, strideWidth: 1, padding: .same),
    ConvCase(batch: 2, height: 11, width: 11, channels: 3, kernelHeight: 5, kernelWidth: 3, filters: 2, strideHeight: 3, strideWidth: 1, padding: .same),
    ConvCase(batch: 2, height: 13, width: 13, channels: 8, kernelHeight: 3, kernelWidth: 3, filters: 6, strideHeight: 1, strideWidth: 1, padding: .valid),
    ConvCase(batch: 3, height: 6, width: 5, channels: 2, kernelHeight: 3, kernelWidth: 3, filters: 3, strideHeight: 1, strideWidth: 1, padding: .valid),
    ConvCase(batch: 2, height: 2, width: 1, channels: 3, kernelHeight: 3, kernelWidth: 3, filters: 2, strideHeight: 1, strideWidth: 1, padding: .same),
    // Dilated taps, and causal padding (Conv1D's: sequences as images one row high).
    ConvCase(batch: 2, height: 9, width: 8, channels: 2, kernelHeight: 3, kernelWidth: 2, filters: 3, strideHeight: 1, strideWidth: 1, padding: .valid,
             dilationHeight: 2, dilationWidth: 3),
    ConvCase(batch: 2, height: 7, width: 6, channels: 3, kernelHeight: 3, kernelWidth: 3, filters: 2, strideHeight: 1, strideWidth: 1, padding: .same,
             dilationHeight: 2, dilationWidth: 2),
    ConvCase(batch: 3, height: 1, width: 9, channels: 2, kernelHeight: 1, kernelWidth: 3, filters: 3, strideHeight: 1, strideWidth: 1, padding: .causal,
             dilationHeight: 1, dilationWidth: 2),
    ConvCase(batch: 2, height: 1, width: 8, channels: 3, kernelHeight: 1, kernelWidth: 4, filters: 2, strideHeight: 1, strideWidth: 3, padding: .causal),
    ConvCase(batch: 2, height: 5, width: 5, channels: 2, kernelHeight: 3, kernelWidth: 3, filters: 2, strideHeight: 1, strideWidth: 1, padding: .causal),
]

/// A case computed by one algorithm.
struct AlgorithmCase: CustomTestStringConvertible, Sendable {
    let convolution: ConvCase
    let algorithm: Conv2DKernel.Algorithm
    var testDescription: String { "\(convolution.testDescription) \(algorithm)" }
}

/// Every case with every algorithm that supports its geometry.
let algorithmCases: [AlgorithmCase] = convolutionCases.flatMap { c in
    let window = try! WindowGeometry(inputHeight: c.height, inputWidth: c.width, windowHeight: c.kernelHeight,
                                     windowWidth: c.kernelWidth, strideHeight: c.strideHeight, strideWidth: c.strideWidth,
                                     dilationHeight: c.dilationHeight, dilationWidth: c.dilationWidth, padding: c.padding)
    return Conv2DKernel.Algorithm.allCases.filter { $0.supports(window) }.map { AlgorithmCase(convolution: c, algorithm: $0) }
}

@Suite("Conv2D kernel")
struct ConvolutionTests {
    func makeKernel(_ c: ConvCase, algorithm: Conv2DKernel.Algorithm = .im2col) throws -> Conv2DKernel {
        try Conv2DKernel(
            inputShape: [c.height, c.width, c.channels], filters: c.filters,
            kernelSize: (c.kernelHeight, c.kernelWidth), strides: (c.strideHeight, c.strideWidth),
            dilation: (c.dilationHeight, c.dilationWidth), padding: c.padding, algorithm: algorithm)
    }

    func operands(_ c: ConvCase, seed: UInt64) -> (x: Tensor, w: Tensor, b: Tensor) {
        (randomTensor([c.batch, c.height, c.width, c.channels], seed: seed),
         randomTensor([c.kernelHeight, c.kernelWidth, c.channels, c.filters], seed: seed + 1),
         randomTensor([c.filters], seed: seed + 2))
    }

    @Test("forward matches the direct loop", arguments: algorithmCases)
    func forwardMatchesNaiveLoop(_ a: AlgorithmCase) throws {
        let c = a.convolution
        var kernel = try makeKernel(c, algorithm: a.algorithm)
        #expect(kernel.algorithm == a.algorithm)
        let (x, w, b) = operands(c, seed: 10)
        let fast = try kernel.forward(x, weights: w, bias: b)
        let slow = Reference.conv2d(x, w, b, window: kernel.window)
        #expect(fast.shape == slow.shape)
        #expect(relativeError(fast, slow) < 1e-5)
        let noBias = try kernel.forward(x, weights: w, bias: nil)
        #expect(relativeError(noBias, Reference.conv2d(x, w, nil, window: kernel.window)) < 1e-5)
    }

    @Test("backward matches central finite differences",
          arguments: algorithmCases.filter { $0.convolution.channels * $0.convolution.filters <= 24 })
    func backwardMatchesFiniteDifferences(_ a: AlgorithmCase) throws {
        let c = a.convolution
        var kernel = try makeKernel(c, algorithm: a.algorithm)
        let (x, w, b) = operands(c, seed: 20)
        let r = randomTensor([c.batch] + kernel.outputShape, seed: 99)
        _ = try kernel.forward(x, weights: w, bias: b)
        let g = try kernel.backward(input: x, outputGradient: r, weights: w)
        var probe = kernel
        let dX = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(probe.forward($0, weights: w, bias: b), r) }, at: x)
        let dW = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(probe.forward(x, weights: $0, bias: b), r) }, at: w)
        let dB = try FiniteDifferences.gradient(of: { try FiniteDifferences.dot(probe.forward(x, weights: w, bias: $0), r) }, at: b)
        #expect(relativeError(try #require(g.input), dX) < 1e-3)
        #expect(relativeError(g.weights, dW) < 1e-3)
        #expect(relativeError(g.bias, dB) < 1e-3)
    }

    @Test("a fused ReLU equals ReLU after the convolution, and its backward masks the gradient",
          arguments: Conv2DKernel.Algorithm.allCases)
    func fusedReLU(_ algorithm: Conv2DKernel.Algorithm) throws {
        let c = ConvCase(batch: 3, height: 9, width: 8, channels: 8, kernelHeight: 3, kernelWidth: 3, filters: 6,
                         strideHeight: 1, strideWidth: 1, padding: .same)
        var kernel = try makeKernel(c, algorithm: algorithm)
        let (x, w, b) = operands(c, seed: 80)
        let dy = randomTensor([c.batch] + kernel.outputShape, seed: 81)
        let z = try kernel.forward(x, weights: w, bias: b)
        var y = Tensor([])
        try kernel.forward(x, weights: w, bias: b, activation: .relu, into: &y)
        #expect(y == z.map { $0 <= 0 ? 0 : $0 })
        #expect(y.scalars.contains(0) && y.scalars.contains { $0 > 0 }, "the case must have both signs")
        var fused = Conv2DKernel.Gradients()
        try kernel.backward(input: x, output: y, outputGradient: dy, weights: w, activation: .relu, into: &fused)
        let masked = try y.zip(dy) { y, dy in y <= 0 ? 0 : dy }
        let expected = try kernel.backward(input: x, outputGradient: masked, weights: w)
        #expect(relativeError(fused.weights, expected.weights) < 1e-6)
        #expect(relativeError(fused.bias, expected.bias) < 1e-6)
        #expect(relativeError(try #require(fused.input), try #require(expected.input)) < 1e-6)
        #expect(throws: TensorError.shapeMismatch(operation: "Conv2D backward output (to differentiate the ReLU)",
                                                  expected: dy.shape, found: [])) {
            try kernel.backward(input: x, outputGradient: dy, weights: w, activation: .relu, into: &fused)
        }
    }

    @Test("blocks of one image give the same results as one block of the whole batch",
          arguments: algorithmCases.filter { [1, 3, 9].contains(convolutionCases.firstIndex(of: $0.convolution)) })
    func blockingIsInvisible(_ a: AlgorithmCase) throws {
        let c = a.convolution
        var whole = try makeKernel(c, algorithm: a.algorithm)
        var blocked = whole
        whole.maximumBlockElements = 1 << 30
        blocked.maximumBlockElements = 1  // one image per block
        let (x, w, b) = operands(c, seed: 30)
        let r = randomTensor([c.batch] + whole.outputShape, seed: 31)
        #expect(relativeError(try blocked.forward(x, weights: w, bias: b), try whole.forward(x, weights: w, bias: b)) < 1e-6)
        let gw = try whole.backward(input: x, outputGradient: r, weights: w)
        let gb = try blocked.backward(input: x, outputGradient: r, weights: w)
        #expect(relativeError(try #require(gb.input), try #require(gw.input)) < 1e-6)
        #expect(relativeError(gb.weights, gw.weights) < 1e-5)
        #expect(relativeError(gb.bias, gw.bias) < 1e-6)
    }

    @Test("backward recomputes columns for an input other than the last forward's")
    func backwardWithDifferentInput() throws {
        let c = convolutionCases[1]
        var kernel = try makeKernel(c)
        let (x, w, b) = operands(c, seed: 40)
        let other = randomTensor(x.shape, seed: 41)
        let r = randomTensor([c.batch] + kernel.outputShape, seed: 42)
        _ = try kernel.forward(x, weights: w, bias: b)
        let afterOtherForward = try kernel.backward(input: other, outputGradient: r, weights: w, inputGradient: false)
        var fresh = try makeKernel(c)
        _ = try fresh.forward(other, weights: w, bias: b)
        let expected = try fresh.backward(input: other, outputGradient: r, weights: w, inputGradient: false)
        #expect(afterOtherForward.input == nil)
        #expect(afterOtherForward.weights == expected.weights)
    }

    @Test("forward into a reused output buffer")
    func forwardIntoReusedBuffer() throws {
        let c = convolutionCases[2]
        var kernel = try makeKernel(c)
        let (x, w, b) = operands(c, seed: 50)
        var output = try Tensor.zeros([1])
        try kernel.forward(x, weights: w, bias: b, into: &output)
        let first = output
        try kernel.forward(randomTensor(x.shape, seed: 51), weights: w, bias: b, into: &output)
        #expect(first == (try kernel.forward(x, weights: w, bias: b)), "a copy taken earlier must not change")
        #expect(output != first)
    }

    @Test("col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>", arguments: convolutionCases)
    func col2imIsAdjointOfIm2col(_ c: ConvCase) throws {
        let kernel = try makeKernel(c)
        let x = randomTensor([c.batch, c.height, c.width, c.channels], seed: 60)
        let columns = try kernel.im2col(x)
        #expect(columns.shape == [c.batch * kernel.window.outputHeight * kernel.window.outputWidth,
                                  c.kernelHeight * c.kernelWidth * c.channels])
        let probe = randomTensor(columns.shape, seed: 61)
        let back = try kernel.col2im(probe)
        #expect(back.shape == x.shape)
        let lhs = FiniteDifferences.dot(columns, probe)
        let rhs = FiniteDifferences.dot(x, back)
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)))
        #expect(throws: TensorError.self) { try kernel.col2im(Tensor.zeros([columns.shape[0], columns.shape[1] + 1])) }
    }

    @Test("backward into reused gradients leaves earlier copies intact")
    func backwardIntoReusedGradients() throws {
        let c = convolutionCases[1]
        var kernel = try makeKernel(c)
        let (x, w, b) = operands(c, seed: 70)
        let r1 = randomTensor([c.batch] + kernel.outputShape, seed: 71)
        let r2 = randomTensor(r1.shape, seed: 72)
        _ = try kernel.forward(x, weights: w, bias: b)
        var gradients = Conv2DKernel.Gradients()
        try kernel.backward(input: x, outputGradient: r1, weights: w, into: &gradients)
        let first = gradients
        try kernel.backward(input: x, outputGradient: r2, weights: w, into: &gradients)
        let expectedFirst = try kernel.backward(input: x, outputGradient: r1, weights: w)
        let expectedSecond = try kernel.backward(input: x, outputGradient: r2, weights: w)
        #expect(first.weights == expectedFirst.weights && first.bias == expectedFirst.bias && first.input == expectedFirst.input)
        #expect(gradients.weights == expectedSecond.weights && gradients.input == expectedSecond.input)
        try kernel.backward(input: x, outputGradient: r2, weights: w, inputGradient: false, into: &gradients)
        #expect(gradients.input == nil)
    }

    @Test("bad operands throw errors that name the shapes")
    func badOperands() throws {
        var kernel = try Conv2DKernel(inputShape: [8, 8, 3], filters: 4, kernelSize: (3, 3))
        let x = try Tensor.zeros([2, 8, 8, 3])
        let w = try Tensor.zeros([3, 3, 3, 4])
        #expect(throws: TensorError.shapeMismatch(
            operation: "Conv2D forward input [batch, height, width, channels]", expected: [2, 8, 8, 3], found: [2, 8, 8, 1])) {
            try kernel.forward(Tensor.zeros([2, 8, 8, 1]), weights: w, bias: nil)
        }
        #expect(throws: TensorError.shapeMismatch(
            operation: "Conv2D weights [kh, kw, cin, cout]", expected: [3, 3, 3, 4], found: [3, 3, 1, 4])) {
            try kernel.forward(x, weights: Tensor.zeros([3, 3, 1, 4]), bias: nil)
        }
        #expect(throws: TensorError.shapeMismatch(operation: "Conv2D bias", expected: [4], found: [3])) {
            try kernel.forward(x, weights: w, bias: Tensor.zeros([3]))
        }
        #expect(throws: TensorError.empty(operation: "Conv2D forward", shape: [0, 8, 8, 3])) {
            try kernel.forward(Tensor.zeros([0, 8, 8, 3]), weights: w, bias: nil)
        }
        #expect(throws: TensorError.self) {
            try kernel.backward(input: x, outputGradient: Tensor.zeros([2, 5, 5, 4]), weights: w)
        }
        #expect(throws: TensorError.self) { try Conv2DKernel(inputShape: [2, 2, 1], filters: 1, kernelSize: (3, 3)) }
        #expect(throws: TensorError.self) { try Conv2DKernel(inputShape: [8, 8, 1], filters: 0, kernelSize: (3, 3)) }
        #expect(throws: TensorError.self) {
            try Conv2DKernel(inputShape: [8, 8, 1], filters: 1, kernelSize: (3, 3), strides: (0, 1))
        }
        let message = "\(TensorError.shapeMismatch(operation: "Conv2D bias", expected: [4], found: [3]))"
        #expect(message == "Conv2D bias: expected shape [4], found [3]")
    }

    @Test("same padding follows Keras: output = ceil(input / stride), extra padding at the end")
    func samePaddingGeometry() throws {
        let g = try WindowGeometry(inputHeight: 7, inputWidth: 8, windowHeight: 4, windowWidth: 3,
                                   strideHeight: 2, strideWidth: 3, padding: .same)
        #expect(g.outputHeight == 4 && g.outputWidth == 3)
        // total padding rows = (4-1)*2 + 4 - 7 = 3 -> 1 above, 2 below; columns = (3-1)*3 + 3 - 8 = 1 -> 0 left.
        #expect(g.padTop == 1 && g.padLeft == 0)
        #expect(g.padBottom == 2 && g.padRight == 1)
    }

    @Test("causal padding pads the start only, by the dilated span less one; dilation widens a valid window")
    func causalAndDilatedGeometry() throws {
        let causal = try WindowGeometry(inputHeight: 1, inputWidth: 9, windowHeight: 1, windowWidth: 3,
                                        dilationWidth: 4, padding: .causal)
        #expect(causal.outputWidth == 9 && causal.padLeft == 8 && causal.padRight == 0 && causal.padTop == 0)
        let strided = try WindowGeometry(inputHeight: 1, inputWidth: 10, windowHeight: 1, windowWidth: 2,
                                         strideWidth: 3, padding: .causal)
        #expect(strided.outputWidth == 4 && strided.padLeft == 1 && strided.padRight == 0)
        let dilated = try WindowGeometry(inputHeight: 7, inputWidth: 9, windowHeight: 3, windowWidth: 2,
                                         dilationHeight: 3, dilationWidth: 2)
        #expect(dilated.spanHeight == 7 && dilated.spanWidth == 3)
        #expect(dilated.outputHeight == 1 && dilated.outputWidth == 7)
        #expect(throws: TensorError.self) {
            try WindowGeometry(inputHeight: 6, inputWidth: 9, windowHeight: 3, windowWidth: 2, dilationHeight: 3)
        }
        #expect(throws: TensorError.self) {
            try WindowGeometry(inputHeight: 6, inputWidth: 9, windowHeight: 3, windowWidth: 2, dilationWidth: 0)
        }
    }
}
