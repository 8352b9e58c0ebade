/// Dropout of a tensor: each element is zeroed with probability `rate` and the others are
/// scaled by `1 / (1 − rate)`, so that the expected value is unchanged.
///
/// The random numbers are Philox4x32-10 blocks (``Philox4x32``) under the seed of the call,
/// element `16g + 4w + j` taking word `w` of block `4g + j` (so that four blocks computed side
/// by side give sixteen consecutive elements): the mask is drawn and applied in one pass
/// split across threads, and one seed gives the same mask whatever the thread count. An
/// element is dropped when its 32-bit word is below `rate · 2³²` (rounded to the nearest
/// integer), so the rate is honoured to 2⁻³².
///
/// The kernel follows the contract of all kernels: made from its setting, `forward(…, into:)`
/// keeps the mask, and `backward(…, into:)` multiplies the gradient by it.
///
/// ```swift
/// var dropout = try DropoutKernel(rate: 0.5)
/// var (y, dx) = (Tensor([]), Tensor([]))
/// try dropout.forward(x, seed: 7, into: &y)
/// try dropout.backward(outputGradient: dy, into: &dx)
/// ```
public struct DropoutKernel: Sendable {
    /// The probability that an element is dropped, in `[0, 1)`.
    public let rate: Float
    /// The factor kept elements are scaled by, `1 / (1 − rate)`.
    public let scale: Float
    private let threshold: UInt32
    // 0 or `scale` for every element of the last forward's input.
    private var mask = Tensor(uninitializedShape: [0])

    /// Dropout with probability `rate`.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` unless `0 <= rate < 1`.
    public init(rate: Float) throws {
        guard rate >= 0, rate < 1 else {
            throw TensorError.invalidArgument(name: "rate", value: "\(rate)", reason: "expected a value in [0, 1)")
        }
        self.rate = rate
        scale = 1 / (1 - rate)
        threshold = UInt32((Double(rate) * 0x1p32).rounded())
    }

    /// The elements of `input`, each zeroed or scaled by ``scale`` as the mask drawn from
    /// `seed` says, written into `output` (resized to `input`'s shape; it reuses its buffer
    /// when it can). The mask is kept for ``backward(outputGradient:into:)``.
    public mutating func forward(_ input: Tensor, seed: UInt64, into output: inout Tensor) throws {
        try mask.resizeDiscardingContents(to: input.shape)
        try output.resizeDiscardingContents(to: input.shape)
        let (source, target, kept) = (input.storage.pointer, output.storage.pointer, mask.storage.pointer)
        let (count, threshold, scale, philox) = (input.count, threshold, scale, Philox4x32(key: seed))
        // Group g of 16 elements takes blocks 4g ..< 4g + 4: element 16g + 4w + j takes word w of block 4g + j.
        parallelChunks(count: (count + 15) / 16, costPerItem: 128) { groups in
            for group in groups {
                let words = philox.blocks(startingAt: 4 * UInt64(group))
                func apply(_ word: SIMD4<UInt32>, _ w: Int) {
                    let first = 16 * group + 4 * w
                    let factors = SIMD4(repeating: scale).replacing(with: 0, where: word .< SIMD4(repeating: threshold))
                    if first + 4 <= count {
                        factors.store(to: kept + first)
                        (SIMD4.load(source + first) * factors).store(to: target + first)
                    } else {
                        for index in first..<Swift.max(first, count) {
                            kept[index] = factors[index - first]
                            target[index] = source[index] * factors[index - first]
                        }
                    }
                }
                apply(words.0, 0)
                apply(words.1, 1)
                apply(words.2, 2)
                apply(words.3, 3)
            }
        }
    }

    /// `outputGradient` times the last forward's mask, written into `inputGradient`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` unless the gradient
    ///   has the shape of the last forward's input.
    public func backward(outputGradient: Tensor, into inputGradient: inout Tensor) throws {
        guard outputGradient.shape == mask.shape else {
            throw TensorError.shapeMismatch(operation: "Dropout backward output gradient", expected: mask.shape,
                                            found: outputGradient.shape)
        }
        try inputGradient.resizeDiscardingContents(to: mask.shape)
        let (source, target, kept) = (outputGradient.storage.pointer, inputGradient.storage.pointer, mask.storage.pointer)
        parallelChunks(count: mask.count, costPerItem: 3) { range in
            for index in range { target[index] = source[index] * kept[index] }
        }
    }
}
