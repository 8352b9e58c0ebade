import Foundation
import Tensor

/// What training minimises, with Keras's names and formulas, averaged over the batch.
///
/// `.categoricalCrossentropy` takes one-hot targets `[N, classes]`;
/// `.sparseCategoricalCrossentropy` takes class indices `[N]` (or `[N, 1]`). Both take any
/// rank, as Keras's do: for outputs `[N, steps, classes]` (a class per step, or per pixel for
/// `[N, height, width, classes]`) the targets are `[N, steps, classes]` or `[N, steps]`, and
/// the loss is the mean over every sample and step;
/// `.binaryCrossentropy` takes 0/1 targets shaped like the output; `.meanSquaredError`
/// takes targets shaped like the output. With `fromLogits: true` the model's output is
/// taken as logits and the softmax (or sigmoid) is applied inside the loss, stably.
/// `.meanAbsoluteError`, `.huber(delta:)`, `.kullbackLeiblerDivergence` and
/// `.cosineSimilarity` take targets shaped like the output too; `.custom(_:)` is a
/// ``CustomLoss`` of your own. Those five are computed forward-only on a ``GradientTape``.
public struct Loss: Sendable, Equatable, Codable {
    /// The loss functions.
    public enum Kind: String, Sendable, Codable {
        case categoricalCrossentropy = "categorical_crossentropy"
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
        case binaryCrossentropy = "binary_crossentropy"
        case meanSquaredError = "mean_squared_error"
        case meanAbsoluteError = "mean_absolute_error"
        case huber = "huber"
        case kullbackLeiblerDivergence = "kl_divergence"
        case cosineSimilarity = "cosine_similarity"
        case custom = "custom"
    }

    /// Which function.
    public let kind: Kind
    /// Whether predictions are logits rather than probabilities.
    public let fromLogits: Bool
    /// Huber's threshold between the quadratic and the linear part (1 in Keras).
    public private(set) var delta: Float?
    /// The loss of `.custom`.
    private(set) var custom: CustomLossBox?

    init(kind: Kind, fromLogits: Bool) {
        self.kind = kind
        self.fromLogits = fromLogits
    }

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

    /// The mean absolute error `mean(|p − y|)`.
    public static let meanAbsoluteError = Loss(kind: .meanAbsoluteError, fromLogits: false)
    /// Keras's `KLDivergence`: `Σ y·log(y / p)` over the last axis (both clipped to `[ε, 1]`),
    /// averaged over the batch.
    public static let kullbackLeiblerDivergence = Loss(kind: .kullbackLeiblerDivergence, fromLogits: false)
    /// Keras's `CosineSimilarity` loss: minus the cosine of the angle between prediction and
    /// target along the last axis, averaged over the batch (−1 when they point the same way).
    public static let cosineSimilarity = Loss(kind: .cosineSimilarity, fromLogits: false)
    /// The Huber loss: `½e²` where `|e| ≤ delta`, `delta·(|e| − ½delta)` beyond, averaged.
    public static func huber(delta: Float = 1) -> Loss {
        var loss = Loss(kind: .huber, fromLogits: false)
        loss.delta = delta
        return loss
    }
    /// A loss of your own (see ``CustomLoss``).
    public static func custom(_ loss: some CustomLoss) -> Loss {
        var result = Loss(kind: .custom, fromLogits: false)
        result.custom = CustomLossBox(loss)
        return result
    }

    /// Keras's name (a custom loss's ``CustomLoss/typeName``).
    public var name: String { custom?.typeName ?? kind.rawValue }

    /// The output activation whose backward pass this loss can absorb: softmax for the
    /// categorical losses and sigmoid for binary cross-entropy, on probabilities. The
    /// gradient with respect to the pre-activation is then `(p − y) / n`: exact and stable.
    public var fusableActivation: ActivationFunction? {
        guard !fromLogits else { return nil }
        switch kind {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy: return .softmax
        case .binaryCrossentropy: return .sigmoid
        default: return nil
        }
    }

