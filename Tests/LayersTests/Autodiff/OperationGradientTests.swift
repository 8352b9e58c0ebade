import Testing
import Layers
import Tensor

/// One differentiable operation applied to inputs of given shapes (seeded random values in
/// [-1, 1) unless `inputs` makes them).
struct OperationCase: CustomTestStringConvertible, Sendable {
    let operation: Variable.Operation
    let label: String
    let shapes: [[Int]]
    /// Inputs for ops that need them kept away from a kink or the edge of their domain.
    let inputs: (@Sendable ([[Int]]) -> [Tensor])?
    let body: @Sendable ([Variable]) throws -> Variable

    init(
        _ operation: Variable.Operation, _ label: String, _ shapes: [[Int]],
        inputs: (@Sendable ([[Int]]) -> [Tensor])? = nil, _ body: @escaping @Sendable ([Variable]) throws -> Variable
    ) {
        (self.operation, self.label, self.shapes, self.inputs, self.body) = (operation, label, shapes, inputs, body)
    }

    init(
        _ operation: Variable.Operation, _ shapes: [[Int]], inputs: (@Sendable ([[Int]]) -> [Tensor])? = nil,
        _ body: @escaping @Sendable ([Variable]) throws -> Variable
    ) {
        self.init(operation, "", shapes, inputs: inputs, body)
    }

    var testDescription: String { "\(operation.rawValue)\(label.isEmpty ? "" : " (\(label))")" }
}

/// Values in ±[0.1, 1.1): no finite-difference probe crosses zero.
@Sendable func awayFromZeroInputs(_ shapes: [[Int]]) -> [Tensor] {
    shapes.enumerated().map { awayFromZero($0.element, seed: UInt64(10 + $0.offset)) }
}
/// Values in [0.2, 1.2): inside the domain of log, sqrt and negative powers.
@Sendable func positiveInputs(_ shapes: [[Int]]) -> [Tensor] {
    shapes.enumerated().map { randomTensor($0.element, seed: UInt64(20 + $0.offset)).map { abs($0) + 0.2 } }
}
/// Distinct values 0.05 apart in random order: no ties, and a probe of 0.01 changes no order.
@Sendable func distinctInputs(_ shapes: [[Int]]) -> [Tensor] {
    var offset = 0
    return shapes.enumerated().map { index, shape in
        let count = shape.reduce(1, *)
        var generator = RandomGenerator(seed: UInt64(30 + index))
        let values = (0..<count).map { Float($0 + offset) * 0.05 - 1 }.shuffled(using: &generator)
        offset += count
        return try! Tensor(shape: shape, scalars: values)
    }
}

