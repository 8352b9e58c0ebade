import Foundation
import Testing
import Tensor

/// The recurrent cells written out step by step in Double, from Keras's formulas.
struct RecurrentReference {
    let cell: RecurrentCell
    let units, features: Int
    let goBackwards, returnSequences: Bool

    func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    /// `x` `[batch][steps][features]` flattened; weights flattened row-major as the kernel takes them.
    /// `mask` `[batch][steps]` (by input step): 0 skips the step, keeping the state.
    /// `h0`, `c0` `[batch][units]`: the initial states (zeros when nil).
    func run(x: [Double], batch: Int, steps: Int, w: [Double], u: [Double], b: [Double]?, mask: [Float]? = nil,
             h0: [Double]? = nil, c0: [Double]? = nil) -> [Double] {
        let width = cell.gates * units
        var result: [Double] = []
        for n in 0..<batch {
            var h = h0.map { Array($0[(n * units)..<((n + 1) * units)]) } ?? [Double](repeating: 0, count: units)
            var c = c0.map { Array($0[(n * units)..<((n + 1) * units)]) } ?? [Double](repeating: 0, count: units)
            var sequence: [Double] = []
            for step in 0..<steps {
                let time = goBackwards ? steps - 1 - step : step
                if let mask, mask[n * steps + time] == 0 {
                    sequence += h
                    continue
                }
                var projected = [Double](repeating: 0, count: width), recurrent = projected
                for column in 0..<width {
                    for k in 0..<features { projected[column] += x[(n * steps + time) * features + k] * w[k * width + column] }
                    for k in 0..<units { recurrent[column] += h[k] * u[k * width + column] }
                    projected[column] += b?[column] ?? 0
                    if cell == .gru { recurrent[column] += b?[width + column] ?? 0 }
                }
                switch cell {
                case .simple:
                    h = (0..<units).map { Foundation.tanh(projected[$0] + recurrent[$0]) }
                case .lstm:
                    for j in 0..<units {
                        let i = sigmoid(projected[j] + recurrent[j]), f = sigmoid(projected[units + j] + recurrent[units + j])
                        let g = Foundation.tanh(projected[2 * units + j] + recurrent[2 * units + j])
                        let o = sigmoid(projected[3 * units + j] + recurrent[3 * units + j])
                        c[j] = f * c[j] + i * g
                        h[j] = o * Foundation.tanh(c[j])
                    }
                case .gru:
                    for j in 0..<units {
                        let z = sigmoid(projected[j] + recurrent[j]), r = sigmoid(projected[units + j] + recurrent[units + j])
                        let candidate = Foundation.tanh(projected[2 * units + j] + r * recurrent[2 * units + j])
                        h[j] = z * h[j] + (1 - z) * candidate
                    }
                }
                sequence += h
            }
            result += returnSequences ? sequence : h
        }
        return result
    }
}

