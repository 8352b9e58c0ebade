import Foundation

/// The optimizers' update rules, each one fused pass over flat buffers of weights,
/// gradients and per-weight state, split across threads. The formulas are Keras's.
///
/// A model keeps all its trainable weights in one buffer and their gradients in another
/// of the same size; `Layers`' optimizers call these with those buffers.
public enum UpdateRule {
    /// Plain or momentum SGD: `v = μv − lr·g`, then `w += v`, or with Nesterov
    /// `w += μv − lr·g`; without momentum (`velocity` nil) `w −= lr·g`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the buffers differ in size.
    public static func sgd(
        weights: inout Tensor, gradients: Tensor, velocity: inout Tensor?, learningRate: Float,
        momentum: Float, nesterov: Bool
    ) throws {
        try checkSizes(weights, gradients, velocity, operation: "SGD update")
        weights.makeUnique()
        let (w, g, rate) = (weights.storage.pointer, gradients.storage.pointer, learningRate)
        guard var state = velocity else {
            forEachChunk(weights.count) { i in w[i] -= rate * g[i] }
            return
        }
        velocity = nil  // so that the state buffer is not shared while it is written
        state.makeUnique()
        let v = state.storage.pointer
        forEachChunk(weights.count) { i in
            v[i] = momentum * v[i] - rate * g[i]
            w[i] += nesterov ? momentum * v[i] - rate * g[i] : v[i]
        }
        velocity = state
    }

    /// Adam: `m += (1−β₁)(g − m)`, `v += (1−β₂)(g² − v)`, `w −= α · m / (√v + ε)`, where
    /// `α = lr · √(1−β₂ᵗ) / (1−β₁ᵗ)` for the `t`-th update (`step` + 1).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the buffers differ in size.
    public static func adam(
        weights: inout Tensor, gradients: Tensor, firstMoments: inout Tensor, secondMoments: inout Tensor,
        learningRate: Float, step: Int, beta1: Float, beta2: Float, epsilon: Float
    ) throws {
        try checkSizes(weights, gradients, firstMoments, operation: "Adam update")
        try checkSizes(weights, gradients, secondMoments, operation: "Adam update")
        let t = Float(step + 1)
        let alpha = learningRate * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
        weights.makeUnique()
        firstMoments.makeUnique()
        secondMoments.makeUnique()
        let (w, g, m, v) = (weights.storage.pointer, gradients.storage.pointer,
                            firstMoments.storage.pointer, secondMoments.storage.pointer)
        forEachChunk(weights.count) { i in
            m[i] += (g[i] - m[i]) * (1 - beta1)
            v[i] += (g[i] * g[i] - v[i]) * (1 - beta2)
            w[i] -= alpha * m[i] / (v[i].squareRoot() + epsilon)
        }
    }

    /// RMSprop: `s = ρs + (1−ρ)g²`, `Δ = lr · g / √(s + ε)`; `w −= Δ`, or with momentum
    /// (`velocity` not nil) `u = μu + Δ`, `w −= u`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the buffers differ in size.
    public static func rmsprop(
        weights: inout Tensor, gradients: Tensor, squares: inout Tensor, velocity: inout Tensor?,
        learningRate: Float, rho: Float, momentum: Float, epsilon: Float
    ) throws {
        try checkSizes(weights, gradients, squares, operation: "RMSprop update")
        try checkSizes(weights, gradients, velocity, operation: "RMSprop update")
        weights.makeUnique()
        squares.makeUnique()
        let (w, g, s, rate) = (weights.storage.pointer, gradients.storage.pointer, squares.storage.pointer, learningRate)
        guard var state = velocity else {
            forEachChunk(weights.count) { i in
                s[i] = rho * s[i] + (1 - rho) * g[i] * g[i]
                w[i] -= rate * g[i] / (s[i] + epsilon).squareRoot()
            }
            return
        }
        velocity = nil
        state.makeUnique()
        let u = state.storage.pointer
        forEachChunk(weights.count) { i in
            s[i] = rho * s[i] + (1 - rho) * g[i] * g[i]
            u[i] = momentum * u[i] + rate * g[i] / (s[i] + epsilon).squareRoot()
            w[i] -= u[i]
        }
        velocity = state
    }

    /// Calls `body` for every index below `count`, in chunks on the compute threads.
    @inline(__always)
    private static func forEachChunk(_ count: Int, _ body: (Int) -> Void) {
        parallelChunks(count: count, costPerItem: 8) { range in
            for index in range { body(index) }
        }
    }

    private static func checkSizes(_ weights: Tensor, _ gradients: Tensor, _ state: Tensor?, operation: String) throws {
        for other in [gradients, state].compactMap({ $0 }) where other.shape != weights.shape {
            throw TensorError.shapeMismatch(operation: operation, expected: weights.shape, found: other.shape)
        }
    }
}
