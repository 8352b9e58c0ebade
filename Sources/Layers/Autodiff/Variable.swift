import Tensor

/// A tensor that may be on a ``GradientTape``: the value automatic differentiation works on.
///
/// A variable made with ``init(_:)`` is a constant; one made by ``GradientTape/watch(_:)`` is
/// a source of gradients; one computed by an operation from a watched variable is recorded
/// on its tape, with the operation's backward pass. The operations (arithmetic with
/// broadcasting, matrix products, reductions, reshaping and joining, the activations, the
/// convolution and pooling kernels, ...) are methods and operators on this type, and each is
/// listed in ``Operation``.
public struct Variable {
    /// The computed value.
    public let value: Tensor
    /// The tape that recorded this variable, nil for a constant.
    let tape: GradientTape?
    /// Its node on the tape.
    let node: Int
    /// The tape's recording this variable belongs to (see ``GradientTape/gradient(of:withRespectTo:outputGradient:)``).
    let generation: Int

    init(value: Tensor, tape: GradientTape?, node: Int, generation: Int) {
        self.value = value
        self.tape = tape
        self.node = node
        self.generation = generation
    }

    /// A constant: operations on it alone record nothing.
    public init(_ value: Tensor) {
        self.init(value: value, tape: nil, node: -1, generation: 0)
    }

    /// The shape of the value.
    public var shape: [Int] { value.shape }
    /// The rank of the value.
    public var rank: Int { value.rank }

    /// Whether this variable is on a tape (a watched source or computed from one).
    public var isRecorded: Bool { tape != nil }

    /// The same value as a constant: gradients do not flow through it (`stop_gradient`).
    public func detached() -> Variable { Variable(value) }

    /// Every differentiable operation, by the name the tape records. The gradient tests have
    /// one row per case and fail when one is missing.
    public enum Operation: String, CaseIterable, Sendable {
        case add, subtract, multiply, divide, addScalar, multiplyScalar, maximum, minimum, select
        case exp, log, sqrt, pow, abs, clamp
        case tanh, sigmoid, relu, gelu, softmax, logSoftmax, logSumExp
        case sum, mean, max, min
        case reshape, permute, slice, concatenate, stack, split
        case matmul, gather
        case conv2D, maxPool2D, averagePool2D, batchNormalization, dropout, attention
    }

    /// `value`, computed from `inputs` by `operation`, recorded with its backward pass when
    /// an operand is on a recording tape; a constant otherwise.
    static func record(
        _ operation: Operation, _ value: Tensor, _ inputs: [Variable],
        backward: @escaping (_ outputGradient: Tensor, _ needed: [Bool]) throws -> [Tensor?]
    ) throws -> Variable {
        try record(operation.rawValue, value, inputs, backward: backward)
    }

    static func record(
        _ operation: String, _ value: Tensor, _ inputs: [Variable],
        backward: @escaping (_ outputGradient: Tensor, _ needed: [Bool]) throws -> [Tensor?]
    ) throws -> Variable {
        guard let tape = inputs.lazy.compactMap(\.tape).first,
              let recorded = try tape.record(operation, value: value, inputs: inputs, backward: backward)
        else { return Variable(value) }
        return recorded
    }

    /// An operation of your own with its hand-written backward pass (PyTorch's
    /// `autograd.Function`): `value` is the forward result computed from `inputs`, and
    /// `backward` gets dLoss/dValue and returns dLoss/dInput for each input, in order, each of
    /// its input's shape. A gradient of the wrong shape is an error that names `name`.
    ///
    /// ```swift
    /// // y = x³ with its derivative written out.
    /// let y = try Variable.custom("cube", inputs: [x], value: x.value.pow(3)) { dy in
    ///     [try dy * (x.value.squared() * 3)]
    /// }
    /// ```
    public static func custom(
        _ name: String, inputs: [Variable], value: Tensor, backward: @escaping (_ outputGradient: Tensor) throws -> [Tensor]
    ) throws -> Variable {
        try record(name, value, inputs) { gradient, _ in try backward(gradient) }
    }
}
