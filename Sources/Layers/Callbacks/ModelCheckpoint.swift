import Foundation

/// Saves the model during `fit`, as Keras's `ModelCheckpoint`: after every epoch, or only
/// when the monitored value improves (`saveBestOnly`). Each save is atomic, so an
/// interrupted run always leaves a complete file. `{epoch}` in the path is replaced by the
/// 1-based epoch number (`checkpoints/model-{epoch}.safetensors`).
public final class ModelCheckpoint: Callback {
    public let path: String
    public let monitor: LogKey
    public let saveBestOnly: Bool
    public let mode: MonitorMode
    public let includeOptimizer: Bool

    /// The best monitored value so far (with `saveBestOnly`).
    public private(set) var best: Float?
    /// The file written last, if any.
    public private(set) var lastSavedPath: String?

    /// - Parameters:
    ///   - path: where to save; `{epoch}` becomes the epoch number.
    ///   - monitor: the value that decides what "best" is.
    ///   - saveBestOnly: save only when `monitor` improves.
    ///   - mode: whether larger or smaller `monitor` values are better (`.auto` infers it).
    ///   - includeOptimizer: also save the optimizer's state so training can resume exactly.
    public init(path: String, monitor: LogKey = .valLoss, saveBestOnly: Bool = false, mode: MonitorMode = .auto,
                includeOptimizer: Bool = true) {
        self.path = path
        self.monitor = monitor
        self.saveBestOnly = saveBestOnly
        self.mode = mode.resolved(for: monitor)
        self.includeOptimizer = includeOptimizer
    }

    public func onTrainBegin(model: Model) throws {
        best = nil
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {
        if saveBestOnly {
            let current = try monitoredValue(monitor, in: logs)
            if let best, !(mode == .max ? current > best : current < best) { return }
            best = current
        }
        let target = path.replacingOccurrences(of: "{epoch}", with: String(epoch + 1))
        try model.save(to: target, includeOptimizer: includeOptimizer)
        lastSavedPath = target
    }
}
