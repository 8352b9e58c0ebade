import Synchronization

/// The types a model file may name, each with the factory that makes one from its saved
/// JSON configuration: what ``LayerRegistry`` and ``OptimizerRegistry`` are built on.
final class TypeRegistry<Product>: Sendable {
    typealias Factory = @Sendable (JSONValue) throws -> Product

    private let factories: Mutex<[String: Factory]>
    private let unknown: @Sendable (_ name: String, _ known: [String]) -> ModelFileError

    /// A registry holding `builtIns`; `unknown` is the error for a name it does not hold.
    init(builtIns: [(name: String, factory: Factory)],
         unknown: @escaping @Sendable (_ name: String, _ known: [String]) -> ModelFileError) {
        factories = Mutex(Dictionary(builtIns, uniquingKeysWith: { first, _ in first }))
        self.unknown = unknown
    }

    /// Adds or replaces the factory for `name`.
    func register(_ name: String, _ factory: @escaping Factory) {
        factories.withLock { $0[name] = factory }
    }

    /// The registered names, sorted.
    var names: [String] { factories.withLock { $0.keys.sorted() } }

    /// A new instance of the type registered as `name`, from `configuration`.
    func make(_ name: String, configuration: JSONValue) throws -> Product {
        guard let make = factories.withLock({ $0[name] }) else { throw unknown(name, names) }
        return try make(configuration)
    }

    /// The factory for a type with a `Codable` configuration: decodes it, then calls `initializer`.
    /// A decoding error becomes ``ModelFileError/invalidArchitecture(_:)`` naming the field.
    static func factory<Configuration: Decodable & SendableMetatype>(
        _ what: String, _ initializer: @escaping @Sendable (Configuration) throws -> Product
    ) -> Factory {
        { json in
            do {
                return try initializer(try json.decode(Configuration.self))
            } catch let error as DecodingError {
                throw ModelFileError.invalidArchitecture("the configuration of \(what) is invalid: \(describe(error))")
            }
        }
    }
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
