import CRecurrentCells

/// The cell a ``RecurrentKernel`` runs at each step, with Keras's gate order and defaults
/// (`tanh` activation, `sigmoid` recurrent activation).
public enum RecurrentCell: Sendable, Equatable {
    /// `h = tanh(x·W + h₋₁·U + b)`.
    case simple
    /// Gates `i, f, g, o`: `c = f·c₋₁ + i·g`, `h = o·tanh(c)`.
    case lstm
    /// Gates `z, r, h̃` with the reset gate after the recurrent product (Keras's
    /// `reset_after=True`): `h̃ = tanh(x·W_h + b_h + r·(h₋₁·U_h + b'_h))`, `h = z·h₋₁ + (1 − z)·h̃`.
    case gru

    /// The number of gate blocks of `units` columns in the kernels.
    public var gates: Int {
        switch self {
        case .simple: 1
        case .lstm: 4
        case .gru: 3
        }
    }
}

/// A recurrent layer's computation over whole sequences `[batch, steps, features]`: the
/// input projections of every step as one matrix product, then one product per step for the
/// recurrence, and backpropagation through time the same way (one product per step, then
/// one each for the kernel, recurrent kernel and input gradients).
///
/// The per-step products read and write the sequences in place through BLAS row strides:
/// step `t` of a `[batch, steps, width]` tensor is a `[batch, width]` matrix with rows
/// `steps·width` apart, so nothing is transposed or copied.
///
/// ```swift
/// var kernel = RecurrentKernel(cell: .lstm, units: 32)
/// try kernel.forward(x, kernel: w, recurrentKernel: u, bias: b, returnSequences: true, into: &y)
/// ```
public struct RecurrentKernel: Sendable {
    /// The cell run at each step.
    public let cell: RecurrentCell
    /// The size of the state `h`.
    public let units: Int
    /// Whether the sequence is read from its last step to its first (outputs come in the
    /// order they are computed, as Keras's `go_backwards`).
    public let goBackwards: Bool

    // What forward keeps for backward.
    private var input = Tensor([])
    /// `[batch, steps, gates·units]` by input step: the pre-activations, then (in place) the gates.
    private var gates = Tensor([])
    /// `[batch, steps, units]` by processing step: the states h.
    private var states = Tensor([])
    /// `[batch, steps, units]` by processing step: the LSTM's cell states c, or the GRU's
    /// recurrent candidate part `h₋₁·U_h + b'_h`.
    private var cellStates = Tensor([])
    private var returnedSequences = false
    /// `[batch, steps]` by input step, 0 where a step is skipped; empty for none.
    private var mask = Tensor([])
    /// `[batch, units]`: the last forward's initial h and (LSTM) c; empty for zeros.
    private var initialState = Tensor([]), initialCellState = Tensor([])
    // Scratch buffers, kept so that a steady-state step allocates nothing.
    private var recurrentProduct = Tensor([])
    private var gateGradients = Tensor([])
    private var recurrentGradients = Tensor([])
    private var stateGradient = Tensor([])
    private var cellGradient = Tensor([])
    /// `[batch, steps, units]`: h₋₁ in the rows of the recurrent gradients, for dU.
    private var previousStates = Tensor([])

    /// A kernel for `cell` with a state of `units`.
    public init(cell: RecurrentCell, units: Int, goBackwards: Bool = false) {
        self.cell = cell
        self.units = units
        self.goBackwards = goBackwards
    }

    /// The shapes of the weights for inputs of `features`: kernel `[features, gates·units]`,
    /// recurrent kernel `[units, gates·units]`, and bias `[gates·units]` (`[2, 3·units]` for
    /// the GRU: the input bias, then the recurrent bias).
    public func weightShapes(features: Int) -> (kernel: [Int], recurrentKernel: [Int], bias: [Int]) {
        let width = cell.gates * units
        return ([features, width], [units, width], cell == .gru ? [2, width] : [width])
    }

