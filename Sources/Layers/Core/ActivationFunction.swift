import Foundation
import Tensor

/// An element-wise (or, for softmax, row-wise) activation, given to `Dense`, `Conv2D` or
/// `Activation` as in Keras: `Dense(units: 10, activation: .softmax)`.
public enum ActivationFunction: Sendable, Equatable, Codable {
    /// The identity (no activation).
    case linear
    /// `max(x, 0)`.
    case relu
    /// `x` for positive `x`, else `alpha · x`.
    case leakyReLU(alpha: Float)
    /// `x` for positive `x`, else `alpha · (eˣ − 1)`.
    case elu(alpha: Float)
    /// `1 / (1 + e⁻ˣ)`.
    case sigmoid
    /// The hyperbolic tangent.
    case tanh
    /// Softmax over the last axis.
    case softmax
    /// `x · Φ(x)` (Φ the standard normal distribution function), or with `approximate` its
    /// tanh form `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`, as Keras's `gelu`.
    case gelu(approximate: Bool = false)
    /// `x · σ(x)`, Keras's `silu` (also called swish).
    case swish
    /// `log(1 + eˣ)`.
    case softplus
    /// `clamp(x/6 + 1/2, 0, 1)`, Keras 3's `hard_sigmoid`.
    case hardSigmoid

    /// Keras's other name for ``swish``.
    public static let silu = ActivationFunction.swish

    /// Whether the derivative needs the activation's input (GELU, swish); the others take it
    /// from the output, so layers keep only their output.
    public var needsInput: Bool {
        switch self {
        case .gelu, .swish: true
        default: false
        }
    }

    /// Keras's name for the activation.
    public var name: String {
        switch self {
        case .linear: "linear"
        case .relu: "relu"
        case .leakyReLU: "leaky_relu"
        case .elu: "elu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .softmax: "softmax"
        case .gelu: "gelu"
        case .swish: "silu"
        case .softplus: "softplus"
        case .hardSigmoid: "hard_sigmoid"
        }
    }

    /// Records an out-of-range parameter of this activation (a negative or non-finite
    /// slope) in `check` as the argument `argument`.
    func check(_ check: inout HyperparameterCheck, argument: String = "activation") {
        switch self {
        case let .leakyReLU(alpha):
            check.require(alpha >= 0 && alpha.isFinite, argument, "leakyReLU(alpha: \(alpha))", "expected alpha >= 0 and finite")
        case let .elu(alpha):
            check.require(alpha.isFinite, argument, "elu(alpha: \(alpha))", "expected a finite alpha")
        default: break
        }
    }

    /// The scalar function, for the element-wise activations (nil for softmax).
    @usableFromInline
    var scalarFunction: ((Float) -> Float)? {
        switch self {
        case .linear: { $0 }
        case .relu: ScalarActivation.relu
        case let .leakyReLU(alpha): { ScalarActivation.leakyReLU($0, alpha: alpha) }
        case let .elu(alpha): { ScalarActivation.elu($0, alpha: alpha) }
        case .sigmoid: ScalarActivation.sigmoid
        case .tanh: { Foundation.tanh($0) }
        case .softmax: nil
        case let .gelu(approximate): approximate ? ScalarActivation.geluTanh : ScalarActivation.gelu
        case .swish: ScalarActivation.swish
        case .softplus: ScalarActivation.softplus
        case .hardSigmoid: ScalarActivation.hardSigmoid
        }
    }

    /// Applies the activation to `x` in place.
    public func apply(to x: inout Tensor) throws {
        switch self {
        case .linear: return
        case .relu: x = FusedActivation.relu(x)
        case .softmax: x = try x.softmax()
        case let .gelu(approximate): x.applyGELU(approximate: approximate)
        default: x.mapInPlace(scalarFunction!)
        }
    }

    /// `bias` added along the last axis and the activation applied, in one pass where possible.
    public func applyWithBias(_ bias: Tensor, to x: inout Tensor) throws {
        switch self {
        case .linear: try x.addBias(bias)
        case .relu: try x.addBias(bias, thenApply: ScalarActivation.relu)
        case .softmax:
            try x.addBias(bias)
            x = try x.softmax()
        default: try x.addBias(bias, thenApply: scalarFunction!)
        }
    }

    /// dLoss/dInput from dLoss/dOutput, computed from the activation's output `y`, and from
    /// its input `x` for the activations that need it (``needsInput``).
    /// - Throws: ``LayersError`` when an activation that needs its input gets none, or the
    ///   shapes differ.
    public func backward(input x: Tensor?, output y: Tensor, outputGradient dy: Tensor) throws -> Tensor {
        guard needsInput else { return try backward(output: y, outputGradient: dy) }
        guard let x else {
            throw LayersError.notReady(operation: "\(name) backward", reason: "\(name)'s derivative needs its input, which was not kept")
        }
        switch self {
        case let .gelu(approximate):
            return try wrappingTensorErrors { try Tensor.geluBackward(input: x, outputGradient: dy, approximate: approximate) }
        default:
            return try wrappingTensorErrors { try x.zip(dy) { x, dy in dy * ScalarActivation.swishDerivative(x) } }
        }
    }

    /// dLoss/dInput from dLoss/dOutput, computed from the activation's output `y`.
    /// - Throws: ``LayersError`` for an activation whose derivative needs its input
    ///   (``needsInput``: use ``backward(input:output:outputGradient:)``).
    public func backward(output y: Tensor, outputGradient dy: Tensor) throws -> Tensor {
        switch self {
        case .linear:
            return dy
        case .relu:
            return try FusedActivation.relu.backward(output: y, outputGradient: dy)
        case let .leakyReLU(alpha):
            return try y.zip(dy) { y, dy in y > 0 ? dy : alpha * dy }
        case let .elu(alpha):
            return try y.zip(dy) { y, dy in y > 0 ? dy : dy * (y + alpha) }
        case .sigmoid:
            return try y.zip(dy) { y, dy in dy * y * (1 - y) }
        case .tanh:
            return try y.zip(dy) { y, dy in dy * (1 - y * y) }
        case .softmax:
            return try Tensor.softmaxBackward(output: y, outputGradient: dy)
        case .softplus:
            // σ(x) = 1 − e^(−y).
            return try y.zip(dy) { y, dy in -dy * Foundation.expm1(-y) }
        case .hardSigmoid:
            return try y.zip(dy) { y, dy in y > 0 && y < 1 ? dy / 6 : 0 }
        case .gelu, .swish:
            throw LayersError.notReady(operation: "\(name) backward", reason: "\(name)'s derivative needs its input; "
                                       + "call backward(input:output:outputGradient:)")
        }
    }
}