/// The table: every case of `Variable.Operation` has at least one row (checked below).
let operationCases: [OperationCase] = [
    OperationCase(.add, "same shape", [[2, 3], [2, 3]]) { try $0[0] + $0[1] },
    OperationCase(.add, "broadcast row and column", [[2, 1, 3], [4, 1]]) { try $0[0] + $0[1] },
    OperationCase(.subtract, "broadcast", [[3, 4], [4]]) { try $0[0] - $0[1] },
    OperationCase(.multiply, "broadcast", [[2, 3, 4], [3, 1]]) { try $0[0] * $0[1] },
    OperationCase(.divide, "broadcast", [[2, 3], [1, 3]], inputs: positiveInputs) { try $0[0] / $0[1] },
    OperationCase(.addScalar, [[5]]) { try 3 - $0[0] },
    OperationCase(.multiplyScalar, [[2, 2]]) { try $0[0] * 2.5 },
    OperationCase(.maximum, "broadcast", [[3, 4], [4]], inputs: distinctInputs) { try Variable.maximum($0[0], $0[1]) },
    OperationCase(.minimum, [[3, 4], [3, 4]], inputs: distinctInputs) { try Variable.minimum($0[0], $0[1]) },
    OperationCase(.select, "broadcast condition", [[2, 3], [2, 3]]) {
        try Variable.select(where: try Tensor(shape: [3], scalars: [1, 0, 1]), $0[0], $0[1])
    },
    OperationCase(.exp, [[3, 2]]) { try $0[0].exp() },
    OperationCase(.log, [[3, 2]], inputs: positiveInputs) { try $0[0].log() },
    OperationCase(.sqrt, [[6]], inputs: positiveInputs) { try $0[0].sqrt() },
    OperationCase(.pow, "cube", [[6]]) { try $0[0].pow(3) },
    OperationCase(.pow, "reciprocal (c / x)", [[6]], inputs: positiveInputs) { try 2 / $0[0] },
    OperationCase(.abs, [[8]], inputs: awayFromZeroInputs) { try $0[0].abs() },
    OperationCase(.clamp, [[10]], inputs: distinctInputs) { try $0[0].clamped(to: -0.52...0.33) },
    OperationCase(.tanh, [[2, 4]]) { try $0[0].tanh() },
    OperationCase(.sigmoid, [[2, 4]]) { try ($0[0] * 3).sigmoid() },
    OperationCase(.relu, [[2, 4]], inputs: awayFromZeroInputs) { try $0[0].relu() },
    OperationCase(.gelu, "exact", [[3, 4]]) { try ($0[0] * 2).gelu() },
    OperationCase(.gelu, "tanh approximation", [[3, 4]]) { try ($0[0] * 2).gelu(approximate: true) },
    OperationCase(.softmax, [[3, 5]]) { try ($0[0] * 2).softmax() },
    OperationCase(.logSoftmax, [[3, 5]]) { try ($0[0] * 2).logSoftmax() },
    OperationCase(.logSumExp, "middle axis", [[2, 4, 3]]) { try ($0[0] * 2).logSumExp(alongAxis: 1) },
    OperationCase(.logSumExp, "last axis, kept", [[3, 4]]) { try $0[0].logSumExp(keepingDimensions: true) },
    OperationCase(.sum, "all", [[2, 3]]) { try $0[0].sum() },
    OperationCase(.sum, "axes 0 and 2, kept", [[2, 3, 4]]) { try $0[0].sum(alongAxes: [0, -1], keepingDimensions: true) },
    OperationCase(.mean, "axis 1", [[2, 3, 4]]) { try $0[0].mean(alongAxes: [1]) },
    OperationCase(.max, "axis 1", [[3, 4]], inputs: distinctInputs) { try $0[0].max(alongAxes: [1]) },
    OperationCase(.max, "all", [[3, 4]], inputs: distinctInputs) { try $0[0].max() },
    OperationCase(.min, "axis 0, kept", [[3, 4]], inputs: distinctInputs) { try $0[0].min(alongAxes: [0], keepingDimensions: true) },
    OperationCase(.reshape, [[2, 6]]) { try $0[0].reshaped([3, -1]) },
    OperationCase(.permute, [[2, 3, 4]]) { try $0[0].permuted([2, 0, 1]) },
    OperationCase(.permute, "last axes", [[2, 3, 4]]) { try $0[0].transposedLastAxes() },
    OperationCase(.slice, "columns", [[3, 5]]) { try $0[0].slice(alongAxis: 1, 1..<4) },
    OperationCase(.slice, "box", [[3, 4, 2]]) { try $0[0].slice([1..<3, 0..<2]) },
    OperationCase(.concatenate, "axis 1", [[2, 3], [2, 1], [2, 2]]) { try Variable.concatenate($0, alongAxis: 1) },
    OperationCase(.stack, "new last axis", [[2, 3], [2, 3]]) { try Variable.stack($0, alongAxis: -1) },
    OperationCase(.split, "pieces used differently", [[2, 5]]) {
        let pieces = try $0[0].split(sizes: [2, 3], alongAxis: 1)
        return try Variable.concatenate([try pieces[1].tanh(), try pieces[0] * 3], alongAxis: 1)
    },
    OperationCase(.matmul, "matrices", [[3, 4], [4, 2]]) { try $0[0].matmul($0[1]) },
    OperationCase(.matmul, "transposed operands", [[4, 3], [2, 4]]) { try $0[0].matmul($0[1], transposeSelf: true, transposeOther: true) },
    OperationCase(.matmul, "batched", [[2, 3, 4], [2, 4, 2]]) { try $0[0].matmul($0[1]) },
    OperationCase(.matmul, "batch times one matrix", [[2, 3, 4], [4, 2]]) { try $0[0].matmul($0[1]) },
    OperationCase(.matmul, "a batch of rank 4 times one transposed matrix", [[2, 2, 3, 4], [5, 4]]) {
        try $0[0].matmul($0[1], transposeOther: true)
    },
    OperationCase(.matmul, "one matrix times a batch, transposed", [[3, 4], [2, 5, 4]]) {
        try $0[0].matmul($0[1], transposeOther: true)
    },
    OperationCase(.gather, "rows named twice", [[5, 3]]) { try $0[0].gathering(rows: [4, 0, 4, 2], indexShape: [2, 2]) },
    OperationCase(.conv2D, "same padding, bias", [[2, 5, 5, 2], [3, 3, 2, 3], [3]]) {
        try $0[0].conv2D(kernel: $0[1], bias: $0[2], padding: .same)
    },
    OperationCase(.conv2D, "stride 2, no bias", [[1, 6, 5, 2], [2, 3, 2, 2]]) {
        try $0[0].conv2D(kernel: $0[1], strides: (2, 2))
    },
    OperationCase(.conv2D, "Winograd F(4x4)", [[1, 6, 6, 2], [3, 3, 2, 2], [2]]) {
        try $0[0].conv2D(kernel: $0[1], bias: $0[2], padding: .same, algorithm: .winograd4x4)
    },
    OperationCase(.maxPool2D, [[2, 4, 4, 3]], inputs: distinctInputs) { try $0[0].maxPool2D(poolSize: (2, 2)) },
    OperationCase(.averagePool2D, "same padding", [[1, 5, 4, 2]]) {
        try $0[0].averagePool2D(poolSize: (3, 3), strides: (2, 2), padding: .same)
    },
    OperationCase(.batchNormalization, "batch statistics", [[4, 3], [3], [3]]) {
        try $0[0].batchNormalization(gamma: $0[1], beta: $0[2]).output
    },
    OperationCase(.batchNormalization, "given statistics", [[2, 2, 3], [3], [3]]) {
        try $0[0].batchNormalization(gamma: $0[1], beta: $0[2], statistics: (Tensor([0.1, -0.2, 0.3]), Tensor([0.5, 1, 2]))).output
    },
    OperationCase(.dropout, [[4, 8]]) { try $0[0].dropout(rate: 0.4, seed: 7) },
    OperationCase(.attention, "2 heads, cross-attention", [[2, 3, 4], [2, 5, 4], [2, 5, 6]]) {
        try $0[0].attention(key: $0[1], value: $0[2], heads: 2, keyDim: 2, valueDim: 3)
    },
    OperationCase(.attention, "self-attention, a mask per sample", [[2, 4, 6]]) {
        let mask = try! Tensor(shape: [2, 4, 4], scalars: (0..<32).map { $0 % 3 == 1 ? -1e9 : Float($0 % 5) * 0.1 })
        return try $0[0].attention(key: $0[0], value: $0[0], heads: 3, keyDim: 2, valueDim: 2, adding: mask)
    },
]

