import Tensor

/// Sample-weighted running means of the loss and metrics over an epoch or an evaluation.
///
/// A model of one output logs `loss` and its metrics by name (`accuracy`); a model of several
/// logs `loss` (the weighted total) and, per output, `NAME_loss` and `NAME_METRIC`
/// (`digit_loss`, `digit_accuracy`), as Keras does.
struct LogAccumulator {
    /// Each output's loss, metrics and key prefix ("" for a single output).
    private let outputs: [(loss: Loss, metrics: [Metric], prefix: String)]
    /// The key of each output's metrics: the metric's name, numbered when one output has two
    /// of one name (`auc`, `auc_1`), as Keras numbers them.
    private let keys: [[LogKey]]
    private var lossSum: Double = 0
    private var outputLossSums: [Double]
    private var samples = 0
    /// Each output's metrics' counts summed over the batches (``Metric/counts(prediction:target:loss:)``).
    private var counts: [[[Double]]]

    /// The logs of `model`'s compiled losses and metrics.
    init(model: Model) {
        let prefixes = model.graph.outputs.count == 1 ? [""] : model.outputNames.map { $0 + "_" }
        outputs = model.losses.indices.map { (model.losses[$0], model.outputMetrics[$0], prefixes[$0]) }
        keys = outputs.map { output in
            var seen: [String: Int] = [:]
            return output.metrics.map { metric in
                let count = seen[metric.name, default: 0]
                seen[metric.name] = count + 1
                return LogKey(output.prefix + metric.name + (count == 0 ? "" : "_\(count)"))
            }
        }
        outputLossSums = Array(repeating: 0, count: outputs.count)
        counts = outputs.map { Array(repeating: [], count: $0.metrics.count) }
    }

    /// Adds a batch: the loss minimised, each output's loss, predictions, targets and masks
    /// (``Model/outputMasks``: empty when there are none).
    mutating func add(
        loss: Float, outputLosses: [Float], predictions: [Tensor], targets: [Tensor], masks: [Tensor?]
    ) throws {
        let batch = Double(predictions.first?.shape.first ?? 0)
        lossSum += Double(loss) * batch
        samples += Int(batch)
        for (index, output) in outputs.enumerated() {
            outputLossSums[index] += Double(outputLosses[index]) * batch
            for (position, metric) in output.metrics.enumerated() {
                let batchCounts = try wrappingTensorErrors {
                    try metric.counts(prediction: predictions[index], target: targets[index], loss: output.loss,
                                      mask: masks.isEmpty ? nil : masks[index])
                }
                if counts[index][position].isEmpty {
                    counts[index][position] = batchCounts
                } else {
                    for (slot, count) in batchCounts.enumerated() { counts[index][position][slot] += count }
                }
            }
        }
    }

    /// The running means.
    var logs: Logs {
        let samples = Double(Swift.max(self.samples, 1))
        var logs: Logs = [.loss: Float(lossSum / samples)]
        for (index, output) in outputs.enumerated() {
            if !output.prefix.isEmpty { logs[LogKey(output.prefix + "loss")] = Float(outputLossSums[index] / samples) }
            for (position, metric) in output.metrics.enumerated() {
                let summed = counts[index][position]
                logs[keys[index][position]] = summed.isEmpty ? 0 : metric.value(ofCounts: summed)
            }
        }
        return logs
    }
}