    /// Runs the cell over every step of `input` (`[batch, steps, features]`, zero initial
    /// state) into `output`: every step's state `[batch, steps, units]` when
    /// `returnSequences`, else the last `[batch, units]`. A nil `bias` adds nothing. Where
    /// `mask` (`[batch, steps]`, by input step) is 0 the step is skipped, as Keras skips masked
    /// steps: the state (and an LSTM's cell state) is carried over unchanged, and so is the output.
    /// `initialState` and `initialCellState` (`[batch, units]`, the latter the LSTM's only) are
    /// the states before the first step (Keras's `initial_state`); nil for zeros.
    /// - Throws: ``TensorError`` when a shape does not fit.
    public mutating func forward(
        _ input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?, mask: Tensor? = nil,
        initialState: Tensor? = nil, initialCellState: Tensor? = nil, returnSequences: Bool, into output: inout Tensor
    ) throws {
        guard input.rank == 3, input.shape[1] > 0, input.shape[2] > 0 else {
            throw TensorError.invalidShape(operation: "recurrent forward", shape: input.shape,
                                           reason: "expected [batch, steps, features] with at least one step")
        }
        let (batch, steps, features) = (input.shape[0], input.shape[1], input.shape[2])
        let expected = weightShapes(features: features)
        for (name, tensor, shape) in [("kernel", kernel, expected.kernel), ("recurrent kernel", recurrentKernel, expected.recurrentKernel)]
            + (bias.map { [("bias", $0, expected.bias)] } ?? []) where tensor.shape != shape {
            throw TensorError.shapeMismatch(operation: "recurrent forward (\(name))", expected: shape, found: tensor.shape)
        }
        if let mask, mask.shape != [batch, steps] {
            throw TensorError.shapeMismatch(operation: "recurrent forward (mask)", expected: [batch, steps], found: mask.shape)
        }
        for (name, state) in [("initial state", initialState), ("initial cell state", initialCellState)]
            where state != nil && state!.shape != [batch, units] {
            throw TensorError.shapeMismatch(operation: "recurrent forward (\(name))", expected: [batch, units], found: state!.shape)
        }
        if initialCellState != nil, cell != .lstm {
            throw TensorError.invalidShape(operation: "recurrent forward (initial cell state)", shape: initialCellState!.shape,
                                           reason: "only the LSTM has a cell state")
        }
        self.input = input
        self.mask = mask ?? Tensor([])
        self.initialState = initialState ?? Tensor([])
        self.initialCellState = initialCellState ?? Tensor([])
        let (h0, c0) = (initialState.map { UnsafePointer($0.storage.pointer) },
                        initialCellState.map { UnsafePointer($0.storage.pointer) })
        returnedSequences = returnSequences
        let keep = mask.map { UnsafePointer($0.storage.pointer) }
        let (units, width, cell, goBackwards) = (units, cell.gates * units, cell, goBackwards)
        try gates.resizeDiscardingContents(to: [batch, steps, width])
        try states.resizeDiscardingContents(to: [batch, steps, units])
        try cellStates.resizeDiscardingContents(to: cell == .simple ? [0] : [batch, steps, units])
        try recurrentProduct.resizeDiscardingContents(to: cell == .gru ? [batch, width] : [0])
        let (z, h, c, r) = (gates.storage.pointer, states.storage.pointer, cellStates.storage.pointer,
                            recurrentProduct.storage.pointer)
        let (u, b) = (recurrentKernel.storage.pointer, bias?.storage.pointer)
        let recurrentBias = cell == .gru ? b.map { $0 + width } : nil

        // Every step's input projection at once: Z = X·W + b.
        BLAS.gemm(transposeA: false, transposeB: false, m: batch * steps, n: width, k: features,
                  a: input.storage.pointer, lda: features, b: kernel.storage.pointer, ldb: width, c: z, ldc: width)
        if let b {
            parallelChunks(count: batch * steps, costPerItem: width) { rows in
                for row in rows { zipScalars(z + row * width, b, z + row * width, count: width, +) }
            }
        }
        // The samples of the batch are independent through time: each thread runs every step
        // for its own rows (one product of its rows per step), with no synchronisation between steps.
        ParallelChunks(count: batch, costPerItem: steps * width * (units + 16), minimumCostPerChunk: 1 << 18).run { _, rows in
            for step in 0..<steps {
                let time = goBackwards ? steps - 1 - step : step
                // h₋₁ of these rows: the step before (rows steps·units apart), or the initial state.
                let previous: UnsafePointer<Float>? = step > 0 ? UnsafePointer(h + (rows.lowerBound * steps + step - 1) * units)
                    : h0.map { $0 + rows.lowerBound * units }
                let previousStride = step > 0 ? steps * units : units
                switch (cell, previous) {
                case (.gru, nil): (r + rows.lowerBound * width).update(repeating: 0, count: rows.count * width)
                case let (.gru, previous?):
                    // The GRU's recurrent product has its own buffer: the reset gate multiplies a part of it.
                    BLAS.gemmOnThisThread(transposeA: false, transposeB: false, m: rows.count, n: width, k: units,
                                          a: previous, lda: previousStride, b: u, ldb: width, c: r + rows.lowerBound * width,
                                          ldc: width)
                case (_, nil): break
                case let (_, previous?):
                    BLAS.gemmOnThisThread(transposeA: false, transposeB: false, m: rows.count, n: width, k: units,
                                          a: previous, lda: previousStride, b: u, ldb: width, beta: 1,
                                          c: z + (rows.lowerBound * steps + time) * width, ldc: steps * width)
                }
                for row in rows {
                    let gate = z + (row * steps + time) * width
                    let state = h + (row * steps + step) * units, cellState = c + (row * steps + step) * units
                    // The states before this step: the step before's, the initial ones, or nil for zeros.
                    let previousState = step > 0 ? UnsafePointer(state - units) : h0.map { $0 + row * units }
                    let previousCell = step > 0 ? UnsafePointer(cellState - units) : c0.map { $0 + row * units }
                    switch cell {
                    case .simple: rc_simple_forward(gate, state, units)
                    case .lstm: rc_lstm_forward(gate, previousCell, cellState, state, units)
                    case .gru: rc_gru_forward(gate, r + row * width, recurrentBias, previousState, cellState, state, units)
                    }
                    if let keep, keep[row * steps + time] == 0 {
                        // A skipped step: the states of the step before (zeros before the first).
                        if let previousState {
                            state.update(from: previousState, count: units)
                        } else {
                            state.update(repeating: 0, count: units)
                        }
                        if cell == .lstm, let previousCell {
                            cellState.update(from: previousCell, count: units)
                        } else if cell == .lstm {
                            cellState.update(repeating: 0, count: units)
                        }
                    }
                }
            }
        }
        if returnSequences {
            output = states
        } else {
            try Self.copyLastStep(of: states, into: &output)
        }
    }

