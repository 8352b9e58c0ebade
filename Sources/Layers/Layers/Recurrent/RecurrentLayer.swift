import Tensor

/// What ``SimpleRNN``, ``LSTM`` and ``GRU`` share: they differ only in their cell, so each
/// is its hyper-parameters in a ``Recurrence`` and this protocol does the rest.
///
/// A recurrent layer reads samples `[steps, features]` and returns the last state `[units]`,
/// or every step's state `[steps, units]` with `returnSequences` (to stack another recurrent
/// layer, or attention, on top). The sequence starts from a zero state. With `returnState`
/// (Keras's `return_state`) a call also returns the final states, each `[units]`: h, and
/// the LSTM's c; in a functional model ``MultiOutputLayer/allOutputs(_:)`` gives them.
public protocol RecurrentLayer: MaskingLayer, MultiOutputLayer, MultiInputLayer {
    /// The hyper-parameters, weights and kernel.
    var recurrence: Recurrence { get set }
}

extension RecurrentLayer {
    /// The size of the state.
    public var units: Int { recurrence.units }
    /// Whether the output is every step's state rather than the last one.
    public var returnSequences: Bool { recurrence.returnSequences }
    /// Whether a call also returns the final states (h, and the LSTM's c).
    public var returnState: Bool { recurrence.returnState }

    /// 1, or with ``returnState`` 2 (output, h) and for the LSTM 3 (output, h, c).
    public var outputCount: Int { returnState ? (recurrence.cell == .lstm ? 3 : 2) : 1 }

    public func extraOutputShapes(inputShapes: [[Int]]) -> [[Int]] {
        Array(repeating: [units], count: outputCount - 1)
    }

