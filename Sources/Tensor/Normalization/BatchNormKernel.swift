/// Batch normalisation over the last axis of a tensor seen as `[rows, features]` (the
/// rows of NHWC images are their pixels): the statistics, the normalise-scale-shift pass
/// and the backward pass, each one sweep over the data split across threads by rows.
///
/// Sums run in `Float` over blocks of rows and in `Double` across blocks, so a batch of
/// a hundred thousand pixels loses no precision.
///
/// ```swift
/// let kernel = try BatchNormKernel(features: 32, epsilon: 1e-3)
/// try kernel.statistics(of: x, mean: &mean, variance: &variance)
/// try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma, beta: beta, into: &y)
/// ```
public struct BatchNormKernel: Sendable {
    /// The size of the last axis; each feature is normalised on its own.
    public let features: Int
    /// Added to the variance before the square root.
    public let epsilon: Float
    private let featureRows: FeatureRows

    /// A kernel for tensors whose last axis has `features` elements.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a non-positive size or epsilon.
    public init(features: Int, epsilon: Float) throws {
        featureRows = try FeatureRows(features: features, epsilon: epsilon)
        self.features = features
        self.epsilon = epsilon
    }

    // What forward keeps for backward.
    private var input = Tensor([])
    private var mean = Tensor([])
    private var variance = Tensor([])
    private var usedBatchStatistics = false

    /// Batch normalisation of `input` into `output` (resized, reusing its buffer), keeping what
    /// ``backward(outputGradient:gamma:into:gammaGradient:betaGradient:)`` needs.
    ///
    /// In training it normalises with the batch's statistics and updates the moving averages
    /// `moving = momentum · moving + (1 − momentum) · batch`; otherwise it normalises with the
    /// moving averages and leaves them alone.
    /// - Throws: ``TensorError`` when a shape disagrees with `features`.
    /// With `activation` ``FusedActivation/relu`` the output is rectified in the same pass,
    /// as a ReLU after the normalisation would (the backward pass then takes its mask from
    /// the output).
    public mutating func forward(
        _ input: Tensor, gamma: Tensor, beta: Tensor, movingMean: inout Tensor, movingVariance: inout Tensor,
        momentum: Float, training: Bool, activation: FusedActivation = .identity, into output: inout Tensor
    ) throws {
        self.input = input
        usedBatchStatistics = training
        if training {
            try statistics(of: input, mean: &mean, variance: &variance)
            try requireFeatureVectors(movingMean, movingVariance, operation: "BatchNorm moving statistics")
            try movingMean.zipInPlace(mean) { old, new in momentum * old + (1 - momentum) * new }
            try movingVariance.zipInPlace(variance) { old, new in momentum * old + (1 - momentum) * new }
        } else {
            (mean, variance) = (movingMean, movingVariance)
        }
        try normalize(input, mean: mean, variance: variance, gamma: gamma, beta: beta, activation: activation, into: &output)
    }

    /// The gradients with respect to the last forward pass's input, `gamma` and `beta`, given
    /// the gradient with respect to its output (see
    /// ``backward(input:outputGradient:mean:variance:gamma:batchStatistics:inputGradient:gammaGradient:betaGradient:)``).
    /// - Throws: ``TensorError`` when the shapes disagree or forward has not run.
    /// With `activation` ``FusedActivation/relu``, `outputGradient` is the gradient after the
    /// rectification that forward applied, and `output` forward's output (the mask).
    public func backward(
        outputGradient: Tensor, gamma: Tensor, activation: FusedActivation = .identity, output: Tensor? = nil,
        into inputGradient: inout Tensor, gammaGradient: inout Tensor, betaGradient: inout Tensor
    ) throws {
        try backward(input: input, outputGradient: outputGradient, mean: mean, variance: variance, gamma: gamma,
                     batchStatistics: usedBatchStatistics, activation: activation, output: output,
                     inputGradient: &inputGradient, gammaGradient: &gammaGradient, betaGradient: &betaGradient)
    }

