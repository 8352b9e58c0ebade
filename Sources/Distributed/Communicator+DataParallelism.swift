import Layers
import Tensor

/// A communicator is what `Sequential.fit` trains with when it is the model's
/// `dataParallelism`: `model.dataParallelism = try Communicator.world()`.
extension Communicator: DataParallelism {
    public func averageGradients(_ gradients: inout Tensor) throws { try allreduceAverage(&gradients) }
    public func broadcastFromFirst(_ values: inout Tensor) throws { try broadcast(&values, from: 0) }
    public func broadcastFromFirst(_ words: inout [UInt64]) throws { try broadcast(&words, from: 0) }
    public func abort(_ message: String) -> Never { abort(message, code: 1) }
}
