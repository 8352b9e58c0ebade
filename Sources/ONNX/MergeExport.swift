import Layers

/// A merge layer that knows its ONNX form: one operator over all of its inputs.
protocol ONNXMergeExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, inputs: [ONNXGraphBuilder.Value], outputShape: [Int]) throws
}

/// The elementwise merges, each one ONNX operator (`Sum`, `Mean`, `Max` and `Min` take any
/// number of inputs; `Sub` and `Mul` two, so `Multiply` chains them).
protocol ONNXElementwiseMerge: ONNXMergeExportable, Layer {
    static var onnxOperator: String { get }
}

extension ONNXElementwiseMerge {
    func exportONNX(into graph: inout ONNXGraphBuilder, inputs: [ONNXGraphBuilder.Value], outputShape: [Int]) throws {
        guard Self.onnxOperator == "Mul" else {
            graph.merge(Self.onnxOperator, inputs, name: name, shape: outputShape)
            return
        }
        graph.merge("Mul", Array(inputs.prefix(2)), name: name, shape: outputShape)
        for input in inputs.dropFirst(2) { graph.merge("Mul", [graph.value, input], name: name, shape: outputShape) }
    }
}

extension Add: ONNXElementwiseMerge { static var onnxOperator: String { "Sum" } }
extension Subtract: ONNXElementwiseMerge { static var onnxOperator: String { "Sub" } }
extension Multiply: ONNXElementwiseMerge { static var onnxOperator: String { "Mul" } }
extension Average: ONNXElementwiseMerge { static var onnxOperator: String { "Mean" } }
extension Maximum: ONNXElementwiseMerge { static var onnxOperator: String { "Max" } }
extension Minimum: ONNXElementwiseMerge { static var onnxOperator: String { "Min" } }

extension Concatenate: ONNXMergeExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, inputs: [ONNXGraphBuilder.Value], outputShape: [Int]) throws {
        let rank = inputs[0].shape.count + 1
        let modelAxis = axis < 0 ? axis + rank : axis  // of [N] + the sample's axes, as the model sees them
        graph.merge("Concat", inputs, name: name, shape: outputShape) { layout in
            // Images kept channels-first: NHWC's axes 1, 2, 3 are NCHW's 2, 3, 1.
            let onnxAxis = layout == .nchw ? [0, 2, 3, 1][modelAxis] : modelAxis
            return [.int("axis", onnxAxis)]
        }
    }
}
