/// An error reading or writing a model file. The message names the file and what is wrong.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read (missing, unreadable).
    case cannotRead(path: String, reason: String)
    /// The file could not be written; any previous file at the path is unchanged.
    case cannotWrite(path: String, reason: String)
    /// The bytes are not a valid model file.
    case corrupt(path: String, reason: String)
    /// The file was written by a newer version of the format.
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// The architecture names a layer type that is not registered.
    case unknownLayerType(String, known: [String])
    /// The file names an optimizer type that is not registered.
    case unknownOptimizerType(String, known: [String])
    /// The file names a custom loss type that is not registered.
    case unknownLossType(String, known: [String])
    /// The file names a custom metric type that is not registered.
    case unknownMetricType(String, known: [String])
    /// The architecture JSON does not describe a valid model.
    case invalidArchitecture(String)
    /// The weights do not fit the architecture.
    case weightMismatch(String)
    /// A saved tensor holds NaN or an infinity, which no trained model should.
    case nonFiniteValue(tensor: String, index: Int, value: Float)
    /// The model holds something that cannot be saved.
    case unsupported(String)
    /// An error about the architecture or weights, with the file it came from.
    indirect case inFile(path: String, error: ModelFileError)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): "cannot read model file \(path): \(reason)"
        case let .cannotWrite(path, reason): "cannot write model file \(path): \(reason); any previous file there is unchanged"
        case let .corrupt(path, reason): "\(path) is not a valid model file: \(reason)"
        case let .unsupportedVersion(path, found, supported):
            "\(path) uses model format version \(found), but this library reads versions up to \(supported); update SwiftLayers"
        case let .unknownLayerType(type, known):
            "unknown layer type '\(type)'; register it with LayerRegistry.register(\(type).self) before loading (known: \(known.joined(separator: ", ")))"
        case let .unknownOptimizerType(type, known):
            "unknown optimizer type '\(type)'; register it with OptimizerRegistry.register(\(type).self) before loading (known: \(known.joined(separator: ", ")))"
        case let .unknownLossType(type, known):
            "unknown loss type '\(type)'; register it with LossRegistry.register(...) before loading (known: \(known.joined(separator: ", ")))"
        case let .unknownMetricType(type, known):
            "unknown metric type '\(type)'; register it with MetricRegistry.register(...) before loading (known: \(known.joined(separator: ", ")))"
        case let .invalidArchitecture(reason): "invalid architecture: \(reason)"
        case let .weightMismatch(reason): "the weights do not fit the architecture: \(reason)"
        case let .nonFiniteValue(tensor, index, value):
            "the tensor '\(tensor)' holds \(value) at index \(index); a model with non-finite weights cannot predict"
        case let .unsupported(reason): reason
        case let .inFile(path, error): "\(path): \(error)"
        }
    }
}
