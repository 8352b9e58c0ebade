/// Scaled dot-product attention over several heads, `softmax(scale · Q·Kᵀ + mask) · V` for each
/// head of each sample, as the core of Keras's `MultiHeadAttention` computes it.
///
/// The operands stay in the layout their projections give them, `[N, steps, heads · dim]`:
/// head `h` of sample `n` is a `steps × dim` matrix with a row stride of `heads · dim`, which
/// BLAS takes as it is, so no head is ever copied out (permuted) and back. Each (sample, head)
/// pair is two GEMMs forward and four backward, on its own thread's share of the pairs; the
/// attention weights (the softmax) are kept for backward, `[N, heads, Tq, Tk]`.
///
/// The kernel follows the contract of all kernels: made from its sizes, `forward(…, into:)`
/// sizes its outputs and reuses their buffers, `backward(…, into:)` computes the gradients.
public struct AttentionKernel: Sendable {
    /// The number of heads.
    public let heads: Int
    /// The size of each head's queries and keys, and of its values.
    public let keyDim, valueDim: Int
    /// The factor of the scores, `1/√keyDim` by default.
    public let scale: Float

    /// The gradients with respect to the query, key and value.
    public struct Gradients: Sendable {
        public var query = Tensor(uninitializedShape: [0])
        public var key = Tensor(uninitializedShape: [0])
        public var value = Tensor(uninitializedShape: [0])

        /// Empty gradients, to be filled by ``AttentionKernel/backward(query:key:value:weights:outputGradient:into:)``.
        public init() {}
    }

    /// Attention over `heads` heads of `keyDim` query and key features and `valueDim` value features.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a size that is not positive.
    public init(heads: Int, keyDim: Int, valueDim: Int, scale: Float? = nil) throws {
        for (name, size) in [("heads", heads), ("keyDim", keyDim), ("valueDim", valueDim)] where size < 1 {
            throw TensorError.invalidArgument(name: name, value: "\(size)", reason: "expected a positive integer")
        }
        (self.heads, self.keyDim, self.valueDim) = (heads, keyDim, valueDim)
        self.scale = scale ?? 1 / Float(keyDim).squareRoot()
    }

    /// The attention of `query` `[N, Tq, heads·keyDim]` over `key` `[N, Tk, heads·keyDim]` and
    /// `value` `[N, Tk, heads·valueDim]`, into `output` `[N, Tq, heads·valueDim]`; the softmax
    /// goes into `weights` `[N, heads, Tq, Tk]`. `mask`, when given, is added to the scores
    /// before the softmax: `[1 or N, Tq, Tk]`, the same for every head (large negative values
    /// hide a key step).
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the wrong shape.
    public func forward(query: Tensor, key: Tensor, value: Tensor, adding mask: Tensor? = nil,
                        weights: inout Tensor, into output: inout Tensor) throws {
        let (batch, querySteps, keySteps) = try checkShapes(query: query, key: key, value: value)
        let maskBatch = mask?.shape.first ?? 1
        if let mask, mask.shape != [maskBatch, querySteps, keySteps] || (maskBatch != 1 && maskBatch != batch) {
            throw TensorError.shapeMismatch(operation: "attention mask [1 or batch, query steps, key steps]",
                                            expected: [batch, querySteps, keySteps], found: mask.shape)
        }
        try weights.resizeDiscardingContents(to: [batch, heads, querySteps, keySteps])
        try output.resizeDiscardingContents(to: [batch, querySteps, heads * valueDim])
        let (q, k, v) = (UnsafePointer(query.storage.pointer), UnsafePointer(key.storage.pointer),
                         UnsafePointer(value.storage.pointer))
        let (p, o) = (weights.storage.pointer, output.storage.pointer)
        let m = mask.map { UnsafePointer($0.storage.pointer) }
        let scores = querySteps * keySteps
        let (qk, vd) = (heads * keyDim, heads * valueDim)
        parallelChunks(count: batch * heads, costPerItem: scores * (keyDim + valueDim)) { pairs in
            for pair in pairs {
                let (n, h) = pair.quotientAndRemainder(dividingBy: heads)
                let weightsOfPair = p + pair * scores
                BLAS.gemmOnThisThread(transposeA: false, transposeB: true, m: querySteps, n: keySteps, k: keyDim, alpha: scale,
                                      a: q + n * querySteps * qk + h * keyDim, lda: qk,
                                      b: k + n * keySteps * qk + h * keyDim, ldb: qk, c: weightsOfPair, ldc: keySteps)
                if let m {
                    let adder = m + (maskBatch == 1 ? 0 : n * scores)
                    for index in 0..<scores { weightsOfPair[index] += adder[index] }
                }
                for row in 0..<querySteps {
                    let scoresOfRow = weightsOfPair + row * keySteps
                    softmaxRow(scoresOfRow, scoresOfRow, columns: keySteps)
                }
                BLAS.gemmOnThisThread(transposeA: false, transposeB: false, m: querySteps, n: valueDim, k: keySteps,
                                      a: weightsOfPair, lda: keySteps, b: v + n * keySteps * vd + h * valueDim, ldb: vd,
                                      c: o + n * querySteps * vd + h * valueDim, ldc: vd)
            }
        }
    }

