import Foundation

/// Element-wise mathematical functions and activations.
extension Tensor {
    /// `e^x` for every element.
    public func exp() -> Tensor { map { Foundation.exp($0) } }
    /// The natural logarithm of every element.
    public func log() -> Tensor { map { Foundation.log($0) } }
    /// The square root of every element.
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    /// Every element squared.
    public func squared() -> Tensor { map { $0 * $0 } }
    /// The absolute value of every element.
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// Every element limited to `range`.
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        map { Swift.min(Swift.max($0, range.lowerBound), range.upperBound) }
    }

    /// `max(x, 0)`.
    public func relu() -> Tensor { map(ScalarActivation.relu) }
    /// `x` for positive `x`, else `alpha * x`.
    public func leakyReLU(alpha: Float = 0.3) -> Tensor { map { ScalarActivation.leakyReLU($0, alpha: alpha) } }
    /// `x` for positive `x`, else `alpha * (e^x - 1)`.
    public func elu(alpha: Float = 1) -> Tensor { map { ScalarActivation.elu($0, alpha: alpha) } }
    /// `1 / (1 + e^-x)`, computed without overflow for large |x|.
    public func sigmoid() -> Tensor { map(ScalarActivation.sigmoid) }
    /// The hyperbolic tangent.
    public func tanh() -> Tensor { map { Foundation.tanh($0) } }
    /// `log(1 + e^x)`, computed without overflow.
    public func softplus() -> Tensor { map(ScalarActivation.softplus) }
    /// Every element raised to `exponent`.
    public func pow(_ exponent: Float) -> Tensor {
        exponent == 2 ? squared() : map { Foundation.pow($0, exponent) }
    }
    /// The Gaussian error linear unit `x · Φ(x)`, or with `approximate` its tanh form
    /// `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`, as Keras's `gelu(approximate:)`.
    public func gelu(approximate: Bool = false) -> Tensor {
        var result = self
        result.applyGELU(approximate: approximate)
        return result
    }

    /// ``gelu(approximate:)`` in place, in loops that vectorise, split across threads.
    public mutating func applyGELU(approximate: Bool = false) {
        makeUnique()
        let x = storage.pointer
        parallelChunks(count: count, costPerItem: 32) { range in
            if approximate {
                for index in range { x[index] = ScalarActivation.geluTanh(x[index]) }
            } else {
                for index in range { x[index] = ScalarActivation.gelu(x[index]) }
            }
        }
    }

    /// dLoss/dInput of ``gelu(approximate:)`` at `input`, from dLoss/dOutput.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes differ.
    public static func geluBackward(input: Tensor, outputGradient: Tensor, approximate: Bool = false) throws -> Tensor {
        guard input.shape == outputGradient.shape else {
            throw TensorError.shapeMismatch(operation: "geluBackward", expected: input.shape, found: outputGradient.shape)
        }
        let result = Tensor(uninitializedShape: input.shape)
        let (x, dy, dx) = (input.storage.pointer, outputGradient.storage.pointer, result.storage.pointer)
        parallelChunks(count: input.count, costPerItem: 48) { range in
            if approximate {
                for index in range { dx[index] = dy[index] * ScalarActivation.geluTanhDerivative(x[index]) }
            } else {
                for index in range { dx[index] = dy[index] * ScalarActivation.geluDerivative(x[index]) }
            }
        }
        return result
    }

    /// The log of the softmax along the last axis, `x − logΣexp(x)`, computed without
    /// overflow (and without the log of a rounded-to-zero probability).
    /// - Throws: ``TensorError/empty(operation:shape:)`` for a tensor with an empty last axis.
    public func logSoftmax() throws -> Tensor {
        let normalizer = try logSumExp()
        return try Tensor.broadcasting(self, try normalizer.reshaped(normalizer.shape + [1]), operation: "logSoftmax", -)
    }

    /// The softmax along the last axis: each row becomes probabilities summing to 1.
    /// Stable for large inputs (the row maximum is subtracted first).
    /// - Throws: ``TensorError/empty(operation:shape:)`` for a tensor with an empty last axis.
    public func softmax() throws -> Tensor {
        guard let columns = shape.last, columns > 0 else {
            throw TensorError.empty(operation: "softmax", shape: shape)
        }
        let result = Tensor(uninitializedShape: shape)
        softmaxRows(storage.pointer, result.storage.pointer, rows: count / columns, columns: columns)
        return result
    }

    /// The gradient of a loss with respect to a softmax's input, given the softmax's output
    /// `output` and the gradient `outputGradient` with respect to it, row by row along the
    /// last axis: `dx = y ⊙ (dy − Σ(dy ⊙ y))`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes differ.
    public static func softmaxBackward(output: Tensor, outputGradient: Tensor) throws -> Tensor {
        guard output.shape == outputGradient.shape, let columns = output.shape.last, columns > 0 else {
            throw TensorError.shapeMismatch(operation: "softmaxBackward", expected: output.shape, found: outputGradient.shape)
        }
        let result = Tensor(uninitializedShape: output.shape)
        let (y, dy, dx) = (output.storage.pointer, outputGradient.storage.pointer, result.storage.pointer)
        for row in 0..<(output.count / columns) {
            let offset = row * columns
            let dot = rowDot(y + offset, dy + offset, count: columns)
            for c in 0..<columns { dx[offset + c] = y[offset + c] * (dy[offset + c] - dot) }
        }
        return result
    }

    /// `log Σ exp(x)` along the last axis, computed as `max + log Σ exp(x − max)` so that it
    /// does not overflow: the log of a softmax's denominator. The last axis is removed.
    /// - Throws: ``TensorError/empty(operation:shape:)`` for a tensor with an empty last axis.
    public func logSumExp() throws -> Tensor {
        guard let columns = shape.last, columns > 0 else {
            throw TensorError.empty(operation: "logSumExp", shape: shape)
        }
        let result = Tensor(uninitializedShape: Array(shape.dropLast()))
        let (x, y) = (storage.pointer, result.storage.pointer)
        for row in 0..<(count / columns) {
            let values = x + row * columns
            var maximum = values[0]
            for c in 1..<columns where values[c] > maximum { maximum = values[c] }
            var sum: Float = 0
            for c in 0..<columns { sum += Foundation.exp(values[c] - maximum) }
            y[row] = maximum + Foundation.log(sum)
        }
        return result
    }
}

