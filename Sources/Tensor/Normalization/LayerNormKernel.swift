/// Layer normalisation over the last axis of a tensor seen as `[rows, features]`: each
/// row (a token of a sequence, a sample's feature vector) is normalised on its own to zero
/// mean and unit variance, then scaled by `gamma` and shifted by `beta` per feature.
///
/// Forward and backward are one sweep each over the rows, split across threads; the
/// per-feature gradients of `gamma` and `beta` are summed per thread and added in a fixed
/// order, so results repeat exactly.
///
/// ```swift
/// var kernel = try LayerNormKernel(features: 64, epsilon: 1e-3)
/// try kernel.forward(x, gamma: gamma, beta: beta, into: &y)
/// try kernel.backward(outputGradient: dy, gamma: gamma, into: &dx, gammaGradient: &dGamma, betaGradient: &dBeta)
/// ```
public struct LayerNormKernel: Sendable {
    /// The size of the last axis, over which each row is normalised.
    public let features: Int
    /// Added to the variance before the square root.
    public let epsilon: Float
    private let featureRows: FeatureRows

    // What forward keeps for backward: the input and each row's mean and 1/σ.
    private var input = Tensor([])
    private var rowStatistics = Tensor([])

    /// A kernel for tensors whose last axis has `features` elements.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a non-positive size or epsilon.
    public init(features: Int, epsilon: Float) throws {
        featureRows = try FeatureRows(features: features, epsilon: epsilon)
        self.features = features
        self.epsilon = epsilon
    }

    /// `output = gamma · (x − μ) / √(σ² + ε) + beta` for each row `x` of `input`, with the
    /// row's mean μ and biased variance σ² (as Keras), into `output` (resized, its buffer
    /// reused). A nil `gamma` scales by 1, a nil `beta` shifts by 0. Keeps what
    /// ``backward(outputGradient:gamma:into:gammaGradient:betaGradient:)`` needs.
    /// - Throws: ``TensorError`` when the last axis is not `features` long or a vector is not `[features]`.
    public mutating func forward(_ input: Tensor, gamma: Tensor?, beta: Tensor?, into output: inout Tensor) throws {
        let rows = try rowCount(of: input, operation: "LayerNorm forward")
        try requireFeatureVectors([gamma, beta], operation: "LayerNorm forward")
        self.input = input
        try rowStatistics.resizeDiscardingContents(to: [rows, 2])
        try output.resizeDiscardingContents(to: input.shape)
        let (x, y, statistics, features, epsilon) = (
            input.storage.pointer, output.storage.pointer, rowStatistics.storage.pointer, features, epsilon)
        let (g, b) = (gamma?.storage.pointer, beta?.storage.pointer)
        let inverseFeatures = 1 / Float(features)
        parallelChunks(count: rows, costPerItem: 3 * features) { range in
            for row in range {
                let (inputRow, outputRow) = (x + row * features, y + row * features)
                let mean = rowSum(inputRow, count: features) * inverseFeatures
                // Two passes: Σx² − (Σx)²/n cancels when the mean is large against the spread.
                let squares = rowSquaredDeviations(inputRow, from: mean, count: features)
                let inverseStd = 1 / (squares * inverseFeatures + epsilon).squareRoot()
                statistics[2 * row] = mean
                statistics[2 * row + 1] = inverseStd
                // The optional scale and shift outside the loops, so that they vectorise.
                for feature in 0..<features { outputRow[feature] = (inputRow[feature] - mean) * inverseStd }
                if let g {
                    for feature in 0..<features { outputRow[feature] *= g[feature] }
                }
                if let b {
                    for feature in 0..<features { outputRow[feature] += b[feature] }
                }
            }
        }
    }

    /// The gradients of the last ``forward(_:gamma:beta:into:)`` with respect to its input
    /// and, when given, `gamma` and `beta`, from the gradient with respect to its output.
    ///
    /// Per row, with `x̂ = (x − μ)/σ` and `ĝ = dy · γ`:
    /// `dx = σ⁻¹ · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))`; over all rows `dγ = Σ dy · x̂`, `dβ = Σ dy`.
    /// - Throws: ``TensorError`` when the shapes disagree or forward has not run.
    public func backward(
        outputGradient: Tensor, gamma: Tensor?, into inputGradient: inout Tensor,
        gammaGradient: inout Tensor, betaGradient: inout Tensor
    ) throws {
        guard rowStatistics.count > 0 else {
            throw TensorError.invalidShape(operation: "LayerNorm backward", shape: [], reason: "forward has not run")
        }
        guard outputGradient.shape == input.shape else {
            throw TensorError.shapeMismatch(operation: "LayerNorm backward output gradient", expected: input.shape,
                                            found: outputGradient.shape)
        }
        try requireFeatureVectors([gamma], operation: "LayerNorm backward")
        let rows = input.count / features
        try inputGradient.resizeDiscardingContents(to: input.shape)
        try gammaGradient.resizeDiscardingContents(to: [features])
        try betaGradient.resizeDiscardingContents(to: [features])
        let (x, dy, dx, statistics, features) = (
            input.storage.pointer, outputGradient.storage.pointer, inputGradient.storage.pointer,
            rowStatistics.storage.pointer, features)
        let g = gamma?.storage.pointer
        let inverseFeatures = 1 / Float(features)
        let split = ParallelChunks(count: rows, costPerItem: 4 * features)
        let sums = PartialSums(chunks: split.chunks, size: 2 * features)  // [dγ, dβ] per chunk
        defer { sums.deallocate() }
        split.run { chunk, range in
            let dGamma = sums.accumulator(chunk), dBeta = dGamma + features
            let scaled = UnsafeMutablePointer<Float>.allocate(capacity: features)
            defer { scaled.deallocate() }
            for row in range {
                let (inputRow, gradientRow, resultRow) = (x + row * features, dy + row * features, dx + row * features)
                let (mean, inverseStd) = (statistics[2 * row], statistics[2 * row + 1])
                // x̂ goes in resultRow and ĝ in scaled first, in loops that vectorise; then dx over them.
                let normalized = resultRow
                for feature in 0..<features { normalized[feature] = (inputRow[feature] - mean) * inverseStd }
                for feature in 0..<features { dGamma[feature] += gradientRow[feature] * normalized[feature] }
                for feature in 0..<features { dBeta[feature] += gradientRow[feature] }
                if let g {
                    for feature in 0..<features { scaled[feature] = gradientRow[feature] * g[feature] }
                } else {
                    scaled.update(from: gradientRow, count: features)
                }
                let meanScaled = rowSum(scaled, count: features) * inverseFeatures
                let meanScaledNormalized = rowDot(scaled, normalized, count: features) * inverseFeatures
                for feature in 0..<features {
                    resultRow[feature] = inverseStd * (scaled[feature] - meanScaled - normalized[feature] * meanScaledNormalized)
                }
            }
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * features) { total in
            sums.total(into: total.baseAddress!)
            gammaGradient.storage.pointer.update(from: total.baseAddress!, count: features)
            betaGradient.storage.pointer.update(from: total.baseAddress! + features, count: features)
        }
    }

    // MARK: Helpers

    private func rowCount(of tensor: Tensor, operation: String) throws -> Int {
        try featureRows.count(of: tensor, operation: operation)
    }

    private func requireFeatureVectors(_ vectors: [Tensor?], operation: String) throws {
        try featureRows.requireFeatureVectors(vectors, operation: operation)
    }
}
