import Foundation
import Tensor

/// What training minimises, with Keras's names and formulas, averaged over the batch.
///
/// `.categoricalCrossentropy` takes one-hot targets `[N, classes]`;
/// `.sparseCategoricalCrossentropy` takes class indices `[N]` (or `[N, 1]`);
/// `.binaryCrossentropy` takes 0/1 targets shaped like the output; `.meanSquaredError`
/// takes targets shaped like the output. With `fromLogits: true` the model's output is
/// taken as logits and the softmax (or sigmoid) is applied inside the loss, stably.
public struct Loss: Sendable, Equatable, Codable {
    /// The loss functions.
    public enum Kind: String, Sendable, Codable {
        case categoricalCrossentropy = "categorical_crossentropy"
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
        case binaryCrossentropy = "binary_crossentropy"
        case meanSquaredError = "mean_squared_error"
    }

    /// Which function.
    public let kind: Kind
    /// Whether predictions are logits rather than probabilities.
    public let fromLogits: Bool

    /// Keras clips probabilities to `[ε, 1 − ε]` before taking logarithms.
    static let epsilon: Float = 1e-7

    public static let categoricalCrossentropy = Loss(kind: .categoricalCrossentropy, fromLogits: false)
    public static let sparseCategoricalCrossentropy = Loss(kind: .sparseCategoricalCrossentropy, fromLogits: false)
    public static let binaryCrossentropy = Loss(kind: .binaryCrossentropy, fromLogits: false)
    public static let meanSquaredError = Loss(kind: .meanSquaredError, fromLogits: false)
    /// Categorical cross-entropy, on logits when `fromLogits` is true.
    public static func categoricalCrossentropy(fromLogits: Bool) -> Loss { Loss(kind: .categoricalCrossentropy, fromLogits: fromLogits) }
    /// Sparse categorical cross-entropy, on logits when `fromLogits` is true.
    public static func sparseCategoricalCrossentropy(fromLogits: Bool) -> Loss { Loss(kind: .sparseCategoricalCrossentropy, fromLogits: fromLogits) }
    /// Binary cross-entropy, on logits when `fromLogits` is true.
    public static func binaryCrossentropy(fromLogits: Bool) -> Loss { Loss(kind: .binaryCrossentropy, fromLogits: fromLogits) }

    /// Keras's name.
    public var name: String { kind.rawValue }

    /// The output activation whose backward pass this loss can absorb: softmax for the
    /// categorical losses and sigmoid for binary cross-entropy, on probabilities. The
    /// gradient with respect to the pre-activation is then `(p − y) / n`: exact and stable.
    public var fusableActivation: ActivationFunction? {
        guard !fromLogits else { return nil }
        switch kind {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy: return .softmax
        case .binaryCrossentropy: return .sigmoid
        case .meanSquaredError: return nil
        }
    }

    /// The shape a batch of `batch` targets must have for outputs shaped `outputShape` (per sample).
    public func targetShape(batch: Int, outputShape: [Int]) -> [Int] {
        switch kind {
        case .sparseCategoricalCrossentropy: [batch]
        default: [batch] + outputShape
        }
    }

    /// Checks targets for a model whose samples have output `outputShape`.
    /// - Throws: ``LayersError/invalidData(_:)`` saying what was expected.
    public func validate(targets y: Tensor, outputShape: [Int]) throws {
        let batch = y.shape.first ?? 0
        var expected = targetShape(batch: batch, outputShape: outputShape)
        if kind == .sparseCategoricalCrossentropy, y.shape == [batch, 1] { expected = [batch, 1] }
        guard y.shape == expected else {
            let hint = switch kind {
            case .categoricalCrossentropy where y.rank == 1:
                "; these look like class indices: use .sparseCategoricalCrossentropy, or one-hot encode them with Tensor.oneHot"
            case .sparseCategoricalCrossentropy where y.rank == 2:
                "; these look like one-hot rows: use .categoricalCrossentropy"
            default: ""
            }
            throw LayersError.invalidData("\(name): expected targets of shape \(expected), found \(y.shape)\(hint)")
        }
        if kind == .sparseCategoricalCrossentropy, let classes = outputShape.last,
           let bad = y.scalars.first(where: { $0 < 0 || $0 >= Float(classes) || $0 != $0.rounded() }) {
            throw LayersError.invalidData("\(name): expected class indices in 0..<\(classes), found \(bad)")
        }
    }

    /// The loss of a batch and its gradient with respect to `prediction` or, when `fused`
    /// (see ``fusableActivation``), with respect to the output layer's pre-activation.
    public func compute(prediction p: Tensor, target: Tensor, fused: Bool = false) throws -> (value: Float, gradient: Tensor) {
        let batch = Float(Swift.max(p.shape.first ?? 1, 1))
        let count = Float(Swift.max(p.count, 1))
        let eps = Loss.epsilon
        switch kind {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            let y = kind == .sparseCategoricalCrossentropy
                ? try Tensor.oneHot(target.scalars.map { Int($0) }, classes: p.shape.last ?? 1)
                : target
            if fromLogits {
                let probabilities = try p.softmax()
                let logSumExp = try p.logSumExp()
                // −Σ y·log softmax(z) = Σ y·(logΣexp(z) − z) for rows of y summing to 1.
                let value = try (y * p).sum(alongAxis: -1).zip(logSumExp) { yz, lse in lse - yz }.sum() / batch
                return (value, try (probabilities - y) / batch)
            }
            let clipped = p.clamped(to: eps...(1 - eps))
            let value = -(try (y * clipped.log()).sum()) / batch
            if fused { return (value, try (p - y) / batch) }
            return (value, try (y / clipped) * (-1 / batch))
        case .binaryCrossentropy:
            if fromLogits {
                let value = try p.zip(target) { z, y in Swift.max(z, 0) - z * y + Foundation.log1p(Foundation.exp(-Swift.abs(z))) }.sum() / count
                return (value, try (p.sigmoid() - target) / count)
            }
            let clipped = p.clamped(to: eps...(1 - eps))
            let value = -(try clipped.zip(target) { p, y in y * Foundation.log(p) + (1 - y) * Foundation.log(1 - p) }.sum()) / count
            if fused { return (value, try (p - target) / count) }
            return (value, try clipped.zip(target) { p, y in (p - y) / (p * (1 - p)) / count })
        case .meanSquaredError:
            let difference = try p - target
            return (difference.squared().sum() / count, difference * (2 / count))
        }
    }
}