    /// The final states of the last forward, with ``returnState``: h, then the LSTM's c.
    public var extraOutputs: [Tensor] { recurrence.finalStates }
    /// Whether the sequence is read from its last step (Keras's `go_backwards`: the outputs
    /// come in the order they are computed, last input step first).
    public var goBackwards: Bool { recurrence.goBackwards }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try recurrence.build(inputShape: inputShape, layer: name, context: &context)
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try recurrence.forward(input, mask: context.inputMask, initialStates: context.extraInputs, layer: name)
    }

    /// Initial states: h `[units]`, and for the LSTM c `[units]` (Keras's `initial_state`).
    public func checkExtraInputs(shapes: [[Int]], inputShape: [Int]) throws {
        let states = recurrence.cell == .lstm ? 2 : 1
        guard shapes.count == states, shapes.allSatisfy({ $0 == [units] }) else {
            throw LayersError.incompatibleInput(
                layer: name,
                expected: "initial states " + Array(repeating: "(None, \(units))", count: states).joined(separator: ", ")
                    + (states == 2 ? " (h and c)" : " (h)"),
                received: shapes.first ?? [], hint: "found \(shapes.count) initial state(s) of shapes \(shapes)")
        }
    }

    /// dLoss/dh₀ (and the LSTM's dLoss/dc₀) of the last call with initial states.
    public var extraInputGradients: [Tensor] { recurrence.initialStateGradients }

    /// Records a call on `input` from the initial states `initialState` (h, and the LSTM's
    /// c, each `[units]`), as Keras's `layer(x, initial_state=[h, c])`, and returns its output.
    /// - Throws: ``LayersError`` naming the layer when a shape does not fit.
    public func callAsFunction(_ input: some SymbolicValue, initialState: [any SymbolicValue]) throws -> SymbolicTensor {
        try singleOutput(of: try recordCall(on: [input.symbolic] + initialState.map(\.symbolic)))
    }

    /// ``callAsFunction(_:initialState:)`` returning every output (with `returnState`, the
    /// final states after the output).
    public func allOutputs(_ input: some SymbolicValue, initialState: [any SymbolicValue]) throws -> [SymbolicTensor] {
        try recordCall(on: [input.symbolic] + initialState.map(\.symbolic))
    }

    /// The input's mask for a sequence output (its steps are the input's); none for the last state.
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? {
        returnSequences ? inputMasks.first ?? nil : nil
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try recurrence.backward(outputGradient, layer: name)
    }

    /// With ``returnState``: the gradients of the output, h and (LSTM) c; nil where one
    /// does not reach the loss.
    public mutating func backward(outputGradients: [Tensor?]) throws -> Tensor {
        guard outputGradients.count == outputCount else {
            throw LayersError.invalidGradient(
                operation: "\(Self.typeName) backward",
                reason: "expected \(outputCount) output gradients (the output and its final states), found \(outputGradients.count)")
        }
        return try recurrence.backward(outputGradients[0], finalStateGradients: Array(outputGradients.dropFirst()), layer: name)
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
    /// Whether a call also returns the final states.
    public let returnState: Bool
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
    /// With `returnState`: the last forward's final h and (LSTM) c.
    private var finalState = Tensor([]), finalCellState = Tensor([])
    /// A zero output gradient, for a backward where only the final states reach the loss.
    private var zeroOutputGradient = Tensor([])
    /// Whether the last forward started from given states, and their gradients after backward.
    private var startsFromStates = false
    private var initialStateGradient = Tensor([]), initialCellStateGradient = Tensor([])

    init(
        cell: RecurrentCell, layer: String, units: Int, returnSequences: Bool, returnState: Bool = false, goBackwards: Bool,
        useBias: Bool,
        unitForgetBias: Bool = false, kernelInitializer: Initializer, recurrentInitializer: Initializer,
        biasInitializer: Initializer, kernelRegularizer: Regularizer?, recurrentRegularizer: Regularizer?,
        biasRegularizer: Regularizer?
    ) {
        self.cell = cell
        self.units = units
        self.returnSequences = returnSequences
        self.returnState = returnState
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
                  returnState: other.returnState, goBackwards: goBackwards, useBias: other.useBias,
                  unitForgetBias: other.unitForgetBias,
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
    mutating func forward(_ input: Tensor, mask: Tensor?, initialStates: [Tensor] = [], layer: String) throws -> Tensor {
        guard kernel.value.rank == 2 else { throw LayersError.notReady(operation: "\(layer) forward", reason: "the layer is not built") }
        startsFromStates = !initialStates.isEmpty
        try wrappingTensorErrors {
            try computation.forward(input, kernel: kernel.value, recurrentKernel: recurrentKernel.value,
                                    bias: useBias ? bias.value : nil, mask: mask, initialState: initialStates.first,
                                    initialCellState: initialStates.count > 1 ? initialStates[1] : nil,
                                    returnSequences: returnSequences, into: &output)
            if returnState { try computation.finalStates(state: &finalState, cellState: &finalCellState) }
        }
        return output
    }

    /// The gradients of the last call's initial states (empty when it had none).
    var initialStateGradients: [Tensor] {
        startsFromStates ? (cell == .lstm ? [initialStateGradient, initialCellStateGradient] : [initialStateGradient]) : []
    }

    /// The final states of the last forward: h, and the LSTM's c (empty without `returnState`).
    var finalStates: [Tensor] { returnState ? (cell == .lstm ? [finalState, finalCellState] : [finalState]) : [] }

    /// Backward from the output's gradient (nil: zero) and the final states' (nil: zero).
    mutating func backward(_ outputGradient: Tensor?, finalStateGradients: [Tensor?] = [], layer: String) throws -> Tensor {
        guard kernel.value.rank == 2 else { throw LayersError.notReady(operation: "\(layer) backward", reason: "the layer is not built") }
        let gradient: Tensor
        if let outputGradient {
            gradient = outputGradient
        } else {
            try wrappingTensorErrors {
                try zeroOutputGradient.resizeDiscardingContents(to: output.shape)
                zeroOutputGradient.mapInPlace { _ in 0 }
            }
            gradient = zeroOutputGradient
        }
        // Without a bias its gradient lands in the unlisted, empty parameter.
        try computation.backward(
            outputGradient: gradient, finalStateGradient: finalStateGradients.first ?? nil,
            finalCellStateGradient: finalStateGradients.dropFirst().first ?? nil, kernel: kernel.value,
            recurrentKernel: recurrentKernel.value,
            needsInputGradient: needsInputGradient, inputGradient: &inputGradient, kernelGradient: &kernel.gradient,
            recurrentKernelGradient: &recurrentKernel.gradient, biasGradient: &bias.gradient)
        if startsFromStates {
            try wrappingTensorErrors {
                try computation.initialStateGradients(state: &initialStateGradient, cellState: &initialCellStateGradient)
            }
        }
        return needsInputGradient ? inputGradient : Tensor([])
    }
}

// MARK: Saving

/// The saved hyper-parameters of ``SimpleRNN``, ``LSTM`` and ``GRU``.
public struct RecurrentConfiguration: Codable, Sendable {
    var units: Int
    var returnSequences, goBackwards, useBias: Bool
    /// Absent (false) in files written before it existed.
    var returnState: Bool?
    /// The LSTM's only.
    var unitForgetBias: Bool?
    var kernelInitializer, recurrentInitializer, biasInitializer: Initializer
    var kernelRegularizer, recurrentRegularizer, biasRegularizer: Regularizer?
}

extension Recurrence {
    var configuration: RecurrentConfiguration {
        RecurrentConfiguration(
            units: units, returnSequences: returnSequences, goBackwards: goBackwards, useBias: useBias,
            returnState: returnState ? true : nil,
            unitForgetBias: cell == .lstm ? unitForgetBias : nil, kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
            kernelRegularizer: kernel.regularizer, recurrentRegularizer: recurrentKernel.regularizer,
            biasRegularizer: bias.regularizer)
    }
}
