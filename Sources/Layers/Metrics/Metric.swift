import Tensor

/// A quality measure reported during training and evaluation, with Keras's names.
///
/// `.accuracy` picks the right accuracy for the loss, as Keras does: categorical for one-hot
/// targets, sparse for class indices, binary for 0/1 targets (and for a mean squared error on
/// one output). ``Logs/accuracy`` reads whichever accuracy a run logged.
///
/// For outputs with a step axis and a mask (`Embedding(maskZero: true)`), the accuracies and
/// mean errors count only the real steps, as Keras's; precision, recall, AUC and custom metrics
/// count every step.
public struct Metric: Sendable, Equatable, Codable {
    /// The metric functions.
    public enum Kind: Sendable, Equatable, Codable {
        case accuracy
        case categoricalAccuracy
        case sparseCategoricalAccuracy
        case binaryAccuracy(threshold: Float)
        case topKCategoricalAccuracy(k: Int)
        case sparseTopKCategoricalAccuracy(k: Int)
        case meanAbsoluteError
        case meanSquaredError
        /// TP / (TP + FP) over the epoch (see ``Metric/precision(threshold:classID:)``).
        case precision(threshold: Float, classID: Int?)
        /// TP / (TP + FN) over the epoch (see ``Metric/recall(threshold:classID:)``).
        case recall(threshold: Float, classID: Int?)
        /// The area under the ROC or precision-recall curve (see ``Metric/auc(curve:thresholds:)``).
        case auc(curve: AUCCurve, thresholds: Int)
        case custom
    }

    /// Which function.
    public let kind: Kind
    /// The metric of `.custom`.
    private(set) var custom: CustomMetricBox?

    init(kind: Kind) {
        self.kind = kind
    }

    public static let accuracy = Metric(kind: .accuracy)
    public static let categoricalAccuracy = Metric(kind: .categoricalAccuracy)
    public static let sparseCategoricalAccuracy = Metric(kind: .sparseCategoricalAccuracy)
    public static let binaryAccuracy = Metric(kind: .binaryAccuracy(threshold: 0.5))
    /// Binary accuracy with predictions above `threshold` counted as 1.
    public static func binaryAccuracy(threshold: Float) -> Metric { Metric(kind: .binaryAccuracy(threshold: threshold)) }
    /// The fraction of samples whose true class is among the `k` highest predictions (one-hot targets).
    public static func topKCategoricalAccuracy(k: Int = 5) -> Metric { Metric(kind: .topKCategoricalAccuracy(k: k)) }
    /// The same with class-index targets.
    public static func sparseTopKCategoricalAccuracy(k: Int = 5) -> Metric { Metric(kind: .sparseTopKCategoricalAccuracy(k: k)) }
    /// The mean absolute difference between predictions and targets (targets shaped like the output).
    public static let meanAbsoluteError = Metric(kind: .meanAbsoluteError)
    /// The mean squared difference between predictions and targets (targets shaped like the output).
    public static let meanSquaredError = Metric(kind: .meanSquaredError)
    /// A metric of your own (see ``CustomMetric``).
    public static func custom(_ metric: some CustomMetric) -> Metric {
        var result = Metric(kind: .custom)
        result.custom = CustomMetricBox(metric)
        return result
    }

    /// The key under which the metric is logged (`accuracy`, `top_k_categorical_accuracy`, ...).
    public var name: String {
        switch kind {
        case .accuracy: "accuracy"
        case .categoricalAccuracy: "categorical_accuracy"
        case .sparseCategoricalAccuracy: "sparse_categorical_accuracy"
        case .binaryAccuracy: "binary_accuracy"
        case .topKCategoricalAccuracy: "top_k_categorical_accuracy"
        case .sparseTopKCategoricalAccuracy: "sparse_top_k_categorical_accuracy"
        case .meanAbsoluteError: "mean_absolute_error"
        case .meanSquaredError: "mean_squared_error"
        case .precision: "precision"
        case .recall: "recall"
        case .auc: "auc"
        case .custom: custom?.typeName ?? "custom"
        }
    }

    /// What a batch adds to the epoch's counts, which the logs sum over the batches and
    /// ``value(ofCounts:)`` turns into the metric: `[sum, count]` for the means and
    /// accuracies, `[TP, TP + FP]` for precision, the confusion counts at every threshold for
    /// AUC. Summing counts (not averaging batch values) makes precision, recall and AUC
    /// those of the whole epoch, as Keras's stateful metrics are. `mask` (the output's, `[N, steps]`)
    /// leaves out the masked steps of the accuracies and mean errors.
    public func counts(prediction p: Tensor, target y: Tensor, loss: Loss, mask: Tensor? = nil) throws -> [Double] {
        switch kind {
        case let .precision(threshold, classID), let .recall(threshold, classID):
            let (truePositives, falsePositives, falseNegatives) = try confusion(p, y, threshold: threshold, classID: classID)
            let isPrecision = if case .precision = kind { true } else { false }
            return [truePositives, truePositives + (isPrecision ? falsePositives : falseNegatives)]
        case let .auc(_, thresholds):
            return try confusionCurve(p, y, thresholds: thresholds)
        default:
            let (sum, count) = try batchValue(prediction: p, target: y, loss: loss, mask: mask)
            return [sum, Double(count)]
        }
    }

