import Tensor

/// An optimizer that can be saved with a model, so that training resumes exactly: its
/// configuration (hyper-parameters and ``OptimizerSettings``) as JSON, its ``Optimizer/state``
/// as tensors. Built-in optimizers conform in their own files; register your own type with
/// ``OptimizerRegistry/register(_:)`` before loading a model that uses it.
public protocol SerializableOptimizer: Optimizer, SendableMetatype {
    /// The hyper-parameters and settings, as saved.
    associatedtype Configuration: Codable, SendableMetatype
    /// This optimizer's hyper-parameters and settings.
    var configuration: Configuration { get throws }
    /// A new optimizer, without state, from a saved configuration.
    init(configuration: Configuration) throws
    /// The name under which files record the type; defaults to the Swift type name.
    static var typeName: String { get }
}

extension SerializableOptimizer {
    public static var typeName: String { String(describing: Self.self) }
}

/// The optimizer types a model file may name, by ``SerializableOptimizer/typeName``.
public enum OptimizerRegistry {
    /// Every built-in optimizer type.
    public static let builtInTypes: [any SerializableOptimizer.Type] = [SGD.self, Adam.self, AdamW.self, RMSprop.self]

    private static let registry = TypeRegistry<any SerializableOptimizer>(
        builtIns: builtInTypes.map { ($0.typeName, factory(for: $0)) },
        unknown: { name, known in .unknownOptimizerType(name, known: known) })

    /// Makes `type` loadable from model files under its ``SerializableOptimizer/typeName``.
    public static func register<O: SerializableOptimizer>(_ type: O.Type) {
        registry.register(O.typeName, factory(for: O.self))
    }

    /// The names of the registered types.
    public static var registeredTypes: [String] { registry.names }

    /// A new optimizer of the registered type `typeName` with the configuration `configuration`.
    static func makeOptimizer(typeName: String, configuration: JSONValue) throws -> any SerializableOptimizer {
        try registry.make(typeName, configuration: configuration)
    }

    private static func factory<O: SerializableOptimizer>(for type: O.Type) -> TypeRegistry<any SerializableOptimizer>.Factory {
        TypeRegistry.factory("a \(O.typeName) optimizer") { (configuration: O.Configuration) in
            try O(configuration: configuration)
        }
    }
}

/// How a model file records an optimizer: one key, the type's name, holding its configuration
/// (`{"adam": {"learningRate": 0.001, ...}}`), as the files of format version 1 did.
struct OptimizerRecord: Codable {
    let typeName: String
    let configuration: JSONValue

    init(_ optimizer: any Optimizer) throws {
        guard let serializable = optimizer as? any SerializableOptimizer else {
            throw ModelFileError.unsupported(
                "the optimizer \(type(of: optimizer)) cannot be saved; conform it to SerializableOptimizer or save with includeOptimizer: false")
        }
        typeName = type(of: serializable).typeName
        configuration = try JSONValue(encoding: try serializable.configuration)
    }

    init(from decoder: any Decoder) throws {
        let object = try [String: JSONValue](from: decoder)
        guard object.count == 1, let (name, configuration) = object.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "expected one optimizer type, found \(object.count) keys"))
        }
        (typeName, self.configuration) = (name, configuration)
    }

    func encode(to encoder: any Encoder) throws {
        try [typeName: configuration].encode(to: encoder)
    }

    /// The optimizer, without state.
    func makeOptimizer() throws -> any SerializableOptimizer {
        try OptimizerRegistry.makeOptimizer(typeName: typeName, configuration: configuration)
    }
}
