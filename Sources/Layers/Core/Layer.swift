import Tensor

/// A building block of a model: it turns a batch into another batch and, in training,
/// sends gradients back.
///
/// A layer's life has three phases, as in Keras (and Caffe's set-up/reshape/forward):
/// 1. `init` takes the hyper-parameters and checks them; a bad value is kept and reported
///    by ``build(inputShape:context:)``, so a model definition reads without `try`.
/// 2. ``build(inputShape:context:)`` gets the shape of one sample (without the batch axis),
///    checks it, creates the weights and returns the output shape. It runs once, when the
///    model is compiled.
/// 3. ``forward(_:context:)`` and ``backward(_:)`` only compute. `forward` keeps what
///    `backward` needs; `backward` gets dLoss/dOutput, stores the gradients of the
///    parameters and returns dLoss/dInput.
///
/// Write your own layer forward-only by conforming to ``DifferentiableLayer``: its `call`
/// composes ``Variable`` operations and the model's ``GradientTape`` differentiates it:
///
/// ```swift
/// /// y = x · scale, with one trainable scale per feature.
/// struct Scale: DifferentiableLayer {
///     var name = ""
///     var scale = Parameter(name: "scale")
///
///     mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
///         scale.value = try Tensor.ones([inputShape.last ?? 1])
///         return inputShape
///     }
///     mutating func call(_ input: Variable, context: inout ForwardContext) throws -> Variable {
///         try input * context[scale]
///     }
///     mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
///         try body(&scale)
///     }
/// }
/// ```
/// A layer with a faster hand-written backward pass conforms to `Layer` itself and
/// implements ``forward(_:context:)`` (keeping what backward needs) and ``backward(_:)``
/// (assigning its parameters' gradients), as the built-in layers do.
/// `LayersTests/CustomLayerTests.swift` checks both kinds against finite differences and
/// trains them inside a ``Sequential``.
public protocol Layer {
    /// The layer's name in summaries, logs and saved files. Left empty, the model names it
    /// after its type, Keras style (`conv2d`, `conv2d_1`, ...).
    var name: String { get set }

    /// Checks the shape of one input sample (no batch axis), creates the weights, and
    /// returns the shape of one output sample.
    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int]

    /// Computes the output of a batch, keeping what ``backward(_:)`` needs.
    mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor

    /// Given dLoss/dOutput of the last ``forward(_:context:)``, stores the parameters'
    /// gradients and returns dLoss/dInput.
    mutating func backward(_ outputGradient: Tensor) throws -> Tensor

    /// ``backward(_:)`` given dLoss/dPreActivation, the gradient before the layer's final
    /// activation, which a loss fused with that activation computes directly (see
    /// ``ActivatedLayer``). The default, for layers without an activation, is ``backward(_:)``.
    mutating func backward(preActivationGradient: Tensor) throws -> Tensor

    /// ``backward(_:)`` for a call that returned several tensors (a ``MultiOutputLayer``):
    /// dLoss/dOutput of each, nil for one that does not reach the loss. The default, for
    /// layers of one output, is ``backward(_:)``.
    mutating func backward(outputGradients: [Tensor?]) throws -> Tensor

    /// Calls `body` on each parameter (trainable weights and non-trainable state), in a
    /// fixed order. The default has none.
    mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows

    /// The type's name in summaries and saved files; defaults to the Swift type name.
    static var typeName: String { get }
}

extension Layer {
    public static var typeName: String { String(describing: Self.self) }

    public mutating func backward(preActivationGradient: Tensor) throws -> Tensor {
        try backward(preActivationGradient)
    }

    public mutating func backward(outputGradients: [Tensor?]) throws -> Tensor {
        guard outputGradients.count == 1, let gradient = outputGradients[0] else {
            throw LayersError.invalidGradient(
                operation: "\(Self.typeName) backward",
                reason: "expected the gradient of its one output, found \(outputGradients.count) output gradients")
        }
        return try backward(gradient)
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {}

    /// The parameters, in the order of ``forEachParameter(_:)``.
    public var parameters: [Parameter] {
        var copy = self
        var result: [Parameter] = []
        copy.forEachParameter { result.append($0) }
        return result
    }

    /// The number of scalars in all parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Calls `body` on each parameter with its name prefixed by `prefix/`: how a layer made of
    /// layers lists theirs, so that every name in it is unique (`first/kernel`, `second/kernel`).
    public mutating func forEachParameter(prefixedWith prefix: String, _ body: (inout Parameter) throws -> Void) rethrows {
        try forEachParameter { parameter in
            let own = parameter.name
            parameter.name = "\(prefix)/\(own)"
            defer { parameter.name = own }
            try body(&parameter)
        }
    }

    /// This layer with the given name (Keras's `name=` argument): `Dense(units: 10).named("logits")`.
    public func named(_ name: String) -> Self {
        var copy = self
        copy.name = name
        return copy
    }
}

/// A weight tensor of a layer with its gradient.
public struct Parameter: Sendable {
    /// The name within its layer, as Keras names them: `kernel`, `bias`, `gamma`, ... (a
    /// layer made of layers lists theirs as `first/kernel`: see ``Layer/forEachParameter(prefixedWith:_:)``).
    public var name: String
    /// The current value.
    public var value: Tensor
    /// dLoss/dValue from the last backward pass (same shape as `value` once computed).
    public var gradient: Tensor
    /// Whether optimizers update it; false for state such as BatchNormalization's moving mean.
    public var trainable: Bool
    /// A penalty on the value added to the loss, if any.
    public var regularizer: Regularizer?
    /// Whether every value must be >= 0 (a variance): a model file breaking it is rejected.
    public var nonNegative: Bool
    /// Made once per `init` and shared by every copy: what tells that two calls in a
    /// functional model are of one layer (shared weights) rather than of two equal ones.
    let identity = Identity()

