import Tensor

/// What ``SimpleRNN``, ``LSTM`` and ``GRU`` share: they differ only in their cell, so each
/// is its hyper-parameters in a ``Recurrence`` and this protocol does the rest.
///
/// A recurrent layer reads samples `[steps, features]` and returns the last state `[units]`,
/// or every step's state `[steps, units]` with `returnSequences` (to stack another recurrent
/// layer, or attention, on top). The sequence starts from a zero state.
public protocol RecurrentLayer: MaskingLayer {
    /// The hyper-parameters, weights and kernel.
    var recurrence: Recurrence { get set }
}

extension RecurrentLayer {
    /// The size of the state.
    public var units: Int { recurrence.units }
    /// Whether the output is every step's state rather than the last one.
    public var returnSequences: Bool { recurrence.returnSequences }
    /// Whether the sequence is read from its last step (Keras's `go_backwards`: the outputs
    /// come in the order they are computed, last input step first).
    public var goBackwards: Bool { recurrence.goBackwards }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try recurrence.build(inputShape: inputShape, layer: name, context: &context)
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try recurrence.forward(input, mask: context.inputMask, layer: name)
    }

    /// The input's mask for a sequence output (its steps are the input's); none for the last state.
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? {
        returnSequences ? inputMasks.first ?? nil : nil
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try recurrence.backward(outputGradient, layer: name)
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&recurrence.kernel)
        try body(&recurrence.recurrentKernel)
        if recurrence.useBias { try body(&recurrence.bias) }
    }

    /// This layer reading its sequence the other way (what ``Bidirectional`` runs beside it).
    func reversed() -> Self {
        var copy = self
        copy.recurrence = Recurrence(copy.recurrence, goBackwards: !goBackwards)
        return copy
    }
}

/// The hyper-parameters and weights of a recurrent layer, with Keras's names and defaults:
/// `kernel` `[features, gates·units]` (Glorot uniform), `recurrent_kernel`
/// `[units, gates·units]` (orthogonal), `bias` (zeros; the LSTM's forget gate starts at 1).
public struct Recurrence: Sendable {
    /// The cell computed at each step.
    public let cell: RecurrentCell
    public let units: Int
    public let returnSequences: Bool
    public let goBackwards: Bool
    public let useBias: Bool
    /// Whether the LSTM's forget-gate bias starts at 1 (Keras's `unit_forget_bias`).
    public let unitForgetBias: Bool
    public let kernelInitializer, recurrentInitializer, biasInitializer: Initializer
    /// The input weights `[features, gates·units]`.
    public var kernel: Parameter
    /// The state weights `[units, gates·units]`.
    public var recurrentKernel: Parameter
    /// The bias `[gates·units]` (`[2, 3·units]` for the GRU: input and recurrent bias).
    public var bias: Parameter

    private var check: HyperparameterCheck
    private var computation: RecurrentKernel
    private var needsInputGradient = true
    private var output = Tensor([])
    private var inputGradient = Tensor([])

    init(
        cell: RecurrentCell, layer: String, units: Int, returnSequences: Bool, goBackwards: Bool, useBias: Bool,
        unitForgetBias: Bool = false, kernelInitializer: Initializer, recurrentInitializer: Initializer,
        biasInitializer: Initializer, kernelRegularizer: Regularizer?, recurrentRegularizer: Regularizer?,
        biasRegularizer: Regularizer?
    ) {
        self.cell = cell
        self.units = units
        self.returnSequences = returnSequences
        self.goBackwards = goBackwards
        self.useBias = useBias
        self.unitForgetBias = unitForgetBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        kernel = Parameter(name: "kernel", regularizer: kernelRegularizer)
        recurrentKernel = Parameter(name: "recurrent_kernel", regularizer: recurrentRegularizer)
        bias = Parameter(name: "bias", regularizer: biasRegularizer)
        check = HyperparameterCheck(layer)
        check.require(units > 0 && units <= 1 << 16, "units", units, "expected a positive integer up to 65536")
        computation = RecurrentKernel(cell: cell, units: Swift.max(units, 1), goBackwards: goBackwards)
    }

