import Foundation

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
    // Scratch buffers, kept so that a steady-state step allocates nothing.
    private var recurrentProduct = Tensor([])
    private var gateGradients = Tensor([])
    private var recurrentGradients = Tensor([])
    private var stateGradient = Tensor([])
    private var cellGradient = Tensor([])

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
    /// `returnSequences`, else the last `[batch, units]`. A nil `bias` adds nothing.
    /// - Throws: ``TensorError`` when a shape does not fit.
    public mutating func forward(
        _ input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?, returnSequences: Bool,
        into output: inout Tensor
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
        self.input = input
        returnedSequences = returnSequences
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
        for step in 0..<steps {
            let time = goBackwards ? steps - 1 - step : step
            let previous = h + (step - 1) * units  // rows steps·units apart; read only when step > 0
            switch (cell, step) {
            case (.gru, 0): r.update(repeating: 0, count: batch * width)
            case (.gru, _):
                // The GRU's recurrent product has its own buffer: the reset gate multiplies a part of it.
                BLAS.gemm(transposeA: false, transposeB: false, m: batch, n: width, k: units,
                          a: previous, lda: steps * units, b: u, ldb: width, c: r, ldc: width)
            case (_, 0): break
            default:
                BLAS.gemm(transposeA: false, transposeB: false, m: batch, n: width, k: units, a: previous, lda: steps * units,
                          b: u, ldb: width, beta: 1, c: z + time * width, ldc: steps * width)
            }
            parallelChunks(count: batch, costPerItem: 8 * width) { rows in
                for row in rows {
                    let gate = z + (row * steps + time) * width
                    let state = h + (row * steps + step) * units, cellState = c + (row * steps + step) * units
                    let hasPrevious = step > 0
                    switch cell {
                    case .simple:
                        for j in 0..<units {
                            gate[j] = Foundation.tanh(gate[j])
                            state[j] = gate[j]
                        }
                    case .lstm:
                        for j in 0..<units {
                            let i = ScalarActivation.sigmoid(gate[j]), f = ScalarActivation.sigmoid(gate[units + j])
                            let g = Foundation.tanh(gate[2 * units + j]), o = ScalarActivation.sigmoid(gate[3 * units + j])
                            (gate[j], gate[units + j], gate[2 * units + j], gate[3 * units + j]) = (i, f, g, o)
                            let value = (hasPrevious ? f * cellState[j - units] : 0) + i * g
                            cellState[j] = value
                            state[j] = o * Foundation.tanh(value)
                        }
                    case .gru:
                        let product = r + row * width
                        for j in 0..<units {
                            func recurrent(_ column: Int) -> Float { product[column] + (recurrentBias?[column] ?? 0) }
                            let update = ScalarActivation.sigmoid(gate[j] + recurrent(j))
                            let reset = ScalarActivation.sigmoid(gate[units + j] + recurrent(units + j))
                            let candidatePart = recurrent(2 * units + j)
                            let candidate = Foundation.tanh(gate[2 * units + j] + reset * candidatePart)
                            (gate[j], gate[units + j], gate[2 * units + j]) = (update, reset, candidate)
                            cellState[j] = candidatePart
                            state[j] = (hasPrevious ? update * state[j - units] : 0) + (1 - update) * candidate
                        }
                    }
                }
            }
        }
        if returnSequences {
            output = states
        } else {
            try output.resizeDiscardingContents(to: [batch, units])
            let y = output.storage.pointer
            for row in 0..<batch { (y + row * units).update(from: h + (row * steps + steps - 1) * units, count: units) }
        }
    }

    /// Backpropagation through time for the last ``forward(_:kernel:recurrentKernel:bias:returnSequences:into:)``:
    /// from dLoss/dOutput (shaped as forward's output), writes the gradients of the kernel,
    /// the recurrent kernel and the bias (shaped as in forward), and dLoss/dInput unless
    /// `needsInputGradient` is false (then `inputGradient` is left alone).
    /// - Throws: ``TensorError`` when the shapes disagree or forward has not run.
    public mutating func backward(
        outputGradient: Tensor, kernel: Tensor, recurrentKernel: Tensor, needsInputGradient: Bool = true,
        inputGradient: inout Tensor, kernelGradient: inout Tensor, recurrentKernelGradient: inout Tensor,
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
        dhNext.update(repeating: 0, count: batch * units)
        if cell == .lstm { dcNext.update(repeating: 0, count: batch * units) }
        // The gradients of the pre-activations that meet U, by processing step: the GRU's own
        // buffer, else the gate gradients themselves (rows of input step `time`).
        let (recurrentRows, recurrentStride) = cell == .gru ? (dr, steps * width) : (dz, steps * width)

        for step in stride(from: steps - 1, through: 0, by: -1) {
            let time = goBackwards ? steps - 1 - step : step
            parallelChunks(count: batch, costPerItem: 12 * width) { rows in
                for row in rows {
                    let gate = z + (row * steps + time) * width, gradient = dz + (row * steps + time) * width
                    let state = h + (row * steps + step) * units, cellState = c + (row * steps + step) * units
                    let next = dhNext + row * units
                    let output = returnedSequences ? dy + (row * steps + step) * units
                        : step == steps - 1 ? dy + row * units : nil
                    let hasPrevious = step > 0
                    switch cell {
                    case .simple:
                        for j in 0..<units {
                            let dh = next[j] + (output?[j] ?? 0)
                            gradient[j] = dh * (1 - gate[j] * gate[j])
                        }
                    case .lstm:
                        let nextCell = dcNext + row * units
                        for j in 0..<units {
                            let dh = next[j] + (output?[j] ?? 0)
                            let (i, f, g, o) = (gate[j], gate[units + j], gate[2 * units + j], gate[3 * units + j])
                            let squashed = Foundation.tanh(cellState[j])
                            let dc = dh * o * (1 - squashed * squashed) + nextCell[j]
                            let previousCell = hasPrevious ? cellState[j - units] : 0
                            gradient[j] = dc * g * i * (1 - i)
                            gradient[units + j] = dc * previousCell * f * (1 - f)
                            gradient[2 * units + j] = dc * i * (1 - g * g)
                            gradient[3 * units + j] = dh * squashed * o * (1 - o)
                            nextCell[j] = dc * f
                        }
                    case .gru:
                        let recurrent = dr + (row * steps + step) * width
                        for j in 0..<units {
                            let dh = next[j] + (output?[j] ?? 0)
                            let (update, reset, candidate) = (gate[j], gate[units + j], gate[2 * units + j])
                            let previous = hasPrevious ? state[j - units] : 0
                            let dCandidate = dh * (1 - update) * (1 - candidate * candidate)
                            let dUpdate = dh * (previous - candidate) * update * (1 - update)
                            let dReset = dCandidate * cellState[j] * reset * (1 - reset)
                            (gradient[j], gradient[units + j], gradient[2 * units + j]) = (dUpdate, dReset, dCandidate)
                            (recurrent[j], recurrent[units + j], recurrent[2 * units + j]) = (dUpdate, dReset, dCandidate * reset)
                            next[j] = dh * update  // the direct path z·h₋₁; the product with Uᵀ is added below
                        }
                    }
                }
            }
            guard step > 0 else { continue }
            // dh₋₁ = dRecurrent · Uᵀ (+ the GRU's direct path, already in dhNext).
            let rows = recurrentRows + (cell == .gru ? step : time) * width
            BLAS.gemm(transposeA: false, transposeB: true, m: batch, n: units, k: width, a: rows, lda: recurrentStride,
                      b: u, ldb: width, beta: cell == .gru ? 1 : 0, c: dhNext, ldc: units)
        }

        // dU = Σₜ h₋₁ᵀ · dRecurrentₜ, one product per step (h₋₁ = 0 at the first step).
        try recurrentKernelGradient.resizeDiscardingContents(to: shapes.recurrentKernel)
        let du = recurrentKernelGradient.storage.pointer
        du.update(repeating: 0, count: units * width)
        for step in 1..<max(steps, 1) {
            let time = goBackwards ? steps - 1 - step : step
            BLAS.gemm(transposeA: true, transposeB: false, m: units, n: width, k: batch, a: h + (step - 1) * units,
                      lda: steps * units, b: recurrentRows + (cell == .gru ? step : time) * width, ldb: recurrentStride,
                      beta: 1, c: du, ldc: width)
        }
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
