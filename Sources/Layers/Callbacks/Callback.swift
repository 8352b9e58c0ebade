/// Hooks into `fit`, as Keras's callbacks: each method has a default that does nothing.
///
/// Callbacks are classes because they keep state across calls (the best value seen, the
/// epochs waited) that you may read after training. Throwing from a hook stops training
/// and `fit` rethrows the error.
public protocol Callback: AnyObject {
    /// Before the first epoch.
    func onTrainBegin(model: Model) throws
    /// After the last epoch, with the last epoch's logs.
    func onTrainEnd(model: Model, logs: Logs) throws
    /// Before each epoch (counted from 0).
    func onEpochBegin(_ epoch: Int, model: Model) throws
    /// After each epoch, with its training means and `val_` validation values.
    func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws
    /// Before each batch of an epoch.
    func onBatchBegin(_ batch: Int, model: Model) throws
    /// After each batch, with the epoch's running means so far.
    func onBatchEnd(_ batch: Int, logs: Logs, model: Model) throws
}

extension Callback {
    public func onTrainBegin(model: Model) throws {}
    public func onTrainEnd(model: Model, logs: Logs) throws {}
    public func onEpochBegin(_ epoch: Int, model: Model) throws {}
    public func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {}
    public func onBatchBegin(_ batch: Int, model: Model) throws {}
    public func onBatchEnd(_ batch: Int, logs: Logs, model: Model) throws {}
}

/// Whether a monitored value should go down (a loss) or up (an accuracy).
public enum MonitorMode: Sendable {
    /// Lower is better.
    case min
    /// Higher is better.
    case max
    /// `max` for keys containing "acc" (accuracy), `min` otherwise, as Keras infers it.
    case auto

    func resolved(for key: LogKey) -> MonitorMode {
        guard self == .auto else { return self }
        return key.rawValue.contains("acc") ? .max : .min
    }
}

/// The value of `key` in `logs`, or an error listing the keys there are.
func monitoredValue(_ key: LogKey, in logs: Logs) throws -> Float {
    guard let value = logs[key] else {
        throw LayersError.unknownLogKey(key.rawValue, available: logs.keys.map(\.rawValue))
    }
    return value
}
