/// A fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same sequence on every platform, so one seed repeats a
/// whole run: weight initialisation, shuffling, dropout and augmentation.
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let w = try Tensor.glorotUniform([3, 3, 1, 32], using: &rng)
/// let order = (0..<60_000).shuffled(using: &rng)
/// ```
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var stateWords: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose sequence is determined by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        stateWords = (next(), next(), next(), next())
    }

    /// The generator's complete state, to save and restore a run exactly (see ``init(state:)``).
    public var state: [UInt64] { [stateWords.0, stateWords.1, stateWords.2, stateWords.3] }

    /// A generator continuing exactly where the one whose ``state`` this was left off.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` unless there are 4 words, not all 0.
    public init(state: [UInt64]) throws {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw TensorError.invalidArgument(name: "state", value: "\(state)", reason: "expected 4 words, not all zero")
        }
        stateWords = (state[0], state[1], state[2], state[3])
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(stateWords.1 &* 5, by: 7) &* 9
        let t = stateWords.1 << 17
        stateWords.2 ^= stateWords.0
        stateWords.3 ^= stateWords.1
        stateWords.1 ^= stateWords.2
        stateWords.0 ^= stateWords.3
        stateWords.2 ^= t
        stateWords.3 = rotateLeft(stateWords.3, by: 45)
        return result
    }

    /// A new generator with an independent sequence, derived from this one; this one
    /// advances. Use it to give each consumer (initialiser, shuffler, dropout) its own stream.
    public mutating func split() -> RandomGenerator {
        RandomGenerator(seed: next())
    }

    /// A uniform Float in `[0, 1)` with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal sample (Box–Muller).
    public mutating func nextGaussian() -> Float {
        let u1 = Double(next() >> 11) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let radius = (-2 * _log(Swift.max(u1, .leastNonzeroMagnitude))).squareRoot()
        return Float(radius * _cos(2 * .pi * u2))
    }

    public static func == (lhs: RandomGenerator, rhs: RandomGenerator) -> Bool {
        lhs.stateWords == rhs.stateWords
    }

    private func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

import Foundation
private func _log(_ x: Double) -> Double { Foundation.log(x) }
private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
