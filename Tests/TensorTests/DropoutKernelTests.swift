import Testing
import Tensor

@Suite("Dropout kernel and Philox")
struct DropoutKernelTests {
    /// Philox4x32-10 of one full 128-bit counter, computed in lane `lane` of four.
    func philox(_ counter: SIMD4<UInt32>, key: (UInt32, UInt32), lane: Int) -> SIMD4<UInt32> {
        var counters: Philox4x32.Words = (.zero, .zero, .zero, .zero)
        (counters.0[lane], counters.1[lane], counters.2[lane], counters.3[lane]) = (counter[0], counter[1], counter[2], counter[3])
        let words = Philox4x32.rounds(counters, key: key)
        return SIMD4(words.0[lane], words.1[lane], words.2[lane], words.3[lane])
    }

    @Test("Philox4x32-10 gives Random123's known answers in every lane", arguments: 0..<4)
    func philoxKnownAnswers(lane: Int) {
        #expect(philox(SIMD4(0, 0, 0, 0), key: (0, 0), lane: lane) == SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        #expect(philox(SIMD4(repeating: 0xFFFF_FFFF), key: (0xFFFF_FFFF, 0xFFFF_FFFF), lane: lane)
                == SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
        #expect(philox(SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), key: (0xA409_3822, 0x299F_31D0), lane: lane)
                == SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }

    @Test("blocks(startingAt:) is four consecutive counters, carrying into the high word")
    func consecutiveBlocks() {
        let generator = Philox4x32(key: 0x299F_31D0_A409_3822)
        let start: UInt64 = 0xFFFF_FFFE
        let words = generator.blocks(startingAt: start)
        for j in 0..<4 {
            let counter = start + UInt64(j)
            let expected = philox(SIMD4(UInt32(truncatingIfNeeded: counter), UInt32(counter >> 32), 0, 0),
                                  key: (0xA409_3822, 0x299F_31D0), lane: 0)
            #expect(SIMD4(words.0[j], words.1[j], words.2[j], words.3[j]) == expected)
            #expect(generator.block(counter) == expected)
        }
    }

    @Test("drops the rate's fraction, scales the rest by 1 / (1 - rate), and backward applies the same mask")
    func dropsAndScales() throws {
        let x = try Tensor.ones([1000, 1000]) + randomTensor([1000, 1000], seed: 1)
        var kernel = try DropoutKernel(rate: 0.3)
        var y = Tensor([])
        try kernel.forward(x, seed: 11, into: &y)
        let (input, output) = (x.scalars, y.scalars)
        let dropped = output.filter { $0 == 0 }.count
        // Binomial(10⁶, 0.3): the standard deviation of the fraction is 4.6e-4; allow 6 of them.
        #expect(abs(Double(dropped) / 1e6 - 0.3) < 0.0028)
        #expect(zip(input, output).allSatisfy { $1 == 0 || $1 == $0 * kernel.scale })
        // The four words of a block decide independently: a group of four is all kept or all
        // dropped with probability 0.7⁴ + 0.3⁴ = 0.2482.
        let uniform = stride(from: 0, to: output.count, by: 4).filter { Set(output[$0..<$0 + 4].map { $0 == 0 }).count == 1 }
        #expect(abs(Double(uniform.count) / 250_000 - 0.2482) < 0.01)
        let dy = randomTensor(x.shape, seed: 2)
        var dx = Tensor([])
        try kernel.backward(outputGradient: dy, into: &dx)
        #expect(zip(zip(dy.scalars, dx.scalars), output).allSatisfy { pair, out in pair.1 == (out == 0 ? 0 : pair.0 * kernel.scale) })
        #expect(throws: TensorError.shapeMismatch(operation: "Dropout backward output gradient", expected: [1000, 1000], found: [10])) {
            try kernel.backward(outputGradient: Tensor.zeros([10]), into: &dx)
        }
    }

    @Test("one seed gives one mask: element i depends on the seed and i alone")
    func repeatable() throws {
        var kernel = try DropoutKernel(rate: 0.5)
        var (a, b, c, short) = (Tensor([]), Tensor([]), Tensor([]), Tensor([]))
        let x = try Tensor.ones([4099])
        try kernel.forward(x, seed: 5, into: &a)
        try kernel.forward(x, seed: 5, into: &b)
        try kernel.forward(x, seed: 6, into: &c)
        try kernel.forward(try Tensor.ones([10]), seed: 5, into: &short)
        #expect(a == b)
        #expect(a != c)
        #expect(Array(a.scalars.prefix(10)) == short.scalars)
    }

    @Test("rate 0 keeps everything; a rate outside [0, 1) is an error")
    func rates() throws {
        var kernel = try DropoutKernel(rate: 0)
        let x = randomTensor([3, 7], seed: 3)
        var y = Tensor([])
        try kernel.forward(x, seed: 1, into: &y)
        #expect(y == x)
        #expect(throws: TensorError.invalidArgument(name: "rate", value: "1.0", reason: "expected a value in [0, 1)")) {
            try DropoutKernel(rate: 1)
        }
        #expect(throws: TensorError.self) { try DropoutKernel(rate: -0.1) }
    }
}
