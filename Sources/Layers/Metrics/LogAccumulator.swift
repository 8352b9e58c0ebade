import Tensor

/// Sample-weighted running means of the loss and metrics over an epoch or an evaluation.
struct LogAccumulator {
    let metrics: [Metric]
    private var lossSum: Double = 0
    private var samples = 0
    private var correct: [Int]
    private var counted: [Int]

    init(metrics: [Metric]) {
        self.metrics = metrics
        correct = Array(repeating: 0, count: metrics.count)
        counted = correct
    }

    /// Adds a batch; returns the batch's own values.
    @discardableResult
    mutating func add(loss: Float, prediction: Tensor, target: Tensor, lossFunction: Loss) throws -> Logs {
        let batch = prediction.shape.first ?? 0
        lossSum += Double(loss) * Double(batch)
        samples += batch
        var batchLogs: Logs = [.loss: loss]
        for (index, metric) in metrics.enumerated() {
            let (hits, total) = try wrappingTensorErrors { try metric.correct(prediction: prediction, target: target, loss: lossFunction) }
            correct[index] += hits
            counted[index] += total
            batchLogs[.metric(metric)] = Float(hits) / Float(Swift.max(total, 1))
        }
        return batchLogs
    }

    /// The running means.
    var logs: Logs {
        var logs: Logs = [.loss: Float(lossSum / Double(Swift.max(samples, 1)))]
        for (index, metric) in metrics.enumerated() {
            logs[.metric(metric)] = Float(correct[index]) / Float(Swift.max(counted[index], 1))
        }
        return logs
    }
}
