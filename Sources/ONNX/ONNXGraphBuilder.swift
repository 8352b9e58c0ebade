import Foundation
import SwiftProtobuf
import Tensor

/// Builds an ONNX graph one layer at a time, keeping track of the running value: its name, its
/// per-sample shape in the model's NHWC terms, and how it is laid out in the graph.
///
/// Users feed NHWC images; ONNX's Conv and pooling take NCHW. Images are transposed to NCHW
/// before the first spatial operator and back to NHWC only where the order matters (Flatten,
/// Reshape, Softmax, the graph's output), so a stack of convolutions needs two Transposes.
struct ONNXGraphBuilder {
    enum Layout { case nhwc, nchw }

    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    /// The value the next layer reads.
    private(set) var current = "input"
    /// Its shape per sample, as the model sees it (NHWC for images).
    private(set) var shape: [Int]
    private(set) var layout = Layout.nhwc
    private var counter = 0
    private var constantNames: Set<String> = []

    init(inputShape: [Int]) {
        shape = inputShape
    }

    /// A value of the graph: its name, per-sample shape (model terms) and layout.
    struct Value {
        let name: String
        let shape: [Int]
        let layout: Layout
    }

    /// The current value.
    var value: Value { Value(name: current, shape: shape, layout: layout) }

    /// Makes `value` the current one: the next layer of a graph model reads it.
    mutating func read(_ value: Value) {
        (current, shape, layout) = (value.name, value.shape, value.layout)
    }

    /// Adds `operation` over several values (a merge), which becomes current. The values are
    /// first put in one layout, the first value's; `attributes` gets that layout (an axis may
    /// depend on it).
    mutating func merge(
        _ operation: String, _ values: [Value], name: String, shape newShape: [Int],
        attributes: (_ layout: Layout) -> [Onnx_AttributeProto] = { _ in [] }
    ) {
        let target = values[0].layout
        let names = values.map { value -> String in
            guard value.layout != target else { return value.name }
            read(value)
            if target == .nchw { requireChannelsFirst() } else { requireModelLayout() }
            return current
        }
        let output = fresh(name)
        var node = Onnx_NodeProto()
        node.name = output
        node.opType = operation
        node.input = names
        node.output = [output]
        node.attribute = attributes(target)
        nodes.append(node)
        (current, shape, layout) = (output, newShape, target)
    }

    /// A fresh value name with a readable stem.
    private mutating func fresh(_ stem: String) -> String {
        counter += 1
        return "\(stem)_\(counter)"
    }

    /// Adds `operation` reading the current value (then `extraInputs`), which becomes current.
    /// For an operator with several outputs (ONNX's `LSTM`: `Y`, `Y_h`, ...), `output` is the one
    /// that becomes current; the ones before it are left out (named "").
    mutating func apply(_ operation: String, name: String, extraInputs: [String] = [],
                        attributes: [Onnx_AttributeProto] = [], shape newShape: [Int]? = nil, output index: Int = 0) {
        let output = fresh(name)
        var node = Onnx_NodeProto()
        node.name = output
        node.opType = operation
        node.input = [current] + extraInputs
        node.output = Array(repeating: "", count: index) + [output]
        node.attribute = attributes
        nodes.append(node)
        current = output
        if let newShape { shape = newShape }
    }

    /// Adds a constant (a layer's weights), returning its name.
    mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        constant(name, dims: tensor.shape, floats: tensor.scalars)
    }

    mutating func constant(_ name: String, dims: [Int], floats: [Float]) -> String {
        // A shared layer's calls use its weights again: one initializer.
        guard constantNames.insert(name).inserted else { return name }
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = dims.map(Int64.init)
        proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        proto.rawData = floats.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian, as ONNX stores raw data
        initializers.append(proto)
        return name
    }

    mutating func constant(_ name: String, int64s: [Int64]) -> String {
        guard constantNames.insert(name).inserted else { return name }
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = [Int64(int64s.count)]
        proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        proto.int64Data = int64s
        initializers.append(proto)
        return name
    }

    /// Makes the current image value NCHW, for Conv, pooling and batch normalisation.
    mutating func requireChannelsFirst() {
        guard shape.count == 3, layout == .nhwc else { return }
        apply("Transpose", name: "to_nchw", attributes: [.ints("perm", [0, 3, 1, 2])])
        layout = .nchw
    }

    /// Makes the current value laid out as the model sees it (NHWC), where element order matters.
    mutating func requireModelLayout() {
        guard shape.count == 3, layout == .nchw else { return }
        apply("Transpose", name: "to_nhwc", attributes: [.ints("perm", [0, 2, 3, 1])])
        layout = .nhwc
    }

    /// Records the current value's per-sample shape after operators that changed it step by step.
    mutating func setShape(_ newShape: [Int]) { shape = newShape }

    /// Marks the current value's layout after an operator that changed its rank.
    mutating func setLayout(_ newLayout: Layout) { layout = newLayout }

    /// The activation after a layer, if any.
    mutating func activate(_ function: String, alpha: Float? = nil, name: String) {
        apply(function, name: name, attributes: alpha.map { [.float("alpha", $0)] } ?? [])
    }
}

extension Onnx_AttributeProto {
    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }
}
