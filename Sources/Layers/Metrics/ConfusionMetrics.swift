import Foundation
import Tensor

/// The curve whose area ``Metric/auc(curve:thresholds:)`` measures.
public enum AUCCurve: String, Sendable, Equatable, Codable {
    /// True-positive rate against false-positive rate.
    case roc = "ROC"
    /// Precision against recall.
    case pr = "PR"
}

extension Metric {
    /// Precision, TP / (TP + FP), over all the epoch's samples (Keras's `Precision`): each
    /// output above 0.5 is a predicted positive, each target other than 0 a positive.
    public static let precision = Metric(kind: .precision(threshold: 0.5, classID: nil))
    /// Recall, TP / (TP + FN), over all the epoch's samples (Keras's `Recall`).
    public static let recall = Metric(kind: .recall(threshold: 0.5, classID: nil))
    /// The area under the ROC curve from 200 thresholds (Keras's `AUC()`).
    public static let auc = Metric(kind: .auc(curve: .roc, thresholds: 200))

    /// Precision with outputs above `threshold` counted as predicted positives, over every
    /// output (micro-averaged) or only the column `classID`. Targets are shaped like the
    /// output (0/1 or one-hot), or class indices for an output of several classes.
    public static func precision(threshold: Float = 0.5, classID: Int? = nil) -> Metric {
        Metric(kind: .precision(threshold: threshold, classID: classID))
    }

    /// Recall with outputs above `threshold` counted as predicted positives (see
    /// ``precision(threshold:classID:)`` for the targets and `classID`).
    public static func recall(threshold: Float = 0.5, classID: Int? = nil) -> Metric {
        Metric(kind: .recall(threshold: threshold, classID: classID))
    }

    /// The area under `curve`, approximated as Keras does: the confusion counts at
    /// `thresholds` thresholds evenly spaced over [0, 1] (the first just below 0, the last
    /// just above 1), summed over the epoch; the trapezoid rule for ROC, Davis and Goadrich's
    /// interpolation for PR. Outputs are probabilities; targets as for ``precision(threshold:classID:)``.
    public static func auc(curve: AUCCurve = .roc, thresholds: Int = 200) -> Metric {
        Metric(kind: .auc(curve: curve, thresholds: thresholds))
    }

    /// The outputs and whether each target is positive, flattened (one column with `classID`).
    private func outcomes(_ p: Tensor, _ y: Tensor, classID: Int?) throws -> (scores: [Float], positive: [Bool]) {
        var truth = y
        let classes = p.shape.count > 1 ? p.shape.last! : 1
        if y.rank == 1, p.rank == 2, classes > 1, y.shape[0] == p.shape[0] {
            // Class indices for an output of several classes: as one-hot rows.
            guard let bad = y.scalars.first(where: { $0 < 0 || $0 >= Float(classes) || $0 != $0.rounded() }) else {
                truth = try Tensor.oneHot(y.scalars.map { Int($0) }, classes: classes)
                return try outcomes(p, truth, classID: classID)
            }
            throw LayersError.invalidData("\(name): expected class indices in 0..<\(classes), found \(bad)")
        }
        guard truth.shape == p.shape else {
            throw LayersError.invalidData("\(name): expected targets of shape \(p.shape) (or class indices), found \(y.shape)")
        }
        guard let classID else { return (p.scalars, truth.scalars.map { $0 != 0 }) }
        guard classID < classes else {
            throw LayersError.invalidData("\(name): classID \(classID) is not a column of outputs of shape \(p.shape)")
        }
        let scores = p.scalars, targets = truth.scalars
        let rows = stride(from: classID, to: scores.count, by: classes)
        return (rows.map { scores[$0] }, rows.map { targets[$0] != 0 })
    }

