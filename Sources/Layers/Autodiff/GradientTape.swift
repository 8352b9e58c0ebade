import Tensor

/// Records the operations on the ``Variable``s it watches and computes gradients by
/// walking them backwards: reverse-mode automatic differentiation, as TensorFlow's
/// `GradientTape` and PyTorch's autograd.
///
/// ```swift
/// let tape = GradientTape()
/// let w = tape.watch(try Tensor.ones([3, 2]))        // a source: gradients flow to it
/// let x = Variable(try Tensor(shape: [4, 3], repeating: 0.5))  // a constant
/// let loss = try (x.matmul(w).tanh() * 2).mean()
/// let (dw) = try tape.gradient(of: loss, withRespectTo: [w])[0]   // [3, 2]
/// ```
///
/// Every differentiable operation keeps what its backward needs beside its forward (see the
/// files in `Autodiff/Operations`). An operation is recorded only when one of its operands
/// was computed from a watched variable; everything else (inference, constants) records
/// nothing and costs only the forward computation. Where a value is used twice, its
/// gradients are summed.
///
/// ``gradient(of:withRespectTo:outputGradient:)`` frees what the tape recorded (the
/// tensors its backward passes kept) and starts a new recording: variables recorded before
/// can no longer be combined with new ones (that is an error, not a silent constant).
/// Gradients are not themselves recorded (no second derivatives).
public final class GradientTape {
    /// One recorded operation: the nodes of its operands and its backward pass.
    struct Record {
        let operation: String
        let inputs: [Int]
        let inputShapes: [[Int]]
        /// Given dLoss/dOutput and which operands need a gradient, dLoss/dOperand for each
        /// operand (nil where not needed). It must not capture a ``Variable``: a variable holds
        /// its tape, and the tape this closure, which would keep both alive forever.
        let backward: (_ outputGradient: Tensor, _ needed: [Bool]) throws -> [Tensor?]
    }

    /// Node `i`'s record, nil for a watched variable (a leaf).
    private var records: [Record?] = []
    /// Incremented by each gradient computation, which clears the records: a variable of an
    /// earlier generation names a node that no longer exists.
    private(set) var generation = 0
    /// Whether operations on this tape's variables are recorded; see ``withoutRecording(_:)``.
    public private(set) var isRecording = true

    /// An empty tape.
    public init() {}

    /// `tensor` as a variable on this tape, a source that gradients can be asked for.
    public func watch(_ tensor: Tensor) -> Variable {
        Variable(value: tensor, tape: self, node: append(nil), generation: generation)
    }

    /// The number of operations recorded since the last gradient computation.
    public var recordedOperationCount: Int { records.lazy.compactMap { $0 }.count }

    /// The names of the operations recorded since the last gradient computation, in order.
    public var recordedOperations: [String] { records.compactMap { $0?.operation } }

