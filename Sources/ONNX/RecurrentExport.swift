import Layers
import Tensor

/// The recurrent layers as ONNX's own `RNN`, `LSTM` and `GRU` operators (opset 13): the
/// sequence transposed to time-major `[steps, batch, features]`, the weights reordered into
/// ONNX's gate order and layout, and the output (`Y` for every step, `Y_h` for the last)
/// brought back to the model's `[batch, steps, units]` or `[batch, units]`.
extension SimpleRNN: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        try exportRecurrent([self], mergeMode: .concat, name: name, into: &graph, outputShape: outputShape)
    }
}

extension LSTM: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        try exportRecurrent([self], mergeMode: .concat, name: name, into: &graph, outputShape: outputShape)
    }
}

extension GRU: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        try exportRecurrent([self], mergeMode: .concat, name: name, into: &graph, outputShape: outputShape)
    }
}

extension Bidirectional: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        guard !forwardLayer.goBackwards else {
            throw ONNXExportError.unsupportedLayer(
                name: name, type: "Bidirectional",
                reason: "its forward layer reads backwards (goBackwards); wrap a layer with goBackwards false")
        }
        try exportRecurrent([forwardLayer, backwardLayer], mergeMode: mergeMode, name: name, into: &graph,
                            outputShape: outputShape)
    }
}

/// ONNX's gate blocks, as indices of Keras's: the LSTM's `i, o, f, c` are Keras's 0, 3, 1, 2;
/// the GRU's `z, r, h` and the RNN's single block are in Keras's order.
private func onnxGateOrder(_ cell: RecurrentCell) -> [Int] {
    switch cell {
    case .simple: [0]
    case .lstm: [0, 3, 1, 2]
    case .gru: [0, 1, 2]
    }
}

/// `[rows, gates·units]` (Keras) to `[gates·units, rows]` with ONNX's gate order.
private func onnxWeights(_ weights: Tensor, cell: RecurrentCell, units: Int) -> [Float] {
    let (rows, width) = (weights.shape[0], weights.shape[1])
    let source = weights.scalars
    var result = [Float](repeating: 0, count: source.count)
    for (position, gate) in onnxGateOrder(cell).enumerated() {
        for j in 0..<units {
            for row in 0..<rows { result[(position * units + j) * rows + row] = source[row * width + gate * units + j] }
        }
    }
    return result
}

/// `[gates·units]` in ONNX's gate order.
private func onnxBias(_ bias: [Float], cell: RecurrentCell, units: Int) -> [Float] {
    onnxGateOrder(cell).flatMap { gate in bias[(gate * units)..<((gate + 1) * units)] }
}

/// One ONNX recurrent operator for one layer (direction `forward` or `reverse`) or a
/// bidirectional pair (`layers` = forward, backward).
private func exportRecurrent(
    _ layers: [any RecurrentLayer], mergeMode: Bidirectional.MergeMode, name: String,
    into graph: inout ONNXGraphBuilder, outputShape: [Int]
) throws {
    let first = layers[0].recurrence
    let (cell, units, steps, directions) = (first.cell, first.units, graph.shape[0], layers.count)
    let width = cell.gates * units
    var (w, r, b): ([Float], [Float], [Float]) = ([], [], [])
    for layer in layers {
        let recurrence = layer.recurrence
        w += onnxWeights(recurrence.kernel.value, cell: cell, units: units)
        r += onnxWeights(recurrence.recurrentKernel.value, cell: cell, units: units)
        let bias = recurrence.useBias ? recurrence.bias.value.scalars : [Float](repeating: 0, count: cell == .gru ? 2 * width : width)
        // ONNX adds an input bias and a recurrent bias; Keras has the second for the GRU only.
        b += onnxBias(Array(bias.prefix(width)), cell: cell, units: units)
            + (cell == .gru ? onnxBias(Array(bias.suffix(width)), cell: cell, units: units) : [Float](repeating: 0, count: width))
    }
    let features = graph.shape[1]
    let inputs = [graph.constant("\(name).W", dims: [directions, width, features], floats: w),
                  graph.constant("\(name).R", dims: [directions, width, units], floats: r),
                  graph.constant("\(name).B", dims: [directions, 2 * width], floats: b)]
    var attributes: [Onnx_AttributeProto] = [
        .int("hidden_size", units),
        .string("direction", directions == 2 ? "bidirectional" : first.goBackwards ? "reverse" : "forward"),
    ]
    if cell == .gru { attributes.append(.int("linear_before_reset", 1)) }
    let operatorName = switch cell {
    case .simple: "RNN"
    case .lstm: "LSTM"
    case .gru: "GRU"
    }

    graph.requireModelLayout()
    graph.apply("Transpose", name: name + "_time_major", attributes: [.ints("perm", [1, 0, 2])])
    let sequences = first.returnSequences
    if sequences {
        // Y: [steps, directions, batch, units] → [batch, steps, directions, units].
        graph.apply(operatorName, name: name, extraInputs: inputs, attributes: attributes)
        graph.apply("Transpose", name: name + "_batch_major", attributes: [.ints("perm", [2, 0, 1, 3])])
    } else {
        // Y_h: [directions, batch, units] → [batch, directions, units].
        graph.apply(operatorName, name: name, extraInputs: inputs, attributes: attributes, output: 1)
        graph.apply("Transpose", name: name + "_batch_major", attributes: [.ints("perm", [1, 0, 2])])
    }
    let directionAxis = sequences ? 2 : 1
    switch mergeMode {
    case .concat:
        let shape = sequences ? [-1, steps, directions * units] : [-1, directions * units]
        graph.apply("Reshape", name: name + "_merge", extraInputs: [graph.constant("\(name).shape", int64s: shape.map(Int64.init))])
    case .sum:
        graph.apply("ReduceSum", name: name + "_merge", extraInputs: [graph.constant("\(name).axes", int64s: [Int64(directionAxis)])],
                    attributes: [.int("keepdims", 0)])
    case .average:
        graph.apply("ReduceMean", name: name + "_merge", attributes: [.ints("axes", [directionAxis]), .int("keepdims", 0)])
    case .multiply:
        graph.apply("ReduceProd", name: name + "_merge", attributes: [.ints("axes", [directionAxis]), .int("keepdims", 0)])
    }
    if sequences, first.goBackwards, directions == 1 {
        // ONNX's reverse direction returns Y in the input's step order; Keras's go_backwards in the order computed.
        graph.apply("Slice", name: name + "_computed_order", extraInputs: [
            graph.constant("\(name).starts", int64s: [-1]), graph.constant("\(name).ends", int64s: [Int64.min]),
            graph.constant("\(name).slice_axes", int64s: [1]), graph.constant("\(name).steps", int64s: [-1]),
        ])
    }
    graph.setShape(outputShape)
}