    /// `other` reading its sequence in the direction `goBackwards`, unbuilt.
    init(_ other: Recurrence, goBackwards: Bool) {
        self.init(cell: other.cell, layer: other.check.layer, units: other.units, returnSequences: other.returnSequences,
                  goBackwards: goBackwards, useBias: other.useBias, unitForgetBias: other.unitForgetBias,
                  kernelInitializer: other.kernelInitializer, recurrentInitializer: other.recurrentInitializer,
                  biasInitializer: other.biasInitializer, kernelRegularizer: other.kernel.regularizer,
                  recurrentRegularizer: other.recurrentKernel.regularizer, biasRegularizer: other.bias.regularizer)
    }

    mutating func build(inputShape: [Int], layer: String, context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] > 0 else {
            throw incompatibleInput(layer, expected: "(None, steps, features)", received: inputShape,
                                    hint: "a recurrent layer reads sequences; Reshape images to [rows, columns · channels]")
        }
        let shapes = computation.weightShapes(features: inputShape[1])
        kernel.value = try kernelInitializer.makeTensor(shapes.kernel, using: &context.generator)
        recurrentKernel.value = try recurrentInitializer.makeTensor(shapes.recurrentKernel, using: &context.generator)
        if useBias {
            bias.value = try biasInitializer.makeTensor(shapes.bias, using: &context.generator)
            if cell == .lstm, unitForgetBias {
                try bias.value.mapInPlace(in: units..<(2 * units)) { _ in 1 }
            }
        }
        needsInputGradient = context.needsInputGradient
        return returnSequences ? [inputShape[0], units] : [units]
    }

    /// The layer's output; steps where `mask` (`[batch, steps]`) is 0 are skipped.
    mutating func forward(_ input: Tensor, mask: Tensor?, layer: String) throws -> Tensor {
        guard kernel.value.rank == 2 else { throw LayersError.notReady(operation: "\(layer) forward", reason: "the layer is not built") }
        try wrappingTensorErrors {
            try computation.forward(input, kernel: kernel.value, recurrentKernel: recurrentKernel.value,
                                    bias: useBias ? bias.value : nil, mask: mask, returnSequences: returnSequences, into: &output)
        }
        return output
    }

    mutating func backward(_ outputGradient: Tensor, layer: String) throws -> Tensor {
        guard kernel.value.rank == 2 else { throw LayersError.notReady(operation: "\(layer) backward", reason: "the layer is not built") }
        // Without a bias its gradient lands in the unlisted, empty parameter.
        try computation.backward(
            outputGradient: outputGradient, kernel: kernel.value, recurrentKernel: recurrentKernel.value,
            needsInputGradient: needsInputGradient, inputGradient: &inputGradient, kernelGradient: &kernel.gradient,
            recurrentKernelGradient: &recurrentKernel.gradient, biasGradient: &bias.gradient)
        return needsInputGradient ? inputGradient : Tensor([])
    }
}

// MARK: Saving

/// The saved hyper-parameters of ``SimpleRNN``, ``LSTM`` and ``GRU``.
public struct RecurrentConfiguration: Codable, Sendable {
    var units: Int
    var returnSequences, goBackwards, useBias: Bool
    /// The LSTM's only.
    var unitForgetBias: Bool?
    var kernelInitializer, recurrentInitializer, biasInitializer: Initializer
    var kernelRegularizer, recurrentRegularizer, biasRegularizer: Regularizer?
}

extension Recurrence {
    var configuration: RecurrentConfiguration {
        RecurrentConfiguration(
            units: units, returnSequences: returnSequences, goBackwards: goBackwards, useBias: useBias,
            unitForgetBias: cell == .lstm ? unitForgetBias : nil, kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
            kernelRegularizer: kernel.regularizer, recurrentRegularizer: recurrentKernel.regularizer,
            biasRegularizer: bias.regularizer)
    }
}
