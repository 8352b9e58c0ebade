import Tensor

/// Stops training when a monitored value has stopped improving, as Keras's `EarlyStopping`.
///
/// After each epoch (from `startFromEpoch`) the monitored value counts as an improvement
/// when it beats the best so far by more than `minDelta`. After `patience` epochs without
/// one, training stops; with `restoreBestWeights` the model gets back the weights of its
/// best epoch. With a `baseline`, the wait only resets on values better than the baseline.
public final class EarlyStopping: Callback {
    public let monitor: LogKey
    public let minDelta: Float
    public let patience: Int
    public let mode: MonitorMode
    public let baseline: Float?
    public let restoreBestWeights: Bool
    public let startFromEpoch: Int

    /// The epoch training stopped at (nil when it ran to the end).
    public private(set) var stoppedEpoch: Int?
    /// The best value seen and its epoch.
    public private(set) var best: Float?
    public private(set) var bestEpoch: Int?
    private var wait = 0
    private var bestWeights: [Tensor]?

    /// - Parameters:
    ///   - monitor: the log value to watch, e.g. `.valLoss`.
    ///   - minDelta: the smallest change that counts as an improvement.
    ///   - patience: epochs without improvement before stopping.
    ///   - mode: whether lower or higher is better; `.auto` infers it from the key.
    ///   - baseline: a value the monitored one must beat.
    ///   - restoreBestWeights: restore the best epoch's weights when stopping.
    ///   - startFromEpoch: epochs to let pass before watching (a warm-up).
    public init(monitor: LogKey = .valLoss, minDelta: Float = 0, patience: Int = 0, mode: MonitorMode = .auto,
                baseline: Float? = nil, restoreBestWeights: Bool = false, startFromEpoch: Int = 0) {
        self.monitor = monitor
        self.minDelta = Swift.abs(minDelta)
        self.patience = Swift.max(patience, 0)
        self.mode = mode.resolved(for: monitor)
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
    }

    public func onTrainBegin(model: Model) throws {
        wait = 0
        stoppedEpoch = nil
        best = nil
        bestEpoch = nil
        bestWeights = nil
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {
        let current = try monitoredValue(monitor, in: logs)
        guard epoch >= startFromEpoch else { return }
        if restoreBestWeights, bestWeights == nil { bestWeights = model.weights }
        wait += 1
        if isImprovement(current, over: best) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = model.weights }
            if baseline == nil || isImprovement(current, over: baseline) {
                wait = 0
                return
            }
        }
        if wait >= patience, epoch > 0 {
            stoppedEpoch = epoch
            model.stopTraining = true
            if restoreBestWeights, let bestWeights { try model.setWeights(bestWeights) }
        }
    }

    private func isImprovement(_ value: Float, over reference: Float?) -> Bool {
        guard let reference else { return true }
        return mode == .max ? value - minDelta > reference : value + minDelta < reference
    }
}