@Suite("Differentiable operations against finite differences")
struct OperationGradientTests {
    @Test("every operation has a row in the table")
    func coverage() {
        let covered = Set(operationCases.map(\.operation))
        let missing = Variable.Operation.allCases.filter { !covered.contains($0) }
        #expect(missing.isEmpty, "operations without a gradient check: \(missing.map(\.rawValue))")
    }

    @Test("backward matches central differences", arguments: operationCases)
    func gradient(_ row: OperationCase) throws {
        let inputs = row.inputs?(row.shapes) ?? row.shapes.enumerated().map { randomTensor($0.element, seed: UInt64($0.offset + 1)) }
        let tape = GradientTape()
        let variables = inputs.map(tape.watch)
        let output = try row.body(variables)
        #expect(tape.recordedOperations.contains(row.operation.rawValue),
                "the row records \(row.operation.rawValue): \(tape.recordedOperations)")
        let weights = randomTensor(output.shape, seed: 99)
        let analytic = try tape.gradient(of: output, withRespectTo: variables, outputGradient: weights)
        #expect(tape.recordedOperationCount == 0, "the tape is freed after the gradient")

        // L(inputs) = Σ output ⊙ weights, probed one element at a time with constants only.
        func loss(_ values: [Tensor]) throws -> Double { dot(try row.body(values.map(Variable.init)).value, weights) }
        for (index, input) in inputs.enumerated() {
            let numeric = try numericGradient(of: { probe in
                var probed = inputs
                probed[index] = probe
                return try loss(probed)
            }, at: input)
            let error = relativeError(analytic[index], numeric)
            #expect(error < 1e-2, "input \(index) of \(row.testDescription): relative error \(error)")
        }
    }
}
