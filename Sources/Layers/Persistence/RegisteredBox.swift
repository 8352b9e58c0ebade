import Tensor

/// A type of your own that a model file may name (a custom loss or metric): saved as its
/// ``typeName`` and its `Codable` form, made again from them by a registry.
public protocol RegisteredType: Codable, Sendable, SendableMetatype {
    /// The name in logs and saved files; the type name in snake case by default.
    static var typeName: String { get }
}

extension RegisteredType {
    public static var typeName: String { snakeCase(String(describing: Self.self)) }
}

/// Where a ``RegisteredBox`` finds the types it can load.
protocol BoxRegistry {
    associatedtype Value: Sendable
    static func make(typeName: String, configuration: JSONValue) throws -> Value
}

/// A value of a registered type inside a `Codable`, `Equatable` value (``Loss``, ``Metric``):
/// compared by type name and configuration, saved as both, loaded through `Registry`.
struct RegisteredBox<Registry: BoxRegistry>: Sendable, Equatable, Codable {
    let value: Registry.Value
    private let erased: any RegisteredType

    init(_ value: Registry.Value) {
        self.value = value
        erased = value as! any RegisteredType  // every Value is a protocol refining RegisteredType
    }

    var typeName: String { type(of: erased).typeName }
    var configuration: JSONValue { (try? JSONValue(encoding: erased)) ?? .null }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.typeName == rhs.typeName && lhs.configuration == rhs.configuration
    }

    private enum CodingKeys: String, CodingKey { case type, configuration }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try Registry.make(typeName: try container.decode(String.self, forKey: .type),
                                    configuration: try container.decode(JSONValue.self, forKey: .configuration)))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(typeName, forKey: .type)
        try container.encode(JSONValue(encoding: erased), forKey: .configuration)
    }
}