    /// The states after the last step of the last forward (Keras's `return_state`): h
    /// `[batch, units]` into `state` and, for the LSTM, c into `cellState` (left alone otherwise).
    /// Where the last steps were masked these are the states of the last step computed.
    /// - Throws: ``TensorError`` when forward has not run.
    public func finalStates(state: inout Tensor, cellState: inout Tensor) throws {
        guard input.rank == 3 else {
            throw TensorError.invalidShape(operation: "recurrent final states", shape: [], reason: "forward has not run")
        }
        try Self.copyLastStep(of: states, into: &state)
        if cell == .lstm { try Self.copyLastStep(of: cellStates, into: &cellState) }
    }

    /// After a backward whose forward had initial states: dLoss/dh₀ into `state` and, for the
    /// LSTM, dLoss/dc₀ into `cellState` (left alone otherwise).
    /// - Throws: ``TensorError`` when the last forward had no initial state or backward has not run.
    public func initialStateGradients(state: inout Tensor, cellState: inout Tensor) throws {
        guard input.rank == 3, initialState.count == input.shape[0] * units, stateGradient.count == initialState.count else {
            throw TensorError.invalidShape(operation: "recurrent initial state gradients", shape: [],
                                           reason: "backward has not run after a forward with initial states")
        }
        try state.resizeDiscardingContents(to: initialState.shape)
        state.storage.pointer.update(from: stateGradient.storage.pointer, count: stateGradient.count)
        if initialCellState.count == initialState.count {
            try cellState.resizeDiscardingContents(to: initialCellState.shape)
            cellState.storage.pointer.update(from: cellGradient.storage.pointer, count: cellGradient.count)
        }
    }

    /// `[batch, steps, units]` → its last step `[batch, units]`.
    private static func copyLastStep(of sequence: Tensor, into result: inout Tensor) throws {
        let (batch, steps, units) = (sequence.shape[0], sequence.shape[1], sequence.shape[2])
        try result.resizeDiscardingContents(to: [batch, units])
        let (from, to) = (sequence.storage.pointer, result.storage.pointer)
        for row in 0..<batch { (to + row * units).update(from: from + (row * steps + steps - 1) * units, count: units) }
    }