    /// The metric from the sums of ``counts(prediction:target:loss:)`` over batches (0 where
    /// nothing was counted, as Keras's `divide_no_nan`).
    public func value(ofCounts counts: [Double]) -> Float {
        if case let .auc(curve, thresholds) = kind { return areaUnderCurve(counts, curve: curve, thresholds: thresholds) }
        return counts[1] > 0 ? Float(counts[0] / counts[1]) : 0
    }

    /// Throws for hyper-parameters out of range (a threshold outside [0, 1], a class below 0,
    /// fewer than 2 AUC thresholds, k below 1).
    public func checkHyperparameters() throws {
        var check = HyperparameterCheck(name)
        switch kind {
        case let .binaryAccuracy(threshold):
            check.require(threshold.isFinite, "threshold", threshold, "expected a finite threshold")
        case let .topKCategoricalAccuracy(k), let .sparseTopKCategoricalAccuracy(k):
            check.require(k >= 1, "k", k, "expected k >= 1")
        case let .precision(threshold, classID), let .recall(threshold, classID):
            check.require(threshold >= 0 && threshold <= 1, "threshold", threshold, "expected a threshold in [0, 1]")
            check.require((classID ?? 0) >= 0, "classID", classID ?? 0, "expected a class index >= 0")
        case let .auc(_, thresholds):
            check.require(thresholds >= 2 && thresholds <= 1 << 20, "thresholds", thresholds, "expected 2...1048576 thresholds")
        default: break
        }
        try check.throwIfInvalid()
    }

    /// A batch's contribution to the running mean: the sum of what is averaged and how many
    /// things were counted (correct samples out of samples for the accuracies, the sum of the
    /// per-sample means over the samples for the mean metrics; with `mask`, of the real steps).
    /// `.accuracy` is interpreted for `loss`.
    public func batchValue(
        prediction p: Tensor, target y: Tensor, loss: Loss, mask: Tensor? = nil
    ) throws -> (sum: Double, count: Int) {
        let batch = p.shape.first ?? 0
        switch kind {
        case .meanAbsoluteError, .meanSquaredError:
            guard p.shape == y.shape else {
                throw LayersError.invalidData("\(name): expected targets of shape \(p.shape), found \(y.shape)")
            }
            let squared = kind == .meanSquaredError
            let errors = try p.zip(y) { squared ? ($0 - $1) * ($0 - $1) : Swift.abs($0 - $1) }
            if let mask {
                // The mean of each real step's mean error, as Keras's mean metrics weigh the steps by the mask.
                let real = try realSteps(mask, rows: p.count / Swift.max(p.shape.last ?? 1, 1))
                let stepMeans = try errors.reshaped([real.count, -1]).mean(alongAxis: 1).scalars
                let sum = zip(stepMeans, real).reduce(0.0) { $0 + ($1.1 ? Double($1.0) : 0) }
                return (sum, real.filter { $0 }.count)
            }
            return (Double(errors.sum()) / Double(Swift.max(p.count, 1)) * Double(batch), batch)
        case .precision, .recall:
            let counts = try counts(prediction: p, target: y, loss: loss)
            return (counts[0], Int(counts[1]))
        case .auc:
            throw LayersError.invalidData(
                "auc is not a mean over samples: sum counts(prediction:target:loss:) over the batches and call value(ofCounts:)")
        case .custom:
            guard let custom else { throw LayersError.notReady(operation: name, reason: "a custom metric without its function") }
            let value = try custom.value(prediction: p, target: y)
            guard value.isFinite else { throw LayersError.invalidData("\(name): the metric is \(value) for a batch") }
            return (Double(value) * Double(batch), batch)
        default:
            let (hits, total) = try correct(prediction: p, target: y, loss: loss, mask: mask)
            return (Double(hits), total)
        }
    }

