/// Multiplies the learning rate by `factor` when a monitored value has not improved for
/// `patience` epochs, as Keras's `ReduceLROnPlateau`.
public final class ReduceLROnPlateau: Callback {
    public let monitor: LogKey
    public let factor: Float
    public let patience: Int
    public let mode: MonitorMode
    public let minDelta: Float
    public let cooldown: Int
    public let minLearningRate: Float

    private var best: Float?
    private var wait = 0
    private var cooldownRemaining = 0

    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` unless `0 < factor < 1`.
    public init(monitor: LogKey = .valLoss, factor: Float = 0.1, patience: Int = 10, mode: MonitorMode = .auto,
                minDelta: Float = 1e-4, cooldown: Int = 0, minLearningRate: Float = 0) throws {
        guard factor > 0, factor < 1 else {
            throw LayersError.invalidArgument(layer: "ReduceLROnPlateau", argument: "factor", value: "\(factor)", reason: "expected a value in (0, 1)")
        }
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.mode = mode.resolved(for: monitor)
        self.minDelta = minDelta
        self.cooldown = cooldown
        self.minLearningRate = minLearningRate
    }

    public func onTrainBegin(model: Model) throws {
        best = nil
        wait = 0
        cooldownRemaining = 0
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {
        let current = try monitoredValue(monitor, in: logs)
        if cooldownRemaining > 0 {
            cooldownRemaining -= 1
            wait = 0
        }
        let improved = best.map { mode == .max ? current > $0 + minDelta : current < $0 - minDelta } ?? true
        if improved {
            best = current
            wait = 0
        } else if cooldownRemaining == 0 {
            wait += 1
            if wait >= patience, let rate = model.learningRate, rate > minLearningRate {
                try model.setLearningRate(Swift.max(rate * factor, minLearningRate))
                cooldownRemaining = cooldown
                wait = 0
            }
        }
    }
}
