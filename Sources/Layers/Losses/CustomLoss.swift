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
public protocol CustomLoss: RegisteredType {
    /// The loss of a batch, a scalar (Keras averages over the batch): `prediction` is the
    /// model's output, `target` the batch's targets (a constant).
    func callAsFunction(prediction: Variable, target: Variable) throws -> Variable
}

/// The custom loss types a model file may name.
public enum LossRegistry: BoxRegistry {
    private static let registry = TypeRegistry<any CustomLoss>(
        builtIns: [], unknown: { name, known in .unknownLossType(name, known: known) })

    /// Makes `type` loadable from model files under its ``RegisteredType/typeName``.
    public static func register<L: CustomLoss>(_ type: L.Type) {
        registry.register(L.typeName, TypeRegistry.factory("a \(L.typeName) loss") { (loss: L) in loss })
    }

    static func make(typeName: String, configuration: JSONValue) throws -> any CustomLoss {
        try registry.make(typeName, configuration: configuration)
    }
}

/// A custom loss inside ``Loss``.
typealias CustomLossBox = RegisteredBox<LossRegistry>