    /// The number of correct samples (elements, for binary accuracy) in a batch and how
    /// many were counted; with `mask` (the output's, `[N, steps]`), of the real steps only.
    /// `.accuracy` is interpreted for `loss`.
    /// - Throws: ``LayersError/invalidData(_:)`` for a metric that is not an accuracy (see
    ///   ``batchValue(prediction:target:loss:mask:)``).
    public func correct(
        prediction p: Tensor, target y: Tensor, loss: Loss, mask: Tensor? = nil
    ) throws -> (correct: Int, total: Int) {
        let rows = p.count / Swift.max(p.shape.last ?? 1, 1)
        let hits: [Bool]
        switch kind {
        case .meanAbsoluteError, .meanSquaredError, .custom, .precision, .recall, .auc:
            throw LayersError.invalidData(
                "\(name) does not count correct samples; its value is batchValue(prediction:target:loss:mask:)")
        case .accuracy:
            let resolved: Kind = switch loss.kind {
            // One output column has no argmax to compare (it would always agree): as Keras, binary.
            case .categoricalCrossentropy: .categoricalAccuracy
            case .sparseCategoricalCrossentropy: .sparseCategoricalAccuracy
            case .binaryCrossentropy: .binaryAccuracy(threshold: loss.fromLogits ? 0 : 0.5)
            // The other losses take targets shaped like the output. One output column has no
            // argmax to compare (it would always agree): as Keras, binary accuracy then.
            default: p.shape.last == 1 ? .binaryAccuracy(threshold: 0.5) : .categoricalAccuracy
            }
            return try Metric(kind: resolved).correct(prediction: p, target: y, loss: loss, mask: mask)
        case .categoricalAccuracy:
            hits = zip(try p.argmax(alongAxis: -1), try y.argmax(alongAxis: -1)).map { $0 == $1 }
        case .sparseCategoricalAccuracy:
            hits = zip(try p.argmax(alongAxis: -1), y.scalars).map { Float($0) == $1 }
        case let .binaryAccuracy(threshold):
            guard let mask else {
                let correct = try p.zip(y) { p, y in (p > threshold ? 1 : 0) == y ? 1 : 0 }.sum()
                return (Int(correct), p.count)
            }
            // Every element of a real step counts.
            let real = try realSteps(mask, rows: rows)
            let perStep = p.count / Swift.max(rows, 1)
            var (correct, total) = (0, 0)
            for (index, (p, y)) in zip(p.scalars, y.scalars).enumerated() where real[index / perStep] {
                total += 1
                if (p > threshold ? 1 : 0) == y { correct += 1 }
            }
            return (correct, total)
        case let .topKCategoricalAccuracy(k):
            hits = try topK(p, truth: y.argmax(alongAxis: -1), k: k)
        case let .sparseTopKCategoricalAccuracy(k):
            hits = try topK(p, truth: y.scalars.map { Int($0) }, k: k)
        }
        guard let mask else { return (hits.filter { $0 }.count, hits.count) }
        let real = try realSteps(mask, rows: hits.count)
        return (zip(hits, real).filter { $0 && $1 }.count, real.filter { $0 }.count)
    }

    /// Whether each of `rows` steps is real, from an output's mask of as many steps.
    private func realSteps(_ mask: Tensor, rows: Int) throws -> [Bool] {
        guard mask.count == rows else {
            throw LayersError.invalidData("\(name): expected a mask of \(rows) steps for the output, found shape \(mask.shape)")
        }
        return mask.scalars.map { $0 != 0 }
    }

    /// Whether each row's true class is among its `k` highest scores.
    private func topK(_ p: Tensor, truth: [Int], k: Int) throws -> [Bool] {
        let classes = p.shape.last ?? 1
        let scores = p.scalars
        return truth.enumerated().map { row, label in
            let rowScores = scores[row * classes..<(row + 1) * classes]
            let target = rowScores[rowScores.startIndex + label]
            // In the top k when fewer than k classes score strictly higher.
            return rowScores.filter({ $0 > target }).count < k
        }
    }
}

/// The name of a value in the training logs: `loss`, a metric's name, or either with the
/// `val_` prefix for validation data. Callbacks take these instead of strings:
/// `EarlyStopping(monitor: .valLoss)`.
public struct LogKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The key as Keras writes it.
    public let rawValue: String

    /// A key by its Keras name.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.init(value) }

    public static let loss = LogKey("loss")
    public static let accuracy = LogKey("accuracy")
    public static let valLoss = LogKey("val_loss")
    public static let valAccuracy = LogKey("val_accuracy")
    public static let learningRate = LogKey("learning_rate")

    /// The key of a metric.
    public static func metric(_ metric: Metric) -> LogKey { LogKey(metric.name) }
    /// The validation counterpart of this key (`val_` prefix).
    public var validation: LogKey { LogKey("val_" + rawValue) }

    public var description: String { rawValue }
    public static func < (lhs: LogKey, rhs: LogKey) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The values of one batch, epoch or evaluation, by key.
public typealias Logs = [LogKey: Float]

extension Logs {
    /// The accuracy, whichever kind was logged (`accuracy`, `binary_accuracy`,
    /// `categorical_accuracy`, `sparse_categorical_accuracy`, in that order); nil when none was.
    public var accuracy: Float? { Self.accuracyKeys.lazy.compactMap { self[$0] }.first }
    /// The validation accuracy, whichever kind was logged; nil when none was.
    public var validationAccuracy: Float? { Self.accuracyKeys.lazy.compactMap { self[$0.validation] }.first }

    private static let accuracyKeys: [LogKey] = [.accuracy, .metric(.binaryAccuracy), .metric(.categoricalAccuracy),
                                                 .metric(.sparseCategoricalAccuracy)]
}