    /// Runs `body` with recording paused: what it computes from this tape's variables is a
    /// constant (PyTorch's `no_grad`).
    public func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        let previous = isRecording
        isRecording = false
        defer { isRecording = previous }
        return try body()
    }

    /// dTarget/dSource for each of `sources`, walking the recorded operations backwards
    /// from `target`, then frees the records.
    ///
    /// - Parameters:
    ///   - target: the value to differentiate, usually a scalar loss. A tensor target is
    ///     differentiated as the sum of its elements weighted by `outputGradient`.
    ///   - sources: variables watched by this tape. A source the target does not depend on
    ///     gets zeros.
    ///   - outputGradient: dLoss/dTarget, of the target's shape; ones when nil.
    /// - Throws: ``LayersError`` when the target or a source is not a variable of this
    ///   recording, when `outputGradient` has the wrong shape, or when a backward pass returns
    ///   a gradient of the wrong shape (naming the operation); and what a backward pass throws.
    public func gradient(
        of target: Variable, withRespectTo sources: [Variable], outputGradient: Tensor? = nil
    ) throws -> [Tensor] {
        let seed = try outputGradient ?? wrappingTensorErrors { try Tensor.ones(target.shape) }
        return try gradient(of: [target], withRespectTo: sources, outputGradients: [seed])
    }

    /// dLoss/dSource for each of `sources` where the loss depends on several `targets` (a
    /// layer's outputs) through `outputGradients`, dLoss/dTarget for each (nil: it reaches no
    /// loss); then frees the records. The other rules are those of
    /// ``gradient(of:withRespectTo:outputGradient:)``.
    public func gradient(
        of targets: [Variable], withRespectTo sources: [Variable], outputGradients: [Tensor?]
    ) throws -> [Tensor] {
        defer { clear() }
        guard targets.count == outputGradients.count else {
            throw LayersError.invalidData(
                "GradientTape.gradient: \(targets.count) targets and \(outputGradients.count) output gradients; give one per target")
        }
        let seeded = zip(targets, outputGradients).filter { $0.1 != nil }.map(\.0)
        for (index, variable) in (seeded + sources).enumerated()
        where variable.tape !== self || variable.generation != generation {
            let role = index < seeded.count ? (targets.count == 1 ? "the target" : "target \(index)")
                : "source \(index - seeded.count)"
            throw LayersError.notReady(
                operation: "GradientTape.gradient",
                reason: variable.tape == nil
                    ? "\(role) is a constant: it was not computed from a variable this tape watches"
                    : "\(role) was recorded by another tape, or before this tape's last gradient computation")
        }
        var gradients = [Tensor?](repeating: nil, count: records.count)
        for (target, seed) in zip(targets, outputGradients) {
            guard let seed else { continue }
            guard seed.shape == target.shape else {
                throw LayersError.invalidData(
                    "GradientTape.gradient: expected an output gradient of shape \(target.shape), found \(seed.shape)")
            }
            if gradients[target.node] == nil {
                gradients[target.node] = seed
            } else {
                try wrappingTensorErrors { try gradients[target.node]! += seed }
            }
        }
        let sourceNodes = Set(sources.map(\.node))
        for node in stride(from: seeded.map(\.node).max() ?? -1, through: 0, by: -1) {
            guard let record = records[node], let gradient = gradients[node] else { continue }
            if !sourceNodes.contains(node) { gradients[node] = nil }  // passed on: free it now
            let needed = record.inputs.map { $0 >= 0 }
            let inputGradients = try wrappingTensorErrors { try record.backward(gradient, needed) }
            guard inputGradients.count == record.inputs.count else {
                throw LayersError.invalidGradient(
                    operation: record.operation,
                    reason: "its backward returned \(inputGradients.count) gradients for \(record.inputs.count) operands")
            }
            for (position, input) in record.inputs.enumerated() where input >= 0 {
                guard let inputGradient = inputGradients[position] else { continue }
                guard inputGradient.shape == record.inputShapes[position] else {
                    throw LayersError.invalidGradient(
                        operation: record.operation,
                        reason: "its backward returned a gradient of shape \(inputGradient.shape) for operand \(position), "
                            + "which has shape \(record.inputShapes[position])")
                }
                if gradients[input] == nil {
                    gradients[input] = inputGradient
                } else {
                    try wrappingTensorErrors { try gradients[input]! += inputGradient }
                }
            }
        }
        return try sources.map { source in
            try gradients[source.node] ?? wrappingTensorErrors { try Tensor.zeros(source.shape) }
        }
    }

    /// Records an operation's output computed from `inputs`, returning its node, or nil when
    /// nothing is recorded (no operand on this recording, or recording paused).
    func record(
        _ operation: String, value: Tensor, inputs: [Variable],
        backward: @escaping (_ outputGradient: Tensor, _ needed: [Bool]) throws -> [Tensor?]
    ) throws -> Variable? {
        guard isRecording else { return nil }
        var nodes: [Int] = []
        var anyRecorded = false
        for input in inputs {
            guard let tape = input.tape else {
                nodes.append(-1)
                continue
            }
            guard tape === self, input.generation == generation else {
                throw LayersError.notReady(
                    operation: operation,
                    reason: tape === self
                        ? "an operand was recorded before this tape's last gradient computation; compute it again"
                        : "the operands were recorded by different tapes")
            }
            nodes.append(input.node)
            anyRecorded = true
        }
        guard anyRecorded else { return nil }
        let record = Record(operation: operation, inputs: nodes, inputShapes: inputs.map(\.shape), backward: backward)
        return Variable(value: value, tape: self, node: append(record), generation: generation)
    }

    private func append(_ record: Record?) -> Int {
        records.append(record)
        return records.count - 1
    }

    private func clear() {
        records.removeAll()
        generation += 1
    }
}
