import Tensor

/// A metric of your own: a value for a batch, the mean over its samples, that the logs
/// average over an epoch weighted by batch size (Keras's `MeanMetricWrapper`). Its `Codable`
/// form is saved with the model; register the type with ``MetricRegistry/register(_:)``
/// before loading a model compiled with it.
///
/// ```swift
/// /// The fraction of samples whose largest output is above 0.9.
/// struct Confident: CustomMetric {
///     func callAsFunction(prediction: Tensor, target: Tensor) throws -> Float {
///         let rows = try prediction.max(alongAxis: -1).scalars
///         return Float(rows.filter { $0 > 0.9 }.count) / Float(rows.count)
///     }
/// }
/// try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy, .custom(Confident())])
/// ```
public protocol CustomMetric: RegisteredType {
    /// The metric's mean over the samples of one batch.
    func callAsFunction(prediction: Tensor, target: Tensor) throws -> Float
}

/// The custom metric types a model file may name.
public enum MetricRegistry: BoxRegistry {
    private static let registry = TypeRegistry<any CustomMetric>(
        builtIns: [], unknown: { name, known in .unknownMetricType(name, known: known) })

    /// Makes `type` loadable from model files under its ``RegisteredType/typeName``.
    public static func register<M: CustomMetric>(_ type: M.Type) {
        registry.register(M.typeName, TypeRegistry.factory("a \(M.typeName) metric") { (metric: M) in metric })
    }

    static func make(typeName: String, configuration: JSONValue) throws -> any CustomMetric {
        try registry.make(typeName, configuration: configuration)
    }
}

/// A custom metric inside ``Metric``.
typealias CustomMetricBox = RegisteredBox<MetricRegistry>
