import Tensor

/// Sample-weighted running means of the loss and metrics over an epoch or an evaluation.
struct LogAccumulator {
    let metrics: [Metric]
    private var lossSum: Double = 0
    private var samples = 0
    private var sums: [Double]
    private var counted: [Int]

    init(metrics: [Metric]) {
        self.metrics = metrics
        sums = Array(repeating: 0, count: metrics.count)
        counted = Array(repeating: 0, count: metrics.count)
    }

    /// Adds a batch; returns the batch's own values.
    @discardableResult
    mutating func add(loss: Float, prediction: Tensor, target: Tensor, lossFunction: Loss) throws -> Logs {
        let batch = prediction.shape.first ?? 0
        lossSum += Double(loss) * Double(batch)
        samples += batch
        var batchLogs: Logs = [.loss: loss]
        for (index, metric) in metrics.enumerated() {
            let (sum, count) = try wrappingTensorErrors { try metric.batchValue(prediction: prediction, target: target, loss: lossFunction) }
            sums[index] += sum
            counted[index] += count
            batchLogs[.metric(metric)] = Float(sum / Double(Swift.max(count, 1)))
        }
        return batchLogs
    }

    /// The running means.
    var logs: Logs {
        var logs: Logs = [.loss: Float(lossSum / Double(Swift.max(samples, 1)))]
        for (index, metric) in metrics.enumerated() {
            logs[.metric(metric)] = Float(sums[index] / Double(Swift.max(counted[index], 1)))
        }
        return logs
    }
}
