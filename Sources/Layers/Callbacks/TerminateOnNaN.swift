/// Stops training with ``LayersError/nonFiniteLoss(epoch:batch:value:)`` after the first
/// batch whose loss is NaN or infinite, instead of training on garbage.
public final class TerminateOnNaN: Callback {
    private var epoch = 0

    /// The callback.
    public init() {}

    public func onEpochBegin(_ epoch: Int, model: Model) throws { self.epoch = epoch }

    public func onBatchEnd(_ batch: Int, logs: Logs, model: Model) throws {
        if let loss = logs[.loss], !loss.isFinite {
            model.stopTraining = true
            throw LayersError.nonFiniteLoss(epoch: epoch, batch: batch, value: loss)
        }
    }
}
