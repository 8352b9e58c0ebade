/// Why a model cannot be written as ONNX. The message names the layer and what to do.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible {
    /// The model has no input shape yet: build or fit it first.
    case notBuilt
    /// A layer has no ONNX form.
    case unsupportedLayer(name: String, type: String, reason: String)
    /// The file could not be written.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .notBuilt:
            "the model is not built: call build(inputShape:) (or fit) before exporting, so the graph's shapes are known"
        case let .unsupportedLayer(name, type, reason):
            "layer '\(name)' (\(type)) cannot be exported to ONNX: \(reason)"
        case let .cannotWrite(path, reason):
            "cannot write \(path): \(reason)"
        }
    }
}
