import Tensor

/// The image and regularisation kernels of `Tensor` as single operations with their
/// hand-written backward passes: what one call of a kernel keeps (pooling positions, a
/// dropout mask, batch statistics) lives in that call's record, not in a layer.
extension Variable {
    /// `activation(convolution(self, kernel) + bias)` of an `[N, H, W, C]` batch with a
    /// `[KH, KW, C, F]` kernel (`Conv2DKernel`; ReLU is fused into the kernel's passes).
    /// - Throws: `TensorError` for operands of the wrong shape or a geometry the algorithm cannot do.
    public func conv2D(
        kernel: Variable, bias: Variable? = nil, strides: (height: Int, width: Int) = (1, 1), padding: Padding = .valid,
        activation: FusedActivation = .identity, algorithm: Conv2DKernel.Algorithm? = nil
    ) throws -> Variable {
        guard kernel.rank == 4 else {
            throw TensorError.invalidShape(operation: "conv2D", shape: kernel.shape, reason: "expected a kernel [KH, KW, C, F]")
        }
        let (x, w) = (value, kernel.value)
        var convolution = try Conv2DKernel(
            inputShape: try imageShape("conv2D"), filters: w.shape[3], kernelSize: (w.shape[0], w.shape[1]),
            strides: strides, padding: padding, algorithm: algorithm)
        var y = Tensor([])
        try convolution.forward(x, weights: w, bias: bias?.value, activation: activation, into: &y)
        let output = y
        return try Variable.record(.conv2D, output, [self, kernel] + (bias.map { [$0] } ?? [])) { g, needed in
            var gradients = Conv2DKernel.Gradients()
            try convolution.backward(input: x, output: output, outputGradient: g, weights: w, activation: activation,
                                     inputGradient: needed[0], into: &gradients)
            return [gradients.input, gradients.weights] + (needed.count > 2 ? [gradients.bias] : [])
        }
    }

    /// Scaled dot-product attention of this query `[N, Tq, heads·keyDim]` over `key`
    /// `[N, Tk, heads·keyDim]` and `value` `[N, Tk, heads·valueDim]`, head by head:
    /// `softmax(Q·Kᵀ/√keyDim + mask)·V`, `[N, Tq, heads·valueDim]` (``AttentionKernel``). `mask`
    /// `[1 or N, Tq, Tk]` is added to every head's scores.
    /// - Throws: `TensorError` for operands of the wrong shape.
    public func attention(key: Variable, value: Variable, heads: Int, keyDim: Int, valueDim: Int,
                          adding mask: Tensor? = nil) throws -> Variable {
        let kernel = try AttentionKernel(heads: heads, keyDim: keyDim, valueDim: valueDim)
        let (q, k, v) = (self.value, key.value, value.value)
        var (weights, output) = (Tensor([]), Tensor([]))
        try kernel.forward(query: q, key: k, value: v, adding: mask, weights: &weights, into: &output)
        let kept = weights
        return try Variable.record(.attention, output, [self, key, value]) { g, _ in
            var gradients = AttentionKernel.Gradients()
            try kernel.backward(query: q, key: k, value: v, weights: kept, outputGradient: g, into: &gradients)
            return [gradients.query, gradients.key, gradients.value]
        }
    }

    /// The maximum of each `poolSize` window of an `[N, H, W, C]` batch (`MaxPool2DKernel`);
    /// each gradient goes to the position of its window's maximum.
    /// - Throws: `TensorError` for a wrong rank or a window that does not fit.
    public func maxPool2D(
        poolSize: (height: Int, width: Int), strides: (height: Int, width: Int)? = nil, padding: Padding = .valid
    ) throws -> Variable {
        var pooling = try MaxPool2DKernel(
            inputShape: try imageShape("maxPool2D"), poolSize: poolSize, strides: strides, padding: padding)
        var y = Tensor([])
        try pooling.forward(value, keepingPositions: isRecorded, into: &y)
        let kernel = pooling
        return try Variable.record(.maxPool2D, y, [self]) { g, _ in
            var dx = Tensor([])
            try kernel.backward(outputGradient: g, into: &dx)
            return [dx]
        }
    }

