import Tensor

/// What `fit` needs from a group of processes that train one model together, each on its own
/// shard of every batch (data parallelism, as Horovod and PyTorch's
/// DistributedDataParallel). `Layers` defines the protocol and never depends on how it is
/// carried out; the `Distributed` module's `Communicator` implements it over MPI.
///
/// With a model's ``Sequential/dataParallelism`` set, `fit` starts every process from the
/// first process's weights and random generator (so all shuffle alike), gives process `rank` the `rank`-th of `size` contiguous slices of
/// each batch of the shared shuffled order (so the batch size is the global one), and
/// replaces each step's gradients with their mean over the processes before the optimizer
/// uses them; every process then holds the same weights after every step. An error while
/// training (bad data, a callback stopping on NaN) ends all of them through ``abort(_:)``.
public protocol DataParallelism: AnyObject {
    /// This process's index, `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces `gradients` with their mean over the processes (all of them call it together).
    func averageGradients(_ gradients: inout Tensor) throws
    /// Replaces `values` with the first process's (all of them call it together).
    func broadcastFromFirst(_ values: inout Tensor) throws
    /// Replaces `words` with the first process's (all of them call it together).
    func broadcastFromFirst(_ words: inout [UInt64]) throws
    /// Ends every process after printing `message` (what `fit` does with an error during
    /// training, where the other processes would otherwise wait for this one forever).
    func abort(_ message: String) -> Never
}
