import Tensor

/// A loss of your own, written forward-only with ``Variable`` operations: the tape gives its
/// gradient. Its `Codable` form (its hyper-parameters) is saved with the model; register the
/// type with ``LossRegistry/register(_:)`` before loading a model that uses it.
///
/// ```swift
/// /// The mean of |p − y|³.
/// struct MeanCubicError: CustomLoss {
///     func callAsFunction(prediction: Variable, target: Variable) throws -> Variable {
///         try (prediction - target).abs().pow(3).mean()
///     }
/// }
/// try model.compile(optimizer: Adam(), loss: .custom(MeanCubicError()))
/// ```
public protocol CustomLoss: Codable, Sendable, SendableMetatype {
    /// The name in logs and saved files; the type name in snake case by default.
    static var typeName: String { get }
    /// The loss of a batch, a scalar (Keras averages over the batch): `prediction` is the
    /// model's output, `target` the batch's targets (a constant).
    func callAsFunction(prediction: Variable, target: Variable) throws -> Variable
}

extension CustomLoss {
    public static var typeName: String { snakeCase(String(describing: Self.self)) }
}

/// The custom loss types a model file may name.
public enum LossRegistry {
    private static let registry = TypeRegistry<any CustomLoss>(
        builtIns: [], unknown: { name, known in .unknownLossType(name, known: known) })

    /// Makes `type` loadable from model files under its ``CustomLoss/typeName``.
    public static func register<L: CustomLoss>(_ type: L.Type) {
        registry.register(L.typeName, TypeRegistry.factory("a \(L.typeName) loss") { (loss: L) in loss })
    }

    static func make(typeName: String, configuration: JSONValue) throws -> any CustomLoss {
        try registry.make(typeName, configuration: configuration)
    }
}

/// A custom loss inside ``Loss``: compared by type and configuration, saved as both.
struct CustomLossBox: Sendable, Equatable, Codable {
    let loss: any CustomLoss

    init(_ loss: any CustomLoss) { self.loss = loss }

    var typeName: String { type(of: loss).typeName }
    var configuration: JSONValue { (try? JSONValue(encoding: loss)) ?? .null }

    static func == (lhs: CustomLossBox, rhs: CustomLossBox) -> Bool {
        lhs.typeName == rhs.typeName && lhs.configuration == rhs.configuration
    }

    private enum CodingKeys: String, CodingKey { case type, configuration }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        loss = try LossRegistry.make(typeName: try container.decode(String.self, forKey: .type),
                                     configuration: try container.decode(JSONValue.self, forKey: .configuration))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(typeName, forKey: .type)
        try container.encode(JSONValue(encoding: loss), forKey: .configuration)
    }
}
