import Tensor

/// A layer written as its forward computation only: ``call(_:context:)`` composes
/// ``Variable`` operations, and the model differentiates it with a ``GradientTape``, as a
/// Keras or PyTorch layer is written.
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
///
/// While the model trains, each call runs on a tape of its own, with the input and the
/// trainable parameters watched (``ForwardContext/subscript(parameter:)`` gives their
/// variables); what the call kept for its backward pass lives with the call, in the model,
/// and is freed by the backward pass. In inference nothing is recorded. `call` is
/// `mutating` so that a layer can update state such as moving averages (non-trainable
/// parameters) while training.
///
/// The conformance provides ``Layer/forward(_:context:)`` (the call on constants, for
/// inference) and a ``Layer/backward(_:)`` that explains that the model's tape
/// differentiates the layer. A layer that has a faster hand-written backward pass conforms
/// to ``Layer`` alone, as the built-in ones do.
public protocol DifferentiableLayer: Layer {
    /// The layer's output for a batch, computed with ``Variable`` operations from `input`
    /// and the variables of its parameters (`context[parameter]`).
    mutating func call(_ input: Variable, context: inout ForwardContext) throws -> Variable
}

extension DifferentiableLayer {
    /// The call on constants: inference, or the layer used outside a model.
    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var constants = context
        constants.parameterVariables = nil
        defer { context.generator = constants.generator }
        return try call(Variable(input), context: &constants).value
    }

    /// Not used: the model differentiates the call with its tape.
    /// - Throws: ``LayersError/notReady(operation:reason:)`` always.
    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        throw LayersError.notReady(
            operation: "\(name) backward",
            reason: "\(Self.self) is a DifferentiableLayer: a model trains it through the gradient tape of each call; "
                + "to differentiate it yourself, run call(_:context:) on variables a GradientTape watches")
    }

}

extension DifferentiableLayer {
    /// ``call(_:context:)`` recorded on a tape of its own (see ``Layer/recordedCall(_:inputGradient:context:_:)``).
    mutating func recordedCall(_ input: Tensor, inputGradient: Bool, context: inout ForwardContext) throws -> LayerCall {
        try recordedCall([input], inputGradient: inputGradient, context: &context) { [try $0.call($1[0], context: &$2)] }
    }
}

extension MergeLayer {
    /// ``call(_:context:)`` recorded on a tape of its own (see ``Layer/recordedCall(_:inputGradient:context:_:)``).
    mutating func recordedCall(_ inputs: [Tensor], inputGradient: Bool, context: inout ForwardContext) throws -> LayerCall {
        try recordedCall(inputs, inputGradient: inputGradient, context: &context) { try $0.callReturningAll($1, context: &$2) }
    }
}

extension Layer {
    /// Runs `call` on a new tape with the inputs watched when `inputGradient` and every
    /// trainable parameter watched, and returns what its backward needs.
    mutating func recordedCall(
        _ inputs: [Tensor], inputGradient: Bool, context: inout ForwardContext,
        _ call: (inout Self, [Variable], inout ForwardContext) throws -> [Variable]
    ) throws -> LayerCall {
        let tape = GradientTape()
        let inputVariables = inputs.map { inputGradient ? tape.watch($0) : Variable($0) }
        var variables: [ObjectIdentifier: Variable] = [:]
        var sources: [Variable] = []
        var names: Set<String> = []
        var duplicate: String?
        forEachParameter { parameter in
            if !names.insert(parameter.name).inserted { duplicate = parameter.name }
            let variable = parameter.trainable ? tape.watch(parameter.value) : Variable(parameter.value)
            variables[ObjectIdentifier(parameter.identity)] = variable
            if parameter.trainable { sources.append(variable) }
        }
        if let duplicate {
            throw LayersError.notReady(
                operation: "\(name) call",
                reason: "two parameters are named '\(duplicate)'; name each once "
                    + "(list a layer's own layers' parameters with forEachParameter(prefixedWith:))")
        }
        var recording = context
        recording.parameterVariables = variables
        defer { context.generator = recording.generator }
        let outputs = try call(&self, inputVariables, &recording)
        return LayerCall(tape: tape, inputs: inputGradient ? inputVariables : [], parameters: sources, outputs: outputs)
    }
}

/// What one recorded call of a forward-only layer keeps until its backward pass.
struct LayerCall {
    let tape: GradientTape
    /// The watched inputs; empty when no input gradient is needed.
    let inputs: [Variable]
    let parameters: [Variable]
    /// The call's outputs: one, or a ``MultiOutputLayer``'s several.
    let outputs: [Variable]

    /// dLoss/dInput for each input (empty when the inputs were not watched) from dLoss/dOutput
    /// of each output (nil for one that reaches no loss), after setting the gradient of each
    /// trainable parameter of `layer`; frees the tape.
    func backward(_ outputGradients: [Tensor?], layer: inout any Layer) throws -> [Tensor] {
        let sources = inputs + parameters
        var gradients: [Tensor]
        // Outputs that depend on nothing watched pass nothing back.
        let recorded = zip(outputs, outputGradients).filter { $0.0.isRecorded }
        if !recorded.isEmpty {
            gradients = try tape.gradient(of: recorded.map(\.0), withRespectTo: sources, outputGradients: recorded.map(\.1))
        } else {
            // The output depends on nothing watched: every gradient is zero.
            gradients = try sources.map { source in try wrappingTensorErrors { try Tensor.zeros(source.shape) } }
        }
        let inputGradients = Array(gradients.prefix(inputs.count))
        var next = inputs.count
        layer.forEachParameter { parameter in
            guard parameter.trainable else { return }
            parameter.gradient = gradients[next]
            next += 1
        }
        return inputGradients
    }
}
