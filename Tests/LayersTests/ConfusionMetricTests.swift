import Foundation
import Testing
@testable import Layers
import Tensor

/// Precision, recall and AUC, against the values Keras 3.15.1 gives for the same data
/// (`keras.metrics.Precision()`, `Recall()`, `AUC()` updated with the batches 0..<25 and
/// 25..<40, then `result()`), and summed over an epoch's batches as Keras's stateful metrics are.
@Suite("Precision, recall and AUC")
struct ConfusionMetricTests {
    static let scores: [Float] = [
        0.0, 0.37, 0.74, 0.11, 0.48, 0.85, 0.22, 0.59, 0.96, 0.33, 0.7, 0.07, 0.44, 0.81, 0.18, 0.55, 0.92, 0.29, 0.66, 0.03,
        0.4, 0.77, 0.14, 0.51, 0.88, 0.25, 0.62, 0.99, 0.36, 0.73, 0.1, 0.47, 0.84, 0.21, 0.58, 0.95, 0.32, 0.69, 0.06, 0.43,
    ]
    static let targets: [Float] = [
        1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0,
    ]

    /// The metric over the two batches, by summing each batch's counts.
    func value(_ metric: Metric) throws -> Float {
        var total: [Double] = []
        for range in [0..<25, 25..<40] {
            let p = try Tensor(shape: [range.count, 1], scalars: Array(Self.scores[range]))
            let y = try Tensor(shape: [range.count, 1], scalars: Array(Self.targets[range]))
            let counts = try metric.counts(prediction: p, target: y, loss: .binaryCrossentropy)
            total = total.isEmpty ? counts : zip(total, counts).map(+)
        }
        return metric.value(ofCounts: total)
    }

    @Test("binary outputs: the values Keras gives", arguments: [
        (Metric.precision, 0.6315789222717285), (.recall, 0.6000000238418579), (.precision(threshold: 0.3), 0.5),
        (.auc, 0.625), (.auc(curve: .pr), 0.7333371043205261), (.auc(thresholds: 7), 0.643750011920929),
        (.auc(curve: .pr, thresholds: 7), 0.7377505302429199),
    ] as [(Metric, Double)])
    func binary(_ metric: Metric, _ keras: Double) throws {
        let ours = try value(metric)
        #expect(abs(Double(ours) - keras) < 1e-6, "\(metric.kind): \(ours), Keras \(keras)")
    }

    @Test("one-hot and class-index targets, micro-averaged or one class: the values Keras gives")
    func classes() throws {
        let q = try Tensor(shape: [12, 3], scalars: (0..<12).flatMap { i in
            (0..<3).map { j in Float((Double(i) * 0.13 + Double(j) * 0.29).truncatingRemainder(dividingBy: 1)) }
        })
        let labels = (0..<12).map { $0 % 3 }
        let oneHot = try Tensor.oneHot(labels, classes: 3), indices = Tensor(labels.map(Float.init))
        for (metric, keras) in [(Metric.precision(classID: 1), 0.3333333432674408), (.recall(classID: 2), 0.5),
                                (.precision, 0.29411765933036804)] {
            for target in [oneHot, indices] {
                let counts = try metric.counts(prediction: q, target: target, loss: .categoricalCrossentropy)
                #expect(abs(Double(metric.value(ofCounts: counts)) - keras) < 1e-6, "\(metric.kind) with targets \(target.shape)")
            }
        }
        #expect { try Metric.precision(classID: 3).counts(prediction: q, target: oneHot, loss: .categoricalCrossentropy) }
            throws: { "\($0)".contains("classID 3 is not a column") }
        #expect { try Metric.recall.counts(prediction: q, target: Tensor([0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]), loss: .categoricalCrossentropy) }
            throws: { "\($0)".contains("expected class indices in 0..<3, found 5.0") }
    }

    @Test("the AUC's ROC is the exact one (Mann-Whitney) within the thresholds' resolution")
    func aucAgainstRanks() throws {
        var generator = RandomGenerator(seed: 4)
        let p = try Tensor.uniform([500], using: &generator)
        let noise = try Tensor.uniform([500], using: &generator)
        let y = try p.zip(noise) { $0 + 0.6 * $1 > 0.8 ? 1 : 0 }
        let positives = zip(p.scalars, y.scalars).filter { $1 == 1 }.map(\.0)
        let negatives = zip(p.scalars, y.scalars).filter { $1 == 0 }.map(\.0)
        let pairs = positives.reduce(0.0) { sum, positive in sum + Double(negatives.filter { $0 < positive }.count) }
        let exact = pairs / Double(positives.count * negatives.count)
        let auc = Metric.auc(thresholds: 2000)
        let approximate = auc.value(ofCounts: try auc.counts(prediction: p, target: y, loss: .binaryCrossentropy))
        #expect(abs(Double(approximate) - exact) < 2e-3, "AUC \(approximate), exact \(exact)")
    }

    @Test("in evaluate and fit: one value for the whole epoch, not a mean of batches; saved with the model")
    func inTheLogs() throws {
        let model = Sequential(seed: 1) { Input(shape: [1]); Reshape([1]) }
        try model.compile(optimizer: SGD(), loss: .binaryCrossentropy,
                          metrics: [.precision, .recall, .auc, .auc(curve: .pr, thresholds: 7)])
        let x = try Tensor(shape: [40, 1], scalars: Self.scores), y = try Tensor(shape: [40, 1], scalars: Self.targets)
        let logs = try model.evaluate(x: x, y: y, batchSize: 25)
        #expect(abs(logs["precision"]! - 0.6315789) < 1e-6 && abs(logs["recall"]! - 0.6) < 1e-6)
        #expect(abs(logs["auc"]! - 0.625) < 1e-6 && abs(logs["auc_1"]! - 0.7377505) < 1e-6)
        let history = try model.fit(x: x, y: y, batchSize: 25, epochs: 1, shuffle: false, verbose: .silent)
        #expect(abs(history["precision"][0] - 0.6315789) < 1e-6 && abs(history["auc_1"][0] - 0.7377505) < 1e-6)
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("metrics.safetensors").path
            try model.save(to: path)
            #expect(try Model.load(from: path).metrics == model.metrics)
        }
    }

    @Test("hyper-parameters out of range are refused by compile, naming the metric")
    func hyperparameters() throws {
        let model = Sequential { Input(shape: [1]); Dense(units: 1, activation: .sigmoid) }
        for (metric, text) in [(Metric.precision(threshold: 1.5), "threshold"), (.recall(classID: -1), "classID"),
                               (.auc(thresholds: 1), "thresholds"), (.topKCategoricalAccuracy(k: 0), "k")] {
            #expect { try model.compile(optimizer: SGD(), loss: .binaryCrossentropy, metrics: [metric]) }
                throws: { "\($0)".contains(metric.name) && "\($0)".contains(text) }
        }
    }
}
