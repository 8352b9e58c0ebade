import Tensor

/// Sample-weighted running means of the loss and metrics over an epoch or an evaluation.
///
/// A model of one output logs `loss` and its metrics by name (`accuracy`); a model of several
/// logs `loss` (the weighted total) and, per output, `NAME_loss` and `NAME_METRIC`
/// (`digit_loss`, `digit_accuracy`), as Keras does.
struct LogAccumulator {
    /// Each output's loss, metrics and key prefix ("" for a single output).
    private let outputs: [(loss: Loss, metrics: [Metric], prefix: String)]
    private var lossSum: Double = 0
    private var outputLossSums: [Double]
    private var samples = 0
    private var sums: [[Double]]
    private var counted: [[Int]]

    /// The logs of `model`'s compiled losses and metrics.
    init(model: Model) {
        let prefixes = model.graph.outputs.count == 1 ? [""] : model.outputNames.map { $0 + "_" }
        outputs = model.losses.indices.map { (model.losses[$0], model.outputMetrics[$0], prefixes[$0]) }
        outputLossSums = Array(repeating: 0, count: outputs.count)
        sums = outputs.map { Array(repeating: 0, count: $0.metrics.count) }
        counted = outputs.map { Array(repeating: 0, count: $0.metrics.count) }
    }

    /// Adds a batch: the loss minimised, each output's loss, predictions and targets.
    mutating func add(loss: Float, outputLosses: [Float], predictions: [Tensor], targets: [Tensor]) throws {
        let batch = Double(predictions.first?.shape.first ?? 0)
        lossSum += Double(loss) * batch
        samples += Int(batch)
        for (index, output) in outputs.enumerated() {
            outputLossSums[index] += Double(outputLosses[index]) * batch
            for (position, metric) in output.metrics.enumerated() {
                let (sum, count) = try wrappingTensorErrors {
                    try metric.batchValue(prediction: predictions[index], target: targets[index], loss: output.loss)
                }
                sums[index][position] += sum
                counted[index][position] += count
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
                logs[LogKey(output.prefix + metric.name)] = Float(sums[index][position] / Double(Swift.max(counted[index][position], 1)))
            }
        }
        return logs
    }
}