    /// An empty parameter, to be given its value in `build`.
    public init(name: String, trainable: Bool = true, regularizer: Regularizer? = nil, nonNegative: Bool = false) {
        self.name = name
        self.value = Tensor([])
        self.gradient = Tensor([])
        self.trainable = trainable
        self.regularizer = regularizer
        self.nonNegative = nonNegative
    }
}

/// What a layer gets while it is built.
public struct BuildContext {
    /// The generator for weight initialisation (seeded by the model).
    public var generator: RandomGenerator
    /// False for the first layer that has weights' predecessors only: no layer before it
    /// needs dLoss/dInput, so it may skip computing it.
    public var needsInputGradient: Bool

    /// A context with the given generator.
    public init(generator: RandomGenerator, needsInputGradient: Bool = true) {
        self.generator = generator
        self.needsInputGradient = needsInputGradient
    }
}

/// What a layer gets on each forward pass.
public struct ForwardContext {
    /// True while training: dropout and augmentation are active, BatchNormalization uses
    /// batch statistics.
    public var training: Bool
    /// The generator for dropout masks and augmentation (seeded by the model).
    public var generator: RandomGenerator
    /// While a ``DifferentiableLayer`` runs on a tape: its parameters' variables, by identity.
    var parameterVariables: [ObjectIdentifier: Variable]?
    /// The masks of this call's inputs (see ``MaskingLayer``), one per input, nil where an
    /// input has none; set by the model before each call.
    public internal(set) var inputMasks: [Tensor?] = []
    /// The mask of this call's (first) input: `[batch, steps]`, 1 for a step to use and 0 for
    /// padding; nil when there is none.
    public var inputMask: Tensor? { inputMasks.first ?? nil }
    /// A ``MultiInputLayer``'s inputs after the first (a recurrent layer's initial states);
    /// set by the model before each call, empty for a call on one input.
    public internal(set) var extraInputs: [Tensor] = []

    /// A context for training or inference.
    public init(training: Bool, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        self.training = training
        self.generator = generator
    }

    /// The variable of one of the layer's parameters inside
    /// ``DifferentiableLayer/call(_:context:)``: watched by the call's tape while the model
    /// trains (so the parameter gets its gradient), a constant otherwise.
    /// - Throws: ``LayersError/notReady(operation:reason:)`` while training when the layer's
    ///   ``Layer/forEachParameter(_:)`` does not list the parameter (it would get no gradient).
    public subscript(parameter: Parameter) -> Variable {
        get throws {
            guard let parameterVariables else { return Variable(parameter.value) }
            guard let variable = parameterVariables[ObjectIdentifier(parameter.identity)] else {
                throw LayersError.notReady(
                    operation: "parameter '\(parameter.name)'",
                    reason: "the layer's forEachParameter does not list it, so it would get no gradient; list it there")
            }
            return variable
        }
    }
}

/// A layer with an activation that the loss can fuse with: for softmax + categorical
/// cross-entropy the gradient with respect to the pre-activation is simply `p - y`.
/// Such a layer must implement ``Layer/backward(preActivationGradient:)``.
public protocol ActivatedLayer: Layer {
    /// The activation applied last in ``Layer/forward(_:context:)``.
    var activation: ActivationFunction { get }
}

extension ActivatedLayer {
    /// Replaces ``Layer``'s default, which would treat the pre-activation gradient as the
    /// output gradient: a conforming layer that does not implement this fails with a clear
    /// error when a fused loss calls it, instead of training on a wrong gradient.
    public mutating func backward(preActivationGradient: Tensor) throws -> Tensor {
        throw LayersError.notReady(
            operation: "\(name) backward(preActivationGradient:)",
            reason: "\(Self.self) conforms to ActivatedLayer, so it must implement backward(preActivationGradient:)")
    }
}

/// An object whose only use is its identity (`===`), shared by the copies of a value.
final class Identity: Sendable {}