/// The scalar activation functions, shared by the tensor methods and the layers.
public enum ScalarActivation {
    /// `max(x, 0)`; NaN stays NaN (as in ``FusedActivation/relu``), so a diverging run is noticed.
    @inlinable public static func relu(_ x: Float) -> Float { x <= 0 ? 0 : x }
    /// `x` for positive `x`, else `alpha * x`.
    @inlinable public static func leakyReLU(_ x: Float, alpha: Float) -> Float { x > 0 ? x : alpha * x }
    /// `x` for positive `x`, else `alpha * (e^x - 1)`.
    @inlinable public static func elu(_ x: Float, alpha: Float) -> Float { x > 0 ? x : alpha * Foundation.expm1(x) }
    /// `1 / (1 + e^-x)` without overflow.
    @inlinable public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }
    /// `x · Φ(x)`, with Φ the standard normal distribution function (``VectorMath``'s `erf`,
    /// branch-free, so that loops over it vectorise).
    @inlinable @inline(__always) public static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + VectorMath.erf(x * 0.70710678118654752)) }
    /// GELU's tanh approximation.
    @inlinable @inline(__always) public static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + VectorMath.tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)))
    }
    /// The derivative of ``gelu(_:)``: `Φ(x) + x·φ(x)`.
    @inlinable @inline(__always) public static func geluDerivative(_ x: Float) -> Float {
        0.5 * (1 + VectorMath.erf(x * 0.70710678118654752)) + x * 0.39894228040143268 * VectorMath.exp(-0.5 * x * x)
    }
    /// The derivative of ``geluTanh(_:)``.
    @inlinable @inline(__always) public static func geluTanhDerivative(_ x: Float) -> Float {
        let inner = 0.79788456080286536 * (x + 0.044715 * x * x * x)
        let t = VectorMath.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.79788456080286536 * (1 + 3 * 0.044715 * x * x)
    }
    /// `log(1 + e^x)` without overflow.
    @inlinable public static func softplus(_ x: Float) -> Float {
        Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
    }
    /// `x · σ(x)` (swish, SiLU).
    @inlinable public static func swish(_ x: Float) -> Float { x * sigmoid(x) }
    /// The derivative of ``swish(_:)``: `σ(x) · (1 + x · (1 − σ(x)))`.
    @inlinable public static func swishDerivative(_ x: Float) -> Float {
        let s = sigmoid(x)
        return s * (1 + x * (1 - s))
    }
    /// `clamp(x / 6 + 1/2, 0, 1)`, Keras 3's `hard_sigmoid` (`relu6(x + 3) / 6`).
    @inlinable public static func hardSigmoid(_ x: Float) -> Float { Swift.min(Swift.max(x / 6 + 0.5, 0), 1) }
}

/// Row-wise softmax of a row-major `rows x columns` matrix, rows split across threads;
/// `output` may be `input`.
func softmaxRows(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
    parallelChunks(count: rows, costPerItem: 8 * columns) { range in
        for r in range { softmaxRow(input + r * columns, output + r * columns, columns: columns) }
    }
}

/// The softmax of one row of `columns` scalars, on the calling thread; `output` may be `input`.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, columns: Int) {
    var maximum = x[0]
    for c in 1..<columns where x[c] > maximum { maximum = x[c] }
    // The exponentials in a loop of their own, which vectorises; then their sum.
    for c in 0..<columns { y[c] = VectorMath.exp(x[c] - maximum) }
    let inverse = 1 / rowSum(y, count: columns)
    for c in 0..<columns { y[c] *= inverse }
}