    /// The gradients with respect to the query, key and value of ``forward(query:key:value:adding:weights:into:)``,
    /// given its `weights` and the gradient with respect to its output, into `gradients`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` for operands of the wrong shape.
    public func backward(query: Tensor, key: Tensor, value: Tensor, weights: Tensor, outputGradient: Tensor,
                         into gradients: inout Gradients) throws {
        let (batch, querySteps, keySteps) = try checkShapes(query: query, key: key, value: value)
        guard weights.shape == [batch, heads, querySteps, keySteps] else {
            throw TensorError.shapeMismatch(operation: "attention weights [batch, heads, query steps, key steps]",
                                            expected: [batch, heads, querySteps, keySteps], found: weights.shape)
        }
        guard outputGradient.shape == [batch, querySteps, heads * valueDim] else {
            throw TensorError.shapeMismatch(operation: "attention output gradient",
                                            expected: [batch, querySteps, heads * valueDim], found: outputGradient.shape)
        }
        try gradients.query.resizeDiscardingContents(to: query.shape)
        try gradients.key.resizeDiscardingContents(to: key.shape)
        try gradients.value.resizeDiscardingContents(to: value.shape)
        let (q, k, v) = (UnsafePointer(query.storage.pointer), UnsafePointer(key.storage.pointer),
                         UnsafePointer(value.storage.pointer))
        let (p, dO) = (UnsafePointer(weights.storage.pointer), UnsafePointer(outputGradient.storage.pointer))
        let (dQ, dK, dV) = (gradients.query.storage.pointer, gradients.key.storage.pointer, gradients.value.storage.pointer)
        let scores = querySteps * keySteps
        let (qk, vd) = (heads * keyDim, heads * valueDim)
        let plan = ParallelChunks(count: batch * heads, costPerItem: 2 * scores * (keyDim + valueDim))
        plan.run { _, pairs in
            let scoreGradient = UnsafeMutablePointer<Float>.allocate(capacity: scores)
            defer { scoreGradient.deallocate() }
            for pair in pairs {
                let (n, h) = pair.quotientAndRemainder(dividingBy: heads)
                let weightsOfPair = p + pair * scores
                let (queryOffset, keyOffset) = (n * querySteps * qk + h * keyDim, n * keySteps * qk + h * keyDim)
                let (valueOffset, outputOffset) = (n * keySteps * vd + h * valueDim, n * querySteps * vd + h * valueDim)
                // dV = Pᵀ · dO; dP = dO · Vᵀ.
                BLAS.gemmOnThisThread(transposeA: true, transposeB: false, m: keySteps, n: valueDim, k: querySteps,
                                      a: weightsOfPair, lda: keySteps, b: dO + outputOffset, ldb: vd,
                                      c: dV + valueOffset, ldc: vd)
                BLAS.gemmOnThisThread(transposeA: false, transposeB: true, m: querySteps, n: keySteps, k: valueDim,
                                      a: dO + outputOffset, lda: vd, b: v + valueOffset, ldb: vd, c: scoreGradient, ldc: keySteps)
                // Through the softmax, row by row: dS = P ⊙ (dP − Σ dP ⊙ P).
                for row in 0..<querySteps {
                    let (y, dy) = (weightsOfPair + row * keySteps, scoreGradient + row * keySteps)
                    let dot = rowDot(y, dy, count: keySteps)
                    for c in 0..<keySteps { dy[c] = y[c] * (dy[c] - dot) }
                }
                // dQ = scale · dS · K; dK = scale · dSᵀ · Q.
                BLAS.gemmOnThisThread(transposeA: false, transposeB: false, m: querySteps, n: keyDim, k: keySteps, alpha: scale,
                                      a: scoreGradient, lda: keySteps, b: k + keyOffset, ldb: qk, c: dQ + queryOffset, ldc: qk)
                BLAS.gemmOnThisThread(transposeA: true, transposeB: false, m: keySteps, n: keyDim, k: querySteps, alpha: scale,
                                      a: scoreGradient, lda: keySteps, b: q + queryOffset, ldb: qk, c: dK + keyOffset, ldc: qk)
            }
        }
    }

    /// The batch size and step counts, after checking the operands' shapes.
    private func checkShapes(query: Tensor, key: Tensor, value: Tensor) throws -> (Int, Int, Int) {
        let batch = query.rank == 3 ? query.shape[0] : 0
        let keySteps = key.rank == 3 ? key.shape[1] : 0
        guard query.rank == 3, query.shape[2] == heads * keyDim, batch > 0, query.shape[1] > 0 else {
            throw TensorError.shapeMismatch(operation: "attention query [batch, steps, heads · keyDim]",
                                            expected: [Swift.max(batch, 1), Swift.max(query.rank == 3 ? query.shape[1] : 1, 1),
                                                       heads * keyDim], found: query.shape)
        }
        guard key.shape == [batch, keySteps, heads * keyDim], keySteps > 0 else {
            throw TensorError.shapeMismatch(operation: "attention key [batch, steps, heads · keyDim]",
                                            expected: [batch, Swift.max(keySteps, 1), heads * keyDim], found: key.shape)
        }
        guard value.shape == [batch, keySteps, heads * valueDim] else {
            throw TensorError.shapeMismatch(operation: "attention value [batch, key steps, heads · valueDim]",
                                            expected: [batch, keySteps, heads * valueDim], found: value.shape)
        }
        return (batch, query.shape[1], keySteps)
    }
}
