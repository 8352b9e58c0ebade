import Foundation

/// The confusion matrix of a classifier and the per-class scores derived from it.
public struct ConfusionMatrix: Sendable {
    /// `counts[true][predicted]`.
    public let counts: [[Int]]
    /// The name of each class, by label (the labels themselves, `0`, `1`, ..., when not given).
    public let classNames: [String]

    /// Counts the pairs of true and predicted classes (both in `0..<classes`).
    /// - Parameter classNames: one name per class for the tables and pictures (`classes` of them).
    public init(truth: [Int], predicted: [Int], classes: Int, classNames: [String]? = nil) {
        var counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (label, guess) in zip(truth, predicted) { counts[label][guess] += 1 }
        self.counts = counts
        self.classNames = classNames.flatMap { $0.count == classes ? $0 : nil } ?? (0..<classes).map(String.init)
    }

    /// Whether the classes have names other than their labels (Fashion-MNIST's, not MNIST's digits).
    public var hasNamedClasses: Bool { classNames != (0..<classes).map(String.init) }

    /// `label` as the first column of the tables: the label, then its name when it has one.
    private func rowTitle(_ label: Int) -> String {
        guard hasNamedClasses else { return "   \(label)  " }
        let width = classNames.map(\.count).max() ?? 0
        let name = classNames[label]
        return String(format: "%2d ", label) + name + String(repeating: " ", count: width - name.count) + "  "
    }

    /// The number of classes.
    public var classes: Int { counts.count }
    /// The number of samples counted.
    public var total: Int { counts.joined().reduce(0, +) }
    /// The samples on the diagonal.
    public var correct: Int { (0..<classes).reduce(0) { $0 + counts[$1][$1] } }
    /// `correct / total`.
    public var accuracy: Double { Double(correct) / Double(Swift.max(total, 1)) }

    /// Precision, recall and F1 of `label`, and how many samples have it.
    public func scores(of label: Int) -> (precision: Double, recall: Double, f1: Double, support: Int) {
        let truePositives = Double(counts[label][label])
        let predicted = Double((0..<classes).reduce(0) { $0 + counts[$1][label] })
        let support = counts[label].reduce(0, +)
        let precision = predicted > 0 ? truePositives / predicted : 0
        let recall = support > 0 ? truePositives / Double(support) : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return (precision, recall, f1, support)
    }

    /// The matrix as an aligned text table: rows are true classes (with their names), columns
    /// predictions (by label).
    public var table: String {
        let width = Swift.max(String(counts.joined().max() ?? 0).count, 4) + 1
        func cell(_ text: String) -> String { String(repeating: " ", count: Swift.max(0, width - text.count)) + text }
        let indent = String(repeating: " ", count: rowTitle(0).count)
        var lines = ["true \\ predicted" , indent + (0..<classes).map { cell(String($0)) }.joined()]
        for label in 0..<classes {
            lines.append(rowTitle(label) + counts[label].map { cell(String($0)) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// Per-class precision, recall, F1 and support, with the macro average.
    public var report: String {
        func format(_ value: Double) -> String { String(format: "%9.4f", value) }
        let titleWidth = rowTitle(0).count + 1
        func padded(_ title: String) -> String { title + String(repeating: " ", count: titleWidth - title.count) }
        var lines = [padded("class") + "precision   recall       f1  support"]
        var sums = (0.0, 0.0, 0.0)
        for label in 0..<classes {
            let s = scores(of: label)
            sums = (sums.0 + s.precision, sums.1 + s.recall, sums.2 + s.f1)
            lines.append(" \(rowTitle(label))\(format(s.precision))\(format(s.recall))\(format(s.f1))  \(String(format: "%7d", s.support))")
        }
        let n = Double(classes)
        lines.append(padded("macro") + "\(format(sums.0 / n))\(format(sums.1 / n))\(format(sums.2 / n))"
                     + "  \(String(format: "%7d", total))")
        return lines.joined(separator: "\n")
    }
}
