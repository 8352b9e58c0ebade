import Tensor

/// Data that ``Model/fit(_:batchSize:epochs:validationSplit:validationData:shuffle:initialEpoch:callbacks:verbose:)``
/// and ``Model/evaluate(_:batchSize:)`` read one batch at a time, as Keras reads a
/// `PyDataset`: a data set can stay compact (8-bit images, a file) and be converted to
/// tensors per batch. ``TensorSamples`` is the source of two tensors; `Datasets`' MNIST
/// splits are sources that keep their images as bytes.
///
/// (`SampleSourceTests` compiles and trains on this example.)
///
/// ```swift
/// struct Squares: SampleSource {
///     var count: Int { 1000 }
///     func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
///         let x = indices.map { Float($0) / 1000 }
///         return (try Tensor(x).reshaped([indices.count, 1]), try Tensor(x.map { $0 * $0 }).reshaped([indices.count, 1]))
///     }
/// }
/// ```
public protocol SampleSource {
    /// The number of samples.
    var count: Int { get }
    /// The inputs and targets of the samples at `indices` (each in `0..<count`), as tensors of
    /// `[indices.count] + sample shape`, in the order of `indices`.
    func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor)
}

/// The samples of two tensors: row `i` of `x` and row `i` of `y`.
public struct TensorSamples: SampleSource {
    /// Inputs, `[samples] + inputShape`.
    public let x: Tensor
    /// Targets, `[samples, ...]`.
    public let y: Tensor

    /// The samples of `x` and `y`, which must have the same number of rows.
    public init(x: Tensor, y: Tensor) {
        (self.x, self.y) = (x, y)
    }

    public var count: Int { x.shape.first ?? 0 }

    public func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
        (try x.gathering(batch: indices), try y.gathering(batch: indices))
    }
}
