import Tensor

/// How a weight tensor starts, with Keras's names and formulas.
public enum Initializer: Sendable, Equatable, Codable {
    /// `U(−l, l)`, `l = √(6 / (fanIn + fanOut))`: Keras's default for kernels.
    case glorotUniform
    /// Truncated normal with variance `2 / (fanIn + fanOut)`.
    case glorotNormal
    /// Truncated normal with variance `2 / fanIn`: suited to ReLU.
    case heNormal
    /// `U(−l, l)`, `l = √(6 / fanIn)`.
    case heUniform
    /// All zeros: Keras's default for biases.
    case zeros
    /// All ones.
    case ones
    /// Every element `value`.
    case constant(Float)
    /// A random (semi-)orthogonal matrix times `gain` (Keras's `Orthogonal`), by QR through
    /// LAPACK; for a convolution kernel the matrix is `[kh·kw·cin, cout]`.
    case orthogonal(gain: Float = 1)
    /// `U(minimum, maximum)` (Keras's `RandomUniform`, the default of `Embedding`).
    case randomUniform(minimum: Float = -0.05, maximum: Float = 0.05)

    /// A limit on the scalars that weight creation may allocate, set while a model file is
    /// loaded: a lying architecture cannot make `build` allocate more than the file holds.
    @TaskLocal static var budget: WeightBudget?

    /// A tensor of `shape` initialised this way.
    /// - Throws: when the shape is invalid, or larger than the current loading budget.
    public func makeTensor(_ shape: [Int], using generator: inout RandomGenerator) throws -> Tensor {
        if let budget = Initializer.budget {
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: Swift.max(dimension, 0))
                count = overflow ? Int.max : product
            }
            guard count <= budget.remaining else {
                throw ModelFileError.weightMismatch("the architecture needs a weight of shape \(shape), more than the file holds")
            }
            budget.remaining -= count
        }
        return switch self {
        case .glorotUniform: try Tensor.glorotUniform(shape, using: &generator)
        case .glorotNormal: try Tensor.glorotNormal(shape, using: &generator)
        case .heNormal: try Tensor.heNormal(shape, using: &generator)
        case .heUniform: try Tensor.heUniform(shape, using: &generator)
        case .zeros: try Tensor.zeros(shape)
        case .ones: try Tensor.ones(shape)
        case let .constant(value): try Tensor.filled(shape, with: value)
        case let .orthogonal(gain): try Tensor.orthogonal(shape, gain: gain, using: &generator)
        case let .randomUniform(minimum, maximum):
            try Tensor.uniform(shape, lowerBound: minimum, upperBound: maximum, using: &generator)
        }
    }
}

/// A penalty on a weight tensor, added to the loss while training.
public enum Regularizer: Sendable, Equatable, Codable {
    /// `factor · Σ w²` (Keras's `L2`); its gradient `2 · factor · w` is added to the weight's.
    case l2(Float)

    /// The penalty for `value`.
    public func loss(_ value: Tensor) -> Float {
        switch self {
        case let .l2(factor): factor * value.squared().sum()
        }
    }

    /// Adds the penalty's gradient to `gradient`.
    public func addGradient(of value: Tensor, to gradient: inout Tensor) throws {
        switch self {
        case let .l2(factor): try gradient.zipInPlace(value) { g, w in g + 2 * factor * w }
        }
    }
}

/// A height and width (kernel size, strides, pool size). An integer literal means a square:
/// `kernelSize: 3` is 3x3.
public struct Size2D: Sendable, Equatable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int

    /// A `height x width` size.
    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// A square size.
    public init(integerLiteral value: Int) { self.init(value, value) }

    public var description: String { "(\(height), \(width))" }

    /// Both sizes positive and at most 2¹⁶, which keeps window arithmetic far from overflow.
    var isPositive: Bool { (1...65536).contains(height) && (1...65536).contains(width) }
}

/// The scalars a model file holds, spent by ``Initializer/makeTensor(_:using:)`` while loading.
final class WeightBudget: @unchecked Sendable {
    var remaining: Int
    init(_ remaining: Int) { self.remaining = remaining }
}
