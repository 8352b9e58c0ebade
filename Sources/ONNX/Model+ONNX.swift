import Foundation
import Layers
import SwiftProtobuf

extension Model {
    /// The ONNX opset the exported graphs use.
    public static let onnxOpset = 13

    /// Writes the model's inference graph as an ONNX file that ONNX Runtime (and other
    /// ONNX consumers) can run: input `input` of shape `[N, h, w, c]` (NHWC, as the model is fed;
    /// `N` is symbolic), output `output`. A model of several inputs or outputs names them as
    /// the model does: its ``Model/inputNames`` and ``Model/outputNames``. Dropout and
    /// augmentation layers are left out.
    /// - Throws: ``ONNXExportError`` naming a layer without an ONNX form, or when the model is
    ///   not built or the file cannot be written.
    public func exportONNX(to path: String) throws {
        let data = try onnxData()
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ONNXExportError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// The names of the exported graph's inputs: `input` for a model of one input.
    public var onnxInputNames: [String] { graph.inputCount == 1 ? ["input"] : inputNames }
    /// The names of the exported graph's outputs: `output` for a model of one output.
    public var onnxOutputNames: [String] { graph.outputs.count == 1 ? ["output"] : outputNames }

    /// The ONNX file's bytes (see ``exportONNX(to:)``).
    public func onnxData() throws -> Data {
        guard let inputShapes, isBuilt else { throw ONNXExportError.notBuilt }
        var graph = ONNXGraphBuilder(inputShape: inputShapes[0])
        // Each node reads its values (the model's inputs first, then each node's output).
        var values = zip(onnxInputNames, inputShapes).map { ONNXGraphBuilder.Value(name: $0, shape: $1, layout: .nhwc) }
        for (node, outputShape) in zip(self.graph.nodes, nodeOutputShapes) {
            let layer = layers[node.layer]
            guard node.outputCount == 1 else {
                throw ONNXExportError.unsupportedLayer(
                    name: layer.name, type: "\(type(of: layer))",
                    reason: "its call returns \(node.outputCount) tensors (returnState), which the export does not write yet")
            }
            if let merge = layer as? any ONNXMergeExportable {
                try merge.exportONNX(into: &graph, inputs: node.inputs.map { values[$0] }, outputShape: outputShape)
            } else if let exportable = layer as? any ONNXExportable {
                guard node.inputs.count == 1 else {
                    throw ONNXExportError.unsupportedLayer(
                        name: layer.name, type: "\(type(of: layer))",
                        reason: "its call has \(node.inputs.count) inputs (initial states), which the export does not write yet")
                }
                graph.read(values[node.inputs[0]])
                try exportable.exportONNX(into: &graph, outputShape: outputShape)
            } else {
                throw ONNXExportError.unsupportedLayer(
                    name: layer.name, type: "\(type(of: layer))", reason: "it has no ONNX form; remove it or export without it")
            }
            values.append(graph.value)
        }
        var proto = Onnx_GraphProto()
        proto.name = name
        proto.input = zip(onnxInputNames, inputShapes).map { Self.valueInfo($0, shape: $1) }
        // Each output value is put in the model's layout and renamed by an Identity, so that
        // the outputs have stable names.
        var outputs: [Onnx_NodeProto] = []
        for (name, (value, shape)) in zip(onnxOutputNames, zip(self.graph.outputs, outputShapes)) {
            graph.read(values[value])
            graph.requireModelLayout()
            var identity = Onnx_NodeProto()
            identity.opType = "Identity"
            identity.name = name
            identity.input = [graph.current]
            identity.output = [name]
            outputs.append(identity)
            proto.output.append(Self.valueInfo(name, shape: shape))
        }
        proto.node = graph.nodes + outputs
        proto.initializer = graph.initializers

        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(Self.onnxOpset)
        model.opsetImport = [opset]
        model.producerName = "SwiftLayers"
        model.docString = "\(name), exported for inference (NHWC input)"
        model.graph = proto
        return try model.serializedData()
    }

    private static func valueInfo(_ name: String, shape: [Int]) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "N"
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape.dim = [batch] + shape.map { size in
            var dimension = Onnx_TensorShapeProto.Dimension()
            dimension.dimValue = Int64(size)
            return dimension
        }
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensor
        return info
    }
}