    /// True positives, false positives and false negatives at `threshold`.
    func confusion(_ p: Tensor, _ y: Tensor, threshold: Float, classID: Int?) throws -> (Double, Double, Double) {
        let (scores, positive) = try outcomes(p, y, classID: classID)
        var (truePositives, falsePositives, falseNegatives) = (0, 0, 0)
        for (score, isPositive) in zip(scores, positive) {
            let predicted = score > threshold
            if predicted && isPositive { truePositives += 1 }
            if predicted && !isPositive { falsePositives += 1 }
            if !predicted && isPositive { falseNegatives += 1 }
        }
        return (Double(truePositives), Double(falsePositives), Double(falseNegatives))
    }

    /// Keras's thresholds: `-ε, 1/(n-1), ..., (n-2)/(n-1), 1+ε`.
    private static func thresholds(_ count: Int) -> [Float] {
        let epsilon = 1e-7
        return (0..<count).map { index in
            index == 0 ? Float(-epsilon) : index == count - 1 ? Float(1 + epsilon) : Float(Double(index) / Double(count - 1))
        }
    }

    /// The counts at every threshold, `[TP (n), FP (n), TN (n), FN (n)]`: an output counts as
    /// positive at each threshold it is above.
    func confusionCurve(_ p: Tensor, _ y: Tensor, thresholds count: Int) throws -> [Double] {
        let (scores, positive) = try outcomes(p, y, classID: nil)
        let thresholds = Self.thresholds(count)
        // How many thresholds each output is above (thresholds ascend): a histogram per class,
        // then suffix sums give how many outputs are above each threshold.
        var above = [[Double]](repeating: [Double](repeating: 0, count: count + 1), count: 2)
        for (score, isPositive) in zip(scores, positive) {
            var low = 0, high = count  // the first threshold >= score
            while low < high {
                let middle = (low + high) / 2
                if thresholds[middle] < score { low = middle + 1 } else { high = middle }
            }
            above[isPositive ? 1 : 0][low] += 1
        }
        var counts = [Double](repeating: 0, count: 4 * count)
        let totals = above.map { $0.reduce(0, +) }
        var positivesAbove = 0.0, negativesAbove = 0.0
        for index in stride(from: count - 1, through: 0, by: -1) {
            // Outputs above threshold `index` are those above more than `index` thresholds.
            positivesAbove += above[1][index + 1]
            negativesAbove += above[0][index + 1]
            counts[index] = positivesAbove                          // TP
            counts[count + index] = negativesAbove                  // FP
            counts[2 * count + index] = totals[0] - negativesAbove  // TN
            counts[3 * count + index] = totals[1] - positivesAbove  // FN
        }
        return counts
    }

    /// The area from the counts of ``confusionCurve(_:_:thresholds:)``, as Keras computes it.
    func areaUnderCurve(_ counts: [Double], curve: AUCCurve, thresholds count: Int) -> Float {
        func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
        let tp = Array(counts[0..<count]), fp = Array(counts[count..<(2 * count)])
        let tn = Array(counts[(2 * count)..<(3 * count)]), fn = Array(counts[(3 * count)..<(4 * count)])
        var area = 0.0
        switch curve {
        case .roc:
            let recall = (0..<count).map { ratio(tp[$0], tp[$0] + fn[$0]) }
            let falsePositiveRate = (0..<count).map { ratio(fp[$0], fp[$0] + tn[$0]) }
            for index in 0..<(count - 1) {
                area += (falsePositiveRate[index] - falsePositiveRate[index + 1]) * (recall[index] + recall[index + 1]) / 2
            }
        case .pr:
            // Davis & Goadrich (2006): precision interpolated along the predicted positives.
            let predicted = (0..<count).map { tp[$0] + fp[$0] }
            for index in 0..<(count - 1) {
                let truePositives = tp[index] - tp[index + 1]
                let positives = predicted[index] - predicted[index + 1]
                let slope = ratio(truePositives, Swift.max(positives, 0))
                let intercept = tp[index + 1] - slope * predicted[index + 1]
                let pRatio = predicted[index] > 0 && predicted[index + 1] > 0
                    ? ratio(predicted[index], Swift.max(predicted[index + 1], 0)) : 1
                area += ratio(slope * (truePositives + intercept * Foundation.log(pRatio)), Swift.max(tp[index + 1] + fn[index + 1], 0))
            }
        }
        return Float(area)
    }
}
