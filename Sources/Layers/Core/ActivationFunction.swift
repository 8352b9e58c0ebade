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
        }
    }

    /// Applies the activation to `x` in place.
    public func apply(to x: inout Tensor) throws {
        switch self {
        case .linear: return
        case .relu: x = FusedActivation.relu(x)
        case .softmax: x = try x.softmax()
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

    /// dLoss/dInput from dLoss/dOutput, computed from the activation's output `y` (every
    /// activation here has a derivative expressible through its output).
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
        }
    }
}