@Suite("Recurrent kernel (SimpleRNN, LSTM, GRU cells)")
struct RecurrentKernelTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let cell: RecurrentCell
        let returnSequences, goBackwards, bias: Bool
        var masked = false
        /// With initial states (h₀, and c₀ for the LSTM).
        var initial = false
        var testDescription: String {
            "\(cell)\(returnSequences ? " sequences" : "")\(goBackwards ? " backwards" : "")\(bias ? "" : " no bias")"
                + (masked ? " masked" : "") + (initial ? " initial states" : "")
        }
    }

    static let cases: [Case] = [RecurrentCell.simple, .lstm, .gru].flatMap { cell in
        [Case(cell: cell, returnSequences: false, goBackwards: false, bias: true),
         Case(cell: cell, returnSequences: true, goBackwards: true, bias: true),
         Case(cell: cell, returnSequences: true, goBackwards: false, bias: false),
         Case(cell: cell, returnSequences: false, goBackwards: false, bias: true, masked: true),
         Case(cell: cell, returnSequences: true, goBackwards: true, bias: true, masked: true),
         Case(cell: cell, returnSequences: false, goBackwards: false, bias: true, initial: true),
         Case(cell: cell, returnSequences: true, goBackwards: true, bias: true, masked: true, initial: true)]
    }

    /// The initial states of a case: h₀ and (LSTM) c₀, `[batch, units]`, or nil.
    func initialStates(_ c: Case) -> (h: Tensor?, c: Tensor?) {
        guard c.initial else { return (nil, nil) }
        return (randomTensor([batch, units], seed: 6), c.cell == .lstm ? randomTensor([batch, units], seed: 7) : nil)
    }

    /// Sample 0 padded at the end, sample 1 with a gap, sample 2 padded at the start.
    let maskScalars: [Float] = [1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1]
    func mask(_ c: Case) -> Tensor? { c.masked ? try! Tensor(shape: [batch, steps], scalars: maskScalars) : nil }

    let batch = 3, steps = 4, features = 5, units = 3

    func operands(_ c: Case) -> (kernel: RecurrentKernel, x: Tensor, w: Tensor, u: Tensor, b: Tensor?) {
        let kernel = RecurrentKernel(cell: c.cell, units: units, goBackwards: c.goBackwards)
        let shapes = kernel.weightShapes(features: features)
        return (kernel, randomTensor([batch, steps, features], seed: 1), randomTensor(shapes.kernel, seed: 2),
                randomTensor(shapes.recurrentKernel, seed: 3), c.bias ? randomTensor(shapes.bias, seed: 4) : nil)
    }

    func reference(_ c: Case) -> RecurrentReference {
        RecurrentReference(cell: c.cell, units: units, features: features, goBackwards: c.goBackwards,
                           returnSequences: c.returnSequences)
    }

    @Test("forward matches the step-by-step Double reference", arguments: cases)
    func forward(_ c: Case) throws {
        var (kernel, x, w, u, b) = operands(c)
        let (h0, c0) = initialStates(c)
        var y = Tensor([])
        try kernel.forward(x, kernel: w, recurrentKernel: u, bias: b, mask: mask(c), initialState: h0, initialCellState: c0,
                           returnSequences: c.returnSequences, into: &y)
        #expect(y.shape == (c.returnSequences ? [batch, steps, units] : [batch, units]))
        let expected = reference(c).run(x: x.scalars.map(Double.init), batch: batch, steps: steps, w: w.scalars.map(Double.init),
                                        u: u.scalars.map(Double.init), b: b?.scalars.map(Double.init),
                                        mask: c.masked ? maskScalars : nil, h0: h0?.scalars.map(Double.init),
                                        c0: c0?.scalars.map(Double.init))
        let worst = zip(y.scalars, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test("backward matches central differences of the Double reference (input, weights, initial states)", arguments: cases)
    func backward(_ c: Case) throws {
        var (kernel, x, w, u, b) = operands(c)
        let (h0, c0) = initialStates(c)
        var y = Tensor([])
        try kernel.forward(x, kernel: w, recurrentKernel: u, bias: b, mask: mask(c), initialState: h0, initialCellState: c0,
                           returnSequences: c.returnSequences, into: &y)
        let r = randomTensor(y.shape, seed: 5)
        var (dx, dw, du, db, dh0, dc0) = (Tensor([]), Tensor([]), Tensor([]), Tensor([]), Tensor([]), Tensor([]))
        try kernel.backward(outputGradient: r, kernel: w, recurrentKernel: u, inputGradient: &dx, kernelGradient: &dw,
                            recurrentKernelGradient: &du, biasGradient: &db)
        if c.initial { try kernel.initialStateGradients(state: &dh0, cellState: &dc0) }
        let reference = reference(c), weights = r.scalars.map(Double.init)
        let initial: [[Double]] = [h0?.scalars.map(Double.init) ?? [], c0?.scalars.map(Double.init) ?? []]
        var operands: [[Double]] = [x, w, u].map { $0.scalars.map(Double.init) } + [b?.scalars.map(Double.init) ?? []]
        operands += initial
        func loss() -> Double {
            zip(reference.run(x: operands[0], batch: batch, steps: steps, w: operands[1], u: operands[2],
                              b: c.bias ? operands[3] : nil, mask: c.masked ? maskScalars : nil,
                              h0: c.initial ? operands[4] : nil, c0: c0 != nil ? operands[5] : nil), weights)
                .map(*).reduce(0, +)
        }
        let gradients: [(String, Tensor)] = [("x", dx), ("kernel", dw), ("recurrent kernel", du), ("bias", db), ("h0", dh0),
                                             ("c0", dc0)]
        let checked: [Bool] = [true, true, true, c.bias, c.initial, c0 != nil]
        for (index, (name, analytic)) in gradients.enumerated() where checked[index] {
            #expect(analytic.count == operands[index].count, "\(name)")
            for position in operands[index].indices {
                let original = operands[index][position]
                operands[index][position] = original + 1e-5
                let plus = loss()
                operands[index][position] = original - 1e-5
                let minus = loss()
                operands[index][position] = original
                let numeric = (plus - minus) / 2e-5
                #expect(abs(Double(analytic.scalars[position]) - numeric) < 1e-4 * max(1, abs(numeric)),
                        "d\(name)[\(position)]: \(analytic.scalars[position]) vs \(numeric)")
            }
        }
    }

    @Test("a second forward and backward on the same kernel repeat bit for bit (buffers reused)")
    func repeatable() throws {
        var (kernel, x, w, u, b) = operands(Case(cell: .lstm, returnSequences: true, goBackwards: false, bias: true))
        var results: [[Float]] = []
        for _ in 0..<2 {
            var (y, dx, dw, du, db) = (Tensor([]), Tensor([]), Tensor([]), Tensor([]), Tensor([]))
            try kernel.forward(x, kernel: w, recurrentKernel: u, bias: b, returnSequences: true, into: &y)
            try kernel.backward(outputGradient: y, kernel: w, recurrentKernel: u, inputGradient: &dx, kernelGradient: &dw,
                                recurrentKernelGradient: &du, biasGradient: &db)
            results.append(y.scalars + dx.scalars + dw.scalars + du.scalars + db.scalars)
        }
        #expect(results[0] == results[1])
    }

    @Test("shapes that do not fit, and backward before forward, are clear errors")
    func errors() throws {
        var kernel = RecurrentKernel(cell: .gru, units: 2)
        var (y, dx, dw, du, db) = (Tensor([]), Tensor([]), Tensor([]), Tensor([]), Tensor([]))
        let (w, u) = (try Tensor.zeros([3, 6]), try Tensor.zeros([2, 6]))
        var (h, c) = (Tensor([]), Tensor([]))
        #expect(throws: TensorError.self) { try kernel.finalStates(state: &h, cellState: &c) }
        #expect(throws: TensorError.self) {
            try kernel.backward(outputGradient: try Tensor.zeros([1, 2]), kernel: w, recurrentKernel: u, inputGradient: &dx,
                                kernelGradient: &dw, recurrentKernelGradient: &du, biasGradient: &db)
        }
        #expect(throws: TensorError.self) {
            try kernel.forward(try Tensor.zeros([1, 4, 3]), kernel: w, recurrentKernel: u, bias: try Tensor.zeros([6]),
                               returnSequences: false, into: &y)
        }
        #expect(throws: TensorError.self) {
            try kernel.forward(try Tensor.zeros([1, 4, 2]), kernel: w, recurrentKernel: u, bias: nil, returnSequences: false, into: &y)
        }
        #expect(throws: TensorError.self) {
            try kernel.forward(try Tensor.zeros([4, 3]), kernel: w, recurrentKernel: u, bias: nil, returnSequences: false, into: &y)
        }
        try kernel.forward(try Tensor.zeros([1, 4, 3]), kernel: w, recurrentKernel: u, bias: nil, returnSequences: false, into: &y)
        #expect(throws: TensorError.self) {
            try kernel.backward(outputGradient: try Tensor.zeros([1, 4, 2]), kernel: w, recurrentKernel: u, inputGradient: &dx,
                                kernelGradient: &dw, recurrentKernelGradient: &du, biasGradient: &db)
        }
        #expect {
            try kernel.backward(outputGradient: try Tensor.zeros([1, 2]), finalStateGradient: try Tensor.zeros([2, 2]), kernel: w,
                                recurrentKernel: u, inputGradient: &dx, kernelGradient: &dw, recurrentKernelGradient: &du,
                                biasGradient: &db)
        } throws: { "\($0)".contains("final state gradient") }
        try kernel.finalStates(state: &h, cellState: &c)
        #expect(h.shape == [1, 2] && c.shape == [0])
    }
}
