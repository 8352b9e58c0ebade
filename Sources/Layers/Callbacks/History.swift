/// The loss and metrics of every epoch of a `fit`, returned by it (Keras's `History`).
///
/// ```swift
/// let history = try model.fit(x: x, y: y, epochs: 5, validationSplit: 0.1)
/// history[.valAccuracy]   // [Float], one per epoch
/// ```
public final class History: Callback {
    /// The epochs run, from `initialEpoch`.
    public private(set) var epochs: [Int] = []
    /// The values of each key, one per epoch.
    public private(set) var history: [LogKey: [Float]] = [:]

    /// An empty history.
    public init() {}

    /// The values of `key`, one per epoch (empty for an unknown key).
    public subscript(key: LogKey) -> [Float] { history[key] ?? [] }

    public func onTrainBegin(model: Model) throws {
        epochs = []
        history = [:]
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {
        epochs.append(epoch)
        for (key, value) in logs { history[key, default: []].append(value) }
    }
}
