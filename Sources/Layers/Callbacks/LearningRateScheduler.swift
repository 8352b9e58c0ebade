/// Sets the learning rate at the start of each epoch from a function of the epoch and the
/// current rate, as Keras's `LearningRateScheduler`.
public final class LearningRateScheduler: Callback {
    private let schedule: (_ epoch: Int, _ learningRate: Float) -> Float

    /// A scheduler calling `schedule(epoch, currentRate)`.
    public init(_ schedule: @escaping (_ epoch: Int, _ learningRate: Float) -> Float) {
        self.schedule = schedule
    }

    public func onEpochBegin(_ epoch: Int, model: Model) throws {
        guard let current = model.learningRate else { return }
        let next = schedule(epoch, current)
        guard next > 0, next.isFinite else {
            throw LayersError.invalidArgument(layer: "LearningRateScheduler", argument: "learning rate at epoch \(epoch)",
                                              value: "\(next)", reason: "expected a positive, finite value")
        }
        try model.setLearningRate(next)
    }
}
