import Synchronization
import Tensor

/// A layer that can be saved in a model file: its configuration (the arguments of its
/// `init`) is written as JSON, and it can be made again from it. Weights are saved
/// separately, through ``Layer/forEachParameter(_:)``.
///
/// Every built-in layer conforms. For your own layer, conform and register the type once
/// before loading a model that uses it:
///
/// ```swift
/// extension Scale: SerializableLayer {
///     struct Configuration: Codable {}
///     var configuration: Configuration { Configuration() }
///     init(configuration: Configuration) {}
/// }
/// LayerRegistry.register(Scale.self)
/// ```
public protocol SerializableLayer: Layer, SendableMetatype {
    /// The hyper-parameters, as saved.
    associatedtype Configuration: Codable, SendableMetatype
    /// This layer's hyper-parameters.
    var configuration: Configuration { get }
    /// A new, unbuilt layer with these hyper-parameters.
    init(configuration: Configuration) throws
}

/// The layer types a model file may name, by ``Layer/typeName``.
public enum LayerRegistry {
    typealias Factory = @Sendable (JSONValue) throws -> any Layer

    private static let factories = Mutex<[String: Factory]>(builtInFactories())

    /// Makes `type` loadable from model files under its ``Layer/typeName``.
    public static func register<L: SerializableLayer>(_ type: L.Type) {
        factories.withLock { $0[L.typeName] = factory(for: L.self) }
    }

    /// The names of the registered types.
    public static var registeredTypes: [String] { factories.withLock { $0.keys.sorted() } }

    /// A new layer of the registered type `typeName` with the configuration `configuration`.
    static func makeLayer(typeName: String, configuration: JSONValue) throws -> any Layer {
        guard let make = factories.withLock({ $0[typeName] }) else {
            throw ModelFileError.unknownLayerType(typeName, known: registeredTypes)
        }
        return try make(configuration)
    }

    private static func factory<L: SerializableLayer>(for type: L.Type) -> Factory {
        { json in
            do {
                return try L(configuration: try json.decode(L.Configuration.self))
            } catch let error as DecodingError {
                throw ModelFileError.invalidArchitecture("the configuration of a \(L.typeName) layer is invalid: \(describe(error))")
            }
        }
    }

    private static func builtInFactories() -> [String: Factory] {
        let types: [any SerializableLayer.Type] = [
            Input.self, Dense.self, Conv2D.self, MaxPooling2D.self, AveragePooling2D.self,
            GlobalAveragePooling2D.self, Flatten.self, Reshape.self, Dropout.self, BatchNormalization.self,
            Activation.self, ReLU.self, LeakyReLU.self, ELU.self, Sigmoid.self, Tanh.self, Softmax.self,
            RandomRotation.self, RandomTranslation.self, RandomZoom.self, RandomFlip.self,
        ]
        return Dictionary(uniqueKeysWithValues: types.map { type in (type.typeName, factory(for: type)) })
    }
}

/// The configuration of a serializable layer as JSON.
func configurationJSON(of layer: any Layer) throws -> JSONValue {
    guard let serializable = layer as? any SerializableLayer else {
        throw ModelFileError.unsupported(
            "layer '\(layer.name)' of type \(type(of: layer).typeName) cannot be saved; conform it to SerializableLayer")
    }
    return try JSONValue(encoding: serializable.configuration)
}

/// A short account of a decoding error: what was expected where.
func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
    switch error {
    case let .keyNotFound(key, context): return "missing '\(key.stringValue)' at '\(path(context))'"
    case let .typeMismatch(type, context): return "expected \(type) at '\(path(context))'"
    case let .valueNotFound(type, context): return "expected \(type) at '\(path(context))'"
    case let .dataCorrupted(context): return "\(context.debugDescription) at '\(path(context))'"
    @unknown default: return "\(error)"
    }
}
