import Tensor

/// Data that ``Model/fit(_:batchSize:epochs:validationSplit:validationData:shuffle:classWeight:initialEpoch:callbacks:verbose:)``
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
    /// For a model of several inputs or outputs: a tensor per input and a tensor per output's
    /// targets, each as ``batch(at:)`` says. A source for such a model implements this
    /// instead of `batch(at:)`; by default it is `batch(at:)`'s one input and one target.
    func inputsAndTargets(at indices: some Collection<Int>) throws -> (inputs: [Tensor], targets: [Tensor])
}

extension SampleSource {
    public func inputsAndTargets(at indices: some Collection<Int>) throws -> (inputs: [Tensor], targets: [Tensor]) {
        let (x, y) = try batch(at: indices)
        return ([x], [y])
    }

    /// A source of several inputs or outputs implements ``inputsAndTargets(at:)`` only, which
    /// is what `fit`, `evaluate` and `predict` read; asked for one tensor of each, it says so.
    /// (Not a call of `inputsAndTargets(at:)`: a source implementing neither would recurse.)
    /// - Throws: ``LayersError/notReady(operation:reason:)`` always.
    public func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
        throw LayersError.notReady(
            operation: "\(type(of: self)).batch(at:)",
            reason: "the source implements neither batch(at:) nor inputsAndTargets(at:), or gives its batches through "
                + "inputsAndTargets(at:) only (a model of several inputs or outputs); implement one of them")
    }
}

/// The samples of tensors: row `i` of each input and row `i` of each target.
public struct TensorSamples: SampleSource {
    /// Each input, `[samples] + inputShape`.
    public let inputs: [Tensor]
    /// Each output's targets, `[samples, ...]`.
    public let targets: [Tensor]

    /// The samples of `x` and `y`, which must have the same number of rows.
    public init(x: Tensor, y: Tensor) {
        (inputs, targets) = ([x], [y])
    }

    /// The samples of a model of several inputs or outputs; every tensor has a row per sample.
    public init(inputs: [Tensor], targets: [Tensor]) {
        (self.inputs, self.targets) = (inputs, targets)
    }

    /// The first input.
    public var x: Tensor { inputs[0] }
    /// The first output's targets.
    public var y: Tensor { targets[0] }

    public var count: Int { inputs.first?.shape.first ?? 0 }

    public func inputsAndTargets(at indices: some Collection<Int>) throws -> (inputs: [Tensor], targets: [Tensor]) {
        (try inputs.map { try $0.gathering(batch: indices) }, try targets.map { try $0.gathering(batch: indices) })
    }

    /// The samples of the one input and the one target.
    /// - Throws: ``LayersError/invalidData(_:)`` when there are several (use ``inputsAndTargets(at:)``).
    public func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
        guard inputs.count == 1, targets.count == 1 else {
            throw LayersError.invalidData(
                "TensorSamples has \(inputs.count) inputs and \(targets.count) targets; batch(at:) gives one of each, "
                + "inputsAndTargets(at:) all")
        }
        return (try inputs[0].gathering(batch: indices), try targets[0].gathering(batch: indices))
    }
}
