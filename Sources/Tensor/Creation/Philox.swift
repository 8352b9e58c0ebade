/// Philox4x32-10, the counter-based random number generator of Salmon, Moraes, Dror and Shaw
/// ("Parallel Random Numbers: As Easy as 1, 2, 3", SC 2011), as in Random123, cuRAND and
/// PyTorch's dropout on GPUs.
///
/// Block `i` under a key is a pure function of `(i, key)`: any thread can draw any part of a
/// stream without the parts before it, so bulk random numbers are computed in parallel and
/// still repeat exactly for one seed, whatever the thread count. Blocks are computed four at
/// a time, one per SIMD lane.
///
/// ```swift
/// let bits = Philox4x32(key: 42).block(0)   // four UInt32s
/// ```
public struct Philox4x32: Sendable, Equatable {
    /// Four vectors of four words: `words.0[j]` is word 0 of the j-th block, and so on.
    public typealias Words = (SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>)

    /// The 64-bit key (the seed of the stream).
    public let key: UInt64

    /// The generator of the stream with this key.
    public init(key: UInt64) {
        self.key = key
    }

    /// The four random words of block `counter` (a 128-bit counter whose upper half is 0).
    public func block(_ counter: UInt64) -> SIMD4<UInt32> {
        let words = blocks(startingAt: counter)
        return SIMD4(words.0[0], words.1[0], words.2[0], words.3[0])
    }

    /// Blocks `counter ..< counter + 4` (wrapping past 2⁶⁴): word `w` of block `counter + j` is `words.w[j]`.
    @inlinable
    public func blocks(startingAt counter: UInt64) -> Words {
        let counters = SIMD4<UInt64>(repeating: counter) &+ SIMD4(0, 1, 2, 3)
        return Self.rounds((SIMD4(truncatingIfNeeded: counters), SIMD4(truncatingIfNeeded: counters &>> 32), .zero, .zero),
                           key: (UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32)))
    }

    /// Ten rounds of Philox4x32 on four full 128-bit counters (word `w` of counter `j` in
    /// `counters.w[j]`) under a 64-bit key: Random123's `philox4x32_R(10, counter, key)` per lane.
    @inlinable
    public static func rounds(_ counters: Words, key: (UInt32, UInt32)) -> Words {
        var (c, k) = (counters, key)
        for round in 0..<10 {
            if round > 0 { k = (k.0 &+ 0x9E37_79B9, k.1 &+ 0xBB67_AE85) }
            let product0 = SIMD4<UInt64>(truncatingIfNeeded: c.0) &* 0xD251_1F53
            let product1 = SIMD4<UInt64>(truncatingIfNeeded: c.2) &* 0xCD9E_8D57
            c = (SIMD4(truncatingIfNeeded: product1 &>> 32) ^ c.1 ^ SIMD4(repeating: k.0), SIMD4(truncatingIfNeeded: product1),
                 SIMD4(truncatingIfNeeded: product0 &>> 32) ^ c.3 ^ SIMD4(repeating: k.1), SIMD4(truncatingIfNeeded: product0))
        }
        return c
    }
}
