import Testing
import Tensor

@Suite("UpSample2D kernel")
struct UpSampleKernelTests {
    /// TensorFlow's `resize` with half-pixel centres, in Double, one output scalar at a time.
    func reference(_ x: Tensor, rows: Int, columns: Int, bilinear: Bool) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let xs = x.scalars
        func taps(_ output: Int, _ factor: Int, _ size: Int) -> [(Int, Double)] {
            guard bilinear else { return [(output / factor, 1)] }
            let position = max((Double(output) + 0.5) / Double(factor) - 0.5, 0)
            let low = min(Int(position.rounded(.down)), size - 1)
            return [(low, 1 - (position - Double(low))), (min(low + 1, size - 1), position - Double(low))]
        }
        var out: [Float] = []
        for image in 0..<n {
            for oh in 0..<(h * rows) {
                for ow in 0..<(w * columns) {
                    for channel in 0..<c {
                        var sum = 0.0
                        for (ih, a) in taps(oh, rows, h) {
                            for (iw, b) in taps(ow, columns, w) {
                                sum += a * b * Double(xs[((image * h + ih) * w + iw) * c + channel])
                            }
                        }
                        out.append(Float(sum))
                    }
                }
            }
        }
        return try! Tensor(shape: [n, h * rows, w * columns, c], scalars: out)
    }

    @Test("forward matches the direct formula; backward is its adjoint", arguments: UpSample2DKernel.Interpolation.allCases)
    func forwardAndAdjoint(_ interpolation: UpSample2DKernel.Interpolation) throws {
        for (shape, factors) in [([3, 4, 2], (2, 3)), ([1, 5, 3], (3, 1)), ([2, 2, 1], (1, 1))] {
            let kernel = try UpSample2DKernel(imageShape: shape, factors: factors, interpolation: interpolation)
            let x = randomTensor([2] + shape, seed: 31)
            var y = Tensor([])
            try kernel.forward(x, into: &y)
            let expected = reference(x, rows: factors.0, columns: factors.1, bilinear: interpolation == .bilinear)
            #expect(y.shape == expected.shape)
            #expect(relativeError(y, expected) < 1e-6, "\(shape) \(factors)")
            // <forward(x), g> = <x, backward(g)> for any g.
            let g = randomTensor(y.shape, seed: 32)
            var dx = Tensor([])
            try kernel.backward(outputGradient: g, into: &dx)
            let left = zip(y.scalars, g.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(x.scalars, dx.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(left - right) < 1e-4 * max(1, abs(left)), "\(shape) \(factors)")
        }
    }

    @Test("nearest repeats each pixel; bilinear keeps a constant image constant and interpolates between centres")
    func knownValues() throws {
        let x = try Tensor(shape: [1, 1, 2, 1], scalars: [0, 4])
        var y = Tensor([])
        try UpSample2DKernel(imageShape: [1, 2, 1], factors: (1, 2), interpolation: .nearest).forward(x, into: &y)
        #expect(y.scalars == [0, 0, 4, 4])
        try UpSample2DKernel(imageShape: [1, 2, 1], factors: (1, 2), interpolation: .bilinear).forward(x, into: &y)
        #expect(y.scalars == [0, 1, 3, 4])  // centres at 0.25, 0.75, 1.25, 1.75 input pixels, edges clamped
        let constant = try Tensor.filled([2, 3, 3, 2], with: 2.5)
        try UpSample2DKernel(imageShape: [3, 3, 2], factors: (4, 3), interpolation: .bilinear).forward(constant, into: &y)
        #expect(y.scalars.allSatisfy { abs($0 - 2.5) < 1e-6 })
    }

    @Test("bad shapes and factors are errors that say what was expected")
    func badOperands() throws {
        #expect(throws: TensorError.self) { try UpSample2DKernel(imageShape: [3, 0, 1], factors: (2, 2), interpolation: .nearest) }
        #expect(throws: TensorError.self) { try UpSample2DKernel(imageShape: [3, 3, 1], factors: (0, 2), interpolation: .nearest) }
        let kernel = try UpSample2DKernel(imageShape: [3, 3, 1], factors: (2, 2), interpolation: .nearest)
        var y = Tensor([])
        #expect(throws: TensorError.shapeMismatch(operation: "UpSample2DKernel forward [batch, height, width, channels]",
                                                  expected: [2, 3, 3, 1], found: [2, 3, 4, 1])) {
            try kernel.forward(randomTensor([2, 3, 4, 1], seed: 1), into: &y)
        }
    }
}