    /// The mean and the biased variance (divided by the row count, as Keras) of each
    /// feature over the rows of `input`, written into `mean` and `variance` (`[features]`).
    /// - Throws: ``TensorError`` when the last axis is not `features` long or there are no rows.
    public func statistics(of input: Tensor, mean: inout Tensor, variance: inout Tensor) throws {
        let rows = try rowCount(of: input, operation: "BatchNorm statistics")
        try mean.resizeDiscardingContents(to: [features])
        try variance.resizeDiscardingContents(to: [features])
        let (x, mu, sigma2, features) = (input.storage.pointer, mean.storage.pointer, variance.storage.pointer, features)
        let inverseRows = 1 / Float(rows)
        // Two passes (mean, then squared deviations) rather than Σx² − (Σx)²/M, which
        // cancels catastrophically when the mean is large against the spread.
        sumOverRows(rows, into: mu, sigma2) { row, sum, _ in
            zipScalars(sum, x + row * features, sum, count: features, +)
        }
        mapScalars(mu, mu, count: features) { $0 * inverseRows }
        sumOverRows(rows, into: sigma2, sigma2) { row, sum, _ in
            let values = x + row * features
            for feature in 0..<features {
                let deviation = values[feature] - mu[feature]
                sum[feature] += deviation * deviation
            }
        }
        mapScalars(sigma2, sigma2, count: features) { $0 * inverseRows }
    }