    /// Backpropagation through time for the last ``forward(_:kernel:recurrentKernel:bias:returnSequences:into:)``:
    /// from dLoss/dOutput (shaped as forward's output), writes the gradients of the kernel,
    /// the recurrent kernel and the bias (shaped as in forward), and dLoss/dInput unless
    /// `needsInputGradient` is false (then `inputGradient` is left alone). `finalStateGradient`
    /// and `finalCellStateGradient` (`[batch, units]`) are the gradients of the states
    /// ``finalStates(state:cellState:)`` gave, when they reach the loss.
    /// - Throws: ``TensorError`` when the shapes disagree or forward has not run.
    public mutating func backward(
        outputGradient: Tensor, finalStateGradient: Tensor? = nil, finalCellStateGradient: Tensor? = nil, kernel: Tensor,
        recurrentKernel: Tensor, needsInputGradient: Bool = true, inputGradient: inout Tensor, kernelGradient: inout Tensor, recurrentKernelGradient: inout Tensor,
        biasGradient: inout Tensor
    ) throws {
        guard input.rank == 3 else {
            throw TensorError.invalidShape(operation: "recurrent backward", shape: [], reason: "forward has not run")
        }
        let (batch, steps, features) = (input.shape[0], input.shape[1], input.shape[2])
        let expectedGradient = returnedSequences ? [batch, steps, units] : [batch, units]
        guard outputGradient.shape == expectedGradient else {
            throw TensorError.shapeMismatch(operation: "recurrent backward output gradient", expected: expectedGradient,
                                            found: outputGradient.shape)
        }
        let (units, width, cell, goBackwards, returnedSequences) = (units, cell.gates * units, cell, goBackwards, returnedSequences)
        let shapes = weightShapes(features: features)
        try gateGradients.resizeDiscardingContents(to: [batch, steps, width])
        try recurrentGradients.resizeDiscardingContents(to: cell == .gru ? [batch, steps, width] : [0])
        try stateGradient.resizeDiscardingContents(to: [batch, units])
        try cellGradient.resizeDiscardingContents(to: cell == .lstm ? [batch, units] : [0])
        let (dz, dr, dhNext, dcNext) = (gateGradients.storage.pointer, recurrentGradients.storage.pointer,
                                        stateGradient.storage.pointer, cellGradient.storage.pointer)
        let (z, h, c, dy) = (gates.storage.pointer, states.storage.pointer, cellStates.storage.pointer,
                             outputGradient.storage.pointer)
        let u = recurrentKernel.storage.pointer
        let keep = mask.count == batch * steps ? UnsafePointer(mask.storage.pointer) : nil
        for (gradient, name) in [(finalStateGradient, "final state"), (finalCellStateGradient, "final cell state")]
            where gradient != nil && gradient!.shape != [batch, units] {
            throw TensorError.shapeMismatch(operation: "recurrent backward \(name) gradient", expected: [batch, units],
                                            found: gradient!.shape)
        }
        // dh and dc after the last step: the final states' gradients (zero when they reach no loss).
        if let finalStateGradient {
            dhNext.update(from: finalStateGradient.storage.pointer, count: batch * units)
        } else {
            dhNext.update(repeating: 0, count: batch * units)
        }
        if cell == .lstm, let finalCellStateGradient {
            dcNext.update(from: finalCellStateGradient.storage.pointer, count: batch * units)
        } else if cell == .lstm {
            dcNext.update(repeating: 0, count: batch * units)
        }
        // The gradients of the pre-activations that meet U, by processing step: the GRU's own
        // buffer, else the gate gradients themselves (rows of input step `time`).
        let recurrentRows = cell == .gru ? dr : dz
        let hasInitialState = initialState.count == batch * units
        let (h0, c0) = (hasInitialState ? UnsafePointer(initialState.storage.pointer) : nil,
                        initialCellState.count == batch * units ? UnsafePointer(initialCellState.storage.pointer) : nil)

        // As forward: each thread takes its rows through every step, back to the first.
        ParallelChunks(count: batch, costPerItem: steps * width * (2 * units + 24), minimumCostPerChunk: 1 << 18).run { _, rows in
            for step in stride(from: steps - 1, through: 0, by: -1) {
                let time = goBackwards ? steps - 1 - step : step
                for row in rows {
                    let gate = z + (row * steps + time) * width, gradient = dz + (row * steps + time) * width
                    let state = h + (row * steps + step) * units, cellState = c + (row * steps + step) * units
                    let next = dhNext + row * units
                    let output = returnedSequences ? dy + (row * steps + step) * units
                        : step == steps - 1 ? dy + row * units : nil
                    let previousState = step > 0 ? UnsafePointer(state - units) : h0.map { $0 + row * units }
                    let previousCell = step > 0 ? UnsafePointer(cellState - units) : c0.map { $0 + row * units }
                    // dh accumulates in `next`; the cell functions (C, for the vector width) do the rest.
                    if let output {
                        for j in 0..<units { next[j] += output[j] }
                    }
                    let dh = next
                    if let keep, keep[row * steps + time] == 0 {
                        // A skipped step passes dh (and the LSTM's dc) on to the step before unchanged.
                        gradient.update(repeating: 0, count: width)
                        if cell == .gru { (dr + (row * steps + step) * width).update(repeating: 0, count: width) }
                        continue
                    }
                    switch cell {
                    case .simple: rc_simple_backward(gate, dh, gradient, units)
                    case .lstm: rc_lstm_backward(gate, cellState, previousCell, dh, dcNext + row * units, gradient, units)
                    case .gru:
                        rc_gru_backward(gate, cellState, previousState, dh, gradient, dr + (row * steps + step) * width, units)
                    }
                }
                // Before the first step there is nothing to pass dh to, unless to the initial state.
                guard step > 0 || hasInitialState else { continue }
                // dh₋₁ = dRecurrent · Uᵀ (+ the GRU's direct path, already in dhNext).
                let first = recurrentRows + (rows.lowerBound * steps + (cell == .gru ? step : time)) * width
                BLAS.gemmOnThisThread(transposeA: false, transposeB: true, m: rows.count, n: units, k: width, a: first,
                                      lda: steps * width, b: u, ldb: width, beta: 1,
                                      c: dhNext + rows.lowerBound * units, ldc: units)
            }
        }

        // dU = Σₜ h₋₁ᵀ · dRecurrentₜ as one product over every sample and step: h₋₁ copied to
        // the rows of the recurrent gradients (the initial state, or zero, at the first step). 27 products of one
        // batch each ran on one thread and took twice as long.
        try previousStates.resizeDiscardingContents(to: [batch, steps, units])
        let previous = previousStates.storage.pointer
        parallelChunks(count: batch, costPerItem: steps * units) { rows in
            for row in rows {
                for step in 0..<steps {
                    let target = previous + (row * steps + (cell == .gru || !goBackwards ? step : steps - 1 - step)) * units
                    if step == 0, let h0 {
                        target.update(from: h0 + row * units, count: units)
                    } else if step == 0 {
                        target.update(repeating: 0, count: units)
                    } else {
                        target.update(from: h + (row * steps + step - 1) * units, count: units)
                    }
                }
            }
        }
        try recurrentKernelGradient.resizeDiscardingContents(to: shapes.recurrentKernel)
        BLAS.gemm(transposeA: true, transposeB: false, m: units, n: width, k: batch * steps, a: previous, lda: units,
                  b: recurrentRows, ldb: width, c: recurrentKernelGradient.storage.pointer, ldc: width)
        // dW = Xᵀ · dZ and db = Σ dZ (and the GRU's recurrent bias Σ dRecurrent).
        try kernelGradient.resizeDiscardingContents(to: shapes.kernel)
        BLAS.gemm(transposeA: true, transposeB: false, m: features, n: width, k: batch * steps, a: input.storage.pointer,
                  lda: features, b: dz, ldb: width, c: kernelGradient.storage.pointer, ldc: width)
        try biasGradient.resizeDiscardingContents(to: shapes.bias)
        let db = biasGradient.storage.pointer
        db.update(repeating: 0, count: biasGradient.count)
        for row in 0..<(batch * steps) {
            zipScalars(db, dz + row * width, db, count: width, +)
            if cell == .gru { zipScalars(db + width, dr + row * width, db + width, count: width, +) }
        }
        guard needsInputGradient else { return }
        try inputGradient.resizeDiscardingContents(to: input.shape)
        BLAS.gemm(transposeA: false, transposeB: true, m: batch * steps, n: features, k: width, a: dz, lda: width,
                  b: kernel.storage.pointer, ldb: width, c: inputGradient.storage.pointer, ldc: features)
    }
}