    /// The mean of each `poolSize` window of an `[N, H, W, C]` batch (`AveragePool2DKernel`;
    /// padded cells do not count).
    /// - Throws: `TensorError` for a wrong rank or a window that does not fit.
    public func averagePool2D(
        poolSize: (height: Int, width: Int), strides: (height: Int, width: Int)? = nil, padding: Padding = .valid
    ) throws -> Variable {
        var pooling = try AveragePool2DKernel(
            inputShape: try imageShape("averagePool2D"), poolSize: poolSize, strides: strides, padding: padding)
        var y = Tensor([])
        try pooling.forward(value, into: &y)
        let kernel = pooling
        return try Variable.record(.averagePool2D, y, [self]) { g, _ in
            var dx = Tensor([])
            try kernel.backward(outputGradient: g, into: &dx)
            return [dx]
        }
    }

    /// Batch normalisation over the last axis (`BatchNormKernel`): `gamma · (x − mean) /
    /// √(variance + ε) + beta`, with the batch's own mean and (biased) variance when
    /// `statistics` is nil (training; the gradient includes their dependence on the input),
    /// or with the given ones (inference: moving averages). Returns the statistics it used, so
    /// that a layer can update its moving averages.
    /// - Throws: `TensorError` when a vector is not as long as the last axis.
    public func batchNormalization(
        gamma: Variable, beta: Variable, epsilon: Float = 1e-3, statistics: (mean: Tensor, variance: Tensor)? = nil
    ) throws -> (output: Variable, mean: Tensor, variance: Tensor) {
        let x = value
        let kernel = try BatchNormKernel(features: shape.last ?? 0, epsilon: epsilon)
        var (mean, variance) = statistics ?? (Tensor([]), Tensor([]))
        if statistics == nil { try kernel.statistics(of: x, mean: &mean, variance: &variance) }
        var y = Tensor([])
        try kernel.normalize(x, mean: mean, variance: variance, gamma: gamma.value, beta: beta.value, into: &y)
        let (usedMean, usedVariance, batchStatistics, gammaValue) = (mean, variance, statistics == nil, gamma.value)
        let output = try Variable.record(.batchNormalization, y, [self, gamma, beta]) { g, _ in
            var (dx, dGamma, dBeta) = (Tensor([]), Tensor([]), Tensor([]))
            try kernel.backward(input: x, outputGradient: g, mean: usedMean, variance: usedVariance, gamma: gammaValue,
                                batchStatistics: batchStatistics, inputGradient: &dx, gammaGradient: &dGamma,
                                betaGradient: &dBeta)
            return [dx, dGamma, dBeta]
        }
        return (output, mean, variance)
    }

    /// Each element zeroed with probability `rate` and the others scaled by `1 / (1 − rate)`,
    /// the mask drawn from `seed` (`DropoutKernel`: one seed, one mask on any thread count).
    /// - Throws: `TensorError` unless `0 <= rate < 1`.
    public func dropout(rate: Float, seed: UInt64) throws -> Variable {
        var kernel = try DropoutKernel(rate: rate)
        var y = Tensor([])
        try kernel.forward(value, seed: seed, into: &y)
        let mask = kernel
        return try Variable.record(.dropout, y, [self]) { g, _ in
            var dx = Tensor([])
            try mask.backward(outputGradient: g, into: &dx)
            return [dx]
        }
    }

    /// The `[H, W, C]` of an `[N, H, W, C]` batch.
    private func imageShape(_ operation: String) throws -> [Int] {
        guard rank == 4 else {
            throw TensorError.invalidShape(
                operation: operation, shape: shape, reason: "expected an [N, H, W, C] batch of images")
        }
        return Array(shape.dropFirst())
    }
}