    /// The shape a batch of `batch` targets must have for outputs shaped `outputShape` (per
    /// sample): the output's for most losses, without the class axis for class indices.
    public func targetShape(batch: Int, outputShape: [Int]) -> [Int] {
        switch kind {
        case .sparseCategoricalCrossentropy: [batch] + outputShape.dropLast()
        default: [batch] + outputShape
        }
    }

    /// Checks the loss's own hyper-parameters (Huber's delta); `compile` calls it.
    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` naming the argument.
    public func checkHyperparameters() throws {
        if kind == .huber, let delta, !(delta > 0 && delta.isFinite) {
            throw LayersError.invalidArgument(layer: "huber", argument: "delta", value: "\(delta)", reason: "expected a positive, finite value")
        }
    }

    /// Checks targets for a model whose samples have output `outputShape`.
    /// - Throws: ``LayersError/invalidData(_:)`` saying what was expected.
    public func validate(targets y: Tensor, outputShape: [Int]) throws {
        let batch = y.shape.first ?? 0
        // A custom loss says itself what targets it takes; one per sample is all that is checked.
        if kind == .custom { return }
        var expected = targetShape(batch: batch, outputShape: outputShape)
        if kind == .sparseCategoricalCrossentropy, y.shape == expected + [1] { expected = y.shape }
        guard y.shape == expected else {
            // Targets of one class per sample for a model that predicts at every position.
            let perSample = outputShape.count > 1 && [[batch, outputShape.last ?? 0], [batch], [batch, 1]].contains(y.shape)
            let hint = switch kind {
            case .categoricalCrossentropy where y.shape == [batch] + outputShape.dropLast():
                "; these look like class indices: use .sparseCategoricalCrossentropy, or one-hot encode them with Tensor.oneHot"
            case .sparseCategoricalCrossentropy where y.shape == [batch] + outputShape:
                "; these look like one-hot rows: use .categoricalCrossentropy"
            case .categoricalCrossentropy where perSample, .sparseCategoricalCrossentropy where perSample:
                "; the model predicts a class at every position of its output (None, "
                    + outputShape.map(String.init).joined(separator: ", ")
                    + "): for a class per sample add Flatten() (or a global pooling) and a Dense layer at the end"
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
        let count = Float(Swift.max(p.count, 1))
        let eps = Loss.epsilon
        switch kind {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            let y = try oneHotTargets(target, like: p)
            // One class distribution per row of the last axis: per sample, or per sample and step.
            let rows = Float(Swift.max(p.count / Swift.max(p.shape.last ?? 1, 1), 1))
            if fromLogits {
                let probabilities = try p.softmax()
                let logSumExp = try p.logSumExp()
                // −Σ y·log softmax(z) = Σ y·(logΣexp(z) − z) for rows of y summing to 1.
                let value = try (y * p).sum(alongAxis: -1).zip(logSumExp) { yz, lse in lse - yz }.sum() / rows
                return (value, try (probabilities - y) / rows)
            }
            let clipped = p.clamped(to: eps...(1 - eps))
            let value = -(try (y * clipped.log()).sum()) / rows
            if fused { return (value, try (p - y) / rows) }
            return (value, try (y / clipped) * (-1 / rows))
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
        default:
            let tape = GradientTape()
            let prediction = tape.watch(p)
            let value = try forwardOnly(prediction: prediction, target: Variable(target))
            guard value.shape == [] || value.value.count == 1 else {
                throw LayersError.invalidData("\(name): the loss must be a scalar, found shape \(value.shape)")
            }
            guard value.isRecorded else { return (try value.value.scalar(), Tensor.zeros(like: p)) }
            return (try value.value.scalar(), try tape.gradient(of: value, withRespectTo: [prediction])[0])
        }
    }

    /// ``compute(prediction:target:fused:)`` with each sample's loss weighted (Keras's
    /// `sample_weight`) and, for outputs with a step axis, the steps outside `mask` left out (the
    /// output's mask, `[N, steps]`, that `Embedding(maskZero: true)` starts; see ``MaskingLayer``).
    ///
    /// As Keras: the value is `Σ wₙ·lₙ / N` over the batch's `N` samples, and with a mask
    /// `Σ wₙ·mₙₜ·lₙₜ / Σ mₙₜ`, the mean over the real steps; each sample's (or step's) gradient is
    /// scaled alike, which is exact because every built-in loss is a mean of such terms. A custom
    /// loss takes neither (it may mix samples).
    /// - Throws: ``LayersError/invalidData(_:)`` for weights or a mask of the wrong shape, or a custom loss.
    public func compute(
        prediction p: Tensor, target: Tensor, fused: Bool = false, sampleWeights: Tensor?, mask: Tensor? = nil
    ) throws -> (value: Float, gradient: Tensor) {
        guard sampleWeights != nil || mask != nil else { return try compute(prediction: p, target: target, fused: fused) }
        let batch = p.shape.first ?? 0
        if let weights = sampleWeights, weights.shape != [batch] {
            throw LayersError.invalidData("\(name): expected one sample weight per sample, shape [\(batch)], found \(weights.shape)")
        }
        guard kind != .custom else {
            let what = sampleWeights != nil ? "sample weights; weight the samples inside it"
                : "the output's mask (Embedding(maskZero: true)); leave the masked steps out inside it"
            throw LayersError.invalidData("\(name): a custom loss takes no \(what)")
        }
        let (_, gradient) = try compute(prediction: p, target: target, fused: fused)
        guard let mask else {
            let losses = try perSampleLosses(prediction: p, target: target)
            let weights = sampleWeights!
            let value = zip(losses.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                / Double(Swift.max(batch, 1))
            let rows = try weights.reshaped([batch] + [Int](repeating: 1, count: Swift.max(p.rank - 1, 0)))
            return (Float(value), try Tensor.broadcasting(gradient, rows, *))
        }
        let positions = Array(p.shape.dropLast())
        guard p.rank >= 3, mask.shape == positions else {
            throw LayersError.invalidData(
                "\(name): expected a mask of shape \(positions) for outputs of shape \(p.shape), found \(mask.shape)")
        }
        // Keras's weights: wₙ·mₙₜ·total/valid, so that the mean over all steps is the mean over the real ones
        // (and 0 when no step is real).
        let stepsPerSample = mask.count / Swift.max(batch, 1)
        let valid = mask.scalars.reduce(0.0) { $0 + ($1 != 0 ? 1 : 0) }
        let share = valid > 0 ? Double(mask.count) / valid : 0
        let weights = sampleWeights?.scalars
        let scales = mask.scalars.enumerated().map { index, real in
            real != 0 ? Float(share * Double(weights?[index / stepsPerSample] ?? 1)) : 0
        }
        let losses = try perPositionLosses(prediction: p, target: target)
        let value = zip(losses.scalars, scales).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            / Double(Swift.max(mask.count, 1))
        let scale = try Tensor(shape: positions + [1], scalars: scales)
        return (Float(value), try Tensor.broadcasting(gradient, scale, *))
    }

    /// Each sample's loss, `[N]`: the terms whose mean ``compute(prediction:target:fused:)`` is
    /// (for outputs with steps, each sample's mean over its steps).
    func perSampleLosses(prediction p: Tensor, target: Tensor) throws -> Tensor {
        let batch = p.shape.first ?? 0
        guard kind != .custom else {
            // A custom loss, one sample at a time.
            return try Tensor(shape: [batch], scalars: (0..<batch).map { row in
                try compute(prediction: try p.slice(batch: row..<(row + 1)), target: try target.slice(batch: row..<(row + 1))).value
            })
        }
        let positions = try perPositionLosses(prediction: p, target: target)
        return p.rank <= 2 ? positions : try positions.reshaped([batch, -1]).mean(alongAxis: 1)
    }

    /// Each position's loss: one per row of the last axis (the classes or features each loss
    /// reduces), shaped like the prediction without that axis (like the prediction when it has
    /// one axis). ``compute(prediction:target:fused:)`` is their mean. Not for a custom loss.
    func perPositionLosses(prediction p: Tensor, target: Tensor) throws -> Tensor {
        let eps = Loss.epsilon
        func rowMeans(_ elementTerms: Tensor) throws -> Tensor {
            p.rank >= 2 ? try elementTerms.mean(alongAxis: -1) : elementTerms
        }
        switch kind {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            let y = try oneHotTargets(target, like: p)
            if fromLogits { return try p.logSumExp() - (y * p).sum(alongAxis: -1) }
            return -(try (y * p.clamped(to: eps...(1 - eps)).log()).sum(alongAxis: -1))
        case .binaryCrossentropy:
            let terms = fromLogits
                ? try p.zip(target) { z, y in Swift.max(z, 0) - z * y + Foundation.log1p(Foundation.exp(-Swift.abs(z))) }
                : try p.clamped(to: eps...(1 - eps)).zip(target) { p, y in -(y * Foundation.log(p) + (1 - y) * Foundation.log(1 - p)) }
            return try rowMeans(terms)
        case .meanSquaredError: return try rowMeans((p - target).squared())
        case .custom:
            throw LayersError.invalidData("\(name): a custom loss gives one value for a batch, not one per step")
        default:
            let (terms, perElement) = try forwardOnlyTerms(prediction: Variable(p), target: Variable(target))
            return perElement ? try rowMeans(terms.value) : terms.value
        }
    }

    /// The targets of a cross-entropy as one-hot rows shaped like `p` (class indices expanded).
    private func oneHotTargets(_ target: Tensor, like p: Tensor) throws -> Tensor {
        guard kind == .sparseCategoricalCrossentropy else { return target }
        return try Tensor.oneHot(target.scalars.map { Int($0) }, classes: p.shape.last ?? 1).reshaped(p.shape)
    }

    /// The losses written with ``Variable`` operations, their gradient from the tape: the mean of
    /// their terms, or a custom loss's value.
    private func forwardOnly(prediction p: Variable, target y: Variable) throws -> Variable {
        guard kind == .custom else { return try forwardOnlyTerms(prediction: p, target: y).terms.mean() }
        guard let custom else { throw LayersError.notReady(operation: "loss", reason: "a custom loss without its function") }
        return try custom.value(prediction: p, target: y)
    }

    /// The terms of a tape-computed built-in loss: one per element (`perElement`), or one per row
    /// of the last axis.
    private func forwardOnlyTerms(prediction p: Variable, target y: Variable) throws -> (terms: Variable, perElement: Bool) {
        let eps = Loss.epsilon
        switch kind {
        case .meanAbsoluteError:
            return (try (p - y).abs(), true)
        case .huber:
            let delta = self.delta ?? 1
            let error = try (p - y).abs()
            let inside = error.value.map { $0 <= delta ? 1 : 0 }
            let quadratic = try error.pow(2) * 0.5
            let linear = try (error - 0.5 * delta) * delta
            return (try Variable.select(where: inside, quadratic, linear), true)
        case .kullbackLeiblerDivergence:
            let (target, prediction) = (try y.clamped(to: eps...1), try p.clamped(to: eps...1))
            return (try (target * (target / prediction).log()).sum(alongAxes: [-1]), false)
        case .cosineSimilarity:
            func normalized(_ x: Variable) throws -> Variable {
                try x / (try x.pow(2).sum(alongAxes: [-1], keepingDimensions: true).clamped(to: 1e-12...Float.infinity).sqrt())
            }
            return (try -(try (normalized(p) * normalized(y)).sum(alongAxes: [-1])), false)
        default:
            throw LayersError.notReady(operation: name, reason: "computed in closed form, not on the tape")
        }
    }
}