    /// `output = gamma · (input − mean) / √(variance + ε) + beta`, feature by feature,
    /// into `output` (shaped like `input`; its buffer is reused when possible), rectified
    /// (`max(·, 0)`, exactly as ``FusedActivation/relu``) when `activation` says so.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when a vector is not `[features]`.
    public func normalize(
        _ input: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor,
        activation: FusedActivation = .identity, into output: inout Tensor
    ) throws {
        let rows = try rowCount(of: input, operation: "BatchNorm normalize")
        try requireFeatureVectors(mean, variance, gamma, beta, operation: "BatchNorm normalize")
        try output.resizeDiscardingContents(to: input.shape)
        let (x, y, features, epsilon) = (input.storage.pointer, output.storage.pointer, features, epsilon)
        let (mu, sigma2, g, b) = (mean.storage.pointer, variance.storage.pointer, gamma.storage.pointer, beta.storage.pointer)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * features) { coefficients in
            // y = x·scale + shift with scale = γ/σ and shift = β − μ·scale.
            let scale = coefficients.baseAddress!, shift = scale + features
            for feature in 0..<features {
                scale[feature] = g[feature] / (sigma2[feature] + epsilon).squareRoot()
                shift[feature] = b[feature] - mu[feature] * scale[feature]
            }
            let rectifies = activation == .relu
            parallelChunks(count: rows, costPerItem: features) { range in
                for row in range {
                    let (inputRow, outputRow) = (x + row * features, y + row * features)
                    if rectifies {
                        for feature in 0..<features {
                            let value = inputRow[feature] * scale[feature] + shift[feature]
                            outputRow[feature] = value <= 0 ? 0 : value
                        }
                    } else {
                        for feature in 0..<features {
                            outputRow[feature] = inputRow[feature] * scale[feature] + shift[feature]
                        }
                    }
                }
            }
        }
    }

    /// The gradients of ``normalize(_:mean:variance:gamma:beta:into:)`` with respect to its
    /// input, `gamma` and `beta`, given the gradient with respect to its output, written into
    /// `inputGradient`, `gammaGradient` and `betaGradient` (their buffers are reused when possible).
    ///
    /// With `batchStatistics` the mean and variance are those of `input` (training), and
    /// the input gradient includes their dependence on it:
    /// `dx = γσ⁻¹ · (dy − Σdy/M − x̂·Σ(dy·x̂)/M)`. Without, they are constants (moving
    /// averages) and `dx = γσ⁻¹ · dy`.
    ///
    /// With `activation` ``FusedActivation/relu`` the normalisation was rectified:
    /// `outputGradient` is the gradient after the rectification, masked here by `output`
    /// (forward's output) where it is 0, exactly as a ReLU layer's backward would.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes disagree.
    public func backward(
        input: Tensor, outputGradient: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor,
        batchStatistics: Bool, activation: FusedActivation = .identity, output: Tensor? = nil,
        inputGradient: inout Tensor, gammaGradient: inout Tensor, betaGradient: inout Tensor
    ) throws {
        let rows = try rowCount(of: input, operation: "BatchNorm backward")
        guard outputGradient.shape == input.shape else {
            throw TensorError.shapeMismatch(operation: "BatchNorm backward output gradient", expected: input.shape, found: outputGradient.shape)
        }
        let mask = activation == .relu ? output : nil
        guard activation == .identity || mask?.shape == input.shape else {
            throw TensorError.shapeMismatch(operation: "BatchNorm backward output (the ReLU mask)", expected: input.shape,
                                            found: output?.shape ?? [])
        }
        let y = mask?.storage.pointer
        try requireFeatureVectors(mean, variance, gamma, operation: "BatchNorm backward")
        try inputGradient.resizeDiscardingContents(to: input.shape)
        try gammaGradient.resizeDiscardingContents(to: [features])
        try betaGradient.resizeDiscardingContents(to: [features])
        let (x, dy, dx, features, epsilon) = (
            input.storage.pointer, outputGradient.storage.pointer, inputGradient.storage.pointer, features, epsilon)
        let (mu, sigma2, g) = (mean.storage.pointer, variance.storage.pointer, gamma.storage.pointer)
        let (dGamma, dBeta) = (gammaGradient.storage.pointer, betaGradient.storage.pointer)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * features) { coefficients in
            let inverseStd = coefficients.baseAddress!
            for feature in 0..<features { inverseStd[feature] = 1 / (sigma2[feature] + epsilon).squareRoot() }
            // dβ = Σdy, dγ = Σ dy·x̂ with x̂ = (x − μ)/σ.
            sumOverRows(rows, into: dBeta, dGamma) { row, sumDy, sumDyXHat in
                let (inputRow, gradientRow) = (x + row * features, dy + row * features)
                if let y {
                    // The masked gradient goes to dx, which the second pass reads and overwrites.
                    maskedSums(input: inputRow, gradient: gradientRow, output: y + row * features,
                               masked: dx + row * features, mean: mu, inverseStd: inverseStd, sumDy: sumDy, sumDyXHat: sumDyXHat)
                } else {
                    for feature in 0..<features {
                        let d = gradientRow[feature]
                        sumDy[feature] += d
                        sumDyXHat[feature] += d * (inputRow[feature] - mu[feature]) * inverseStd[feature]
                    }
                }
            }
            // dx = a·dy + (x − μ)·b + c per feature; b = c = 0 for constant statistics.
            let (a, b, c) = (inverseStd + features, inverseStd + 2 * features, inverseStd + 3 * features)
            let inverseRows = batchStatistics ? 1 / Float(rows) : 0
            for feature in 0..<features {
                a[feature] = g[feature] * inverseStd[feature]
                b[feature] = -a[feature] * inverseStd[feature] * dGamma[feature] * inverseRows
                c[feature] = -a[feature] * dBeta[feature] * inverseRows
            }
            parallelChunks(count: rows, costPerItem: 2 * features) { range in
                for row in range {
                    let (inputRow, gradientRow, resultRow) = (x + row * features, dy + row * features, dx + row * features)
                    if y != nil {
                        inputGradientFromMasked(input: inputRow, result: resultRow, mean: mu, a: a, b: b, c: c)
                    } else {
                        for feature in 0..<features {
                            resultRow[feature] = a[feature] * gradientRow[feature]
                                + (inputRow[feature] - mu[feature]) * b[feature] + c[feature]
                        }
                    }
                }
            }
        }
    }

    // MARK: The rectified backward pass, in explicit lanes (the mask is a select, not a branch)

    /// One row of the first backward pass after a ReLU: `g = dy` masked where `output <= 0`,
    /// written to `masked`, and added to `sumDy` and (times x̂) to `sumDyXHat`.
    @inline(__always)
    private func maskedSums(
        input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, output: UnsafePointer<Float>,
        masked: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
        sumDy: UnsafeMutablePointer<Float>, sumDyXHat: UnsafeMutablePointer<Float>
    ) {
        forEachLane(count: features) { lane, range in
            func run<L: FloatLane>(_: L.Type) {
                for feature in stride(from: range.lowerBound, to: range.upperBound, by: L.width) {
                    let g = L.load(gradient + feature).masked(where: L.load(output + feature))
                    g.store(to: masked + feature)
                    (L.load(sumDy + feature) + g).store(to: sumDy + feature)
                    (L.load(sumDyXHat + feature) + g * (L.load(input + feature) - L.load(mean + feature))
                        * L.load(inverseStd + feature)).store(to: sumDyXHat + feature)
                }
            }
            lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
        }
    }

    /// One row of the second backward pass after a ReLU: `dx = a·g + (x − μ)·b + c` with the
    /// masked gradient `g` read from `result` itself.
    @inline(__always)
    private func inputGradientFromMasked(
        input: UnsafePointer<Float>, result: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafePointer<Float>
    ) {
        forEachLane(count: features) { lane, range in
            func run<L: FloatLane>(_: L.Type) {
                for feature in stride(from: range.lowerBound, to: range.upperBound, by: L.width) {
                    let g = L.load(result + feature)
                    (L.load(a + feature) * g + (L.load(input + feature) - L.load(mean + feature)) * L.load(b + feature)
                        + L.load(c + feature)).store(to: result + feature)
                }
            }
            lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
        }
    }

    // MARK: Helpers

    private func rowCount(of tensor: Tensor, operation: String) throws -> Int {
        try featureRows.count(of: tensor, operation: operation)
    }

    private func requireFeatureVectors(_ vectors: Tensor..., operation: String) throws {
        try featureRows.requireFeatureVectors(vectors, operation: operation)
    }

    /// For each feature, the sums over all rows of two per-row terms, which `accumulate`
    /// adds for one row into two `[features]` accumulators; the results are written into
    /// `first` and `second` (which may be the same buffer when only one term is used).
    ///
    /// The rows are split into chunks, one per thread; each chunk adds blocks of
    /// `blockRows` rows in `Float` and the blocks in `Double`.
    @inline(__always)
    private func sumOverRows(
        _ rows: Int, into first: UnsafeMutablePointer<Float>, _ second: UnsafeMutablePointer<Float>,
        _ accumulate: (_ row: Int, _ first: UnsafeMutablePointer<Float>, _ second: UnsafeMutablePointer<Float>) -> Void
    ) {
        let blockRows = 64
        let width = 2 * features
        let features = features
        let minimumCostPerChunk = 1 << 15
        let chunks = Swift.max(1, Swift.min(ComputeThreads.count, rows * features / minimumCostPerChunk))
        withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks * width) { totals in
            let totals = totals.baseAddress!
            totals.initialize(repeating: 0, count: chunks * width)
            parallelChunks(count: chunks, costPerItem: minimumCostPerChunk) { chunkRange in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { block in
                    let block = block.baseAddress!
                    for chunk in chunkRange {
                        let total = totals + chunk * width
                        var start = rows * chunk / chunks
                        let end = rows * (chunk + 1) / chunks
                        while start < end {
                            let blockEnd = Swift.min(start + blockRows, end)
                            block.update(repeating: 0, count: width)
                            for row in start..<blockEnd { accumulate(row, block, block + features) }
                            for index in 0..<width { total[index] += Double(block[index]) }
                            start = blockEnd
                        }
                    }
                }
            }
            for feature in 0..<features {
                var (sum1, sum2) = (0.0, 0.0)
                for chunk in 0..<chunks {
                    sum1 += totals[chunk * width + feature]
                    sum2 += totals[chunk * width + features + feature]
                }
                first[feature] = Float(sum1)
                if second != first { second[feature] = Float(sum2) }
            }
        }
    }
}
