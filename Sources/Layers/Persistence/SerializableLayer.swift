import Tensor

/// A layer that can be saved in a model file: its configuration (the arguments of its
/// `init`) is written as JSON, and it can be made again from it. Weights are saved
/// separately, through ``Layer/forEachParameter(_:)``.
///
/// Every built-in layer conforms in its own file, beside its `init`. For your own layer,
/// conform and register the type once before loading a model that uses it:
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
    /// Every built-in layer type, in the order of the README's table. The all-layers test
    /// suite checks that it has rows for each of them.
    public static let builtInTypes: [any SerializableLayer.Type] = [
        Input.self, Dense.self, Embedding.self, Conv1D.self, Conv2D.self, Conv2DTranspose.self, DepthwiseConv2D.self, SeparableConv2D.self, MaxPooling1D.self, AveragePooling1D.self,
        MaxPooling2D.self, AveragePooling2D.self,
        GlobalAveragePooling2D.self, GlobalAveragePooling1D.self, GlobalMaxPooling2D.self, GlobalMaxPooling1D.self,
        Flatten.self, Reshape.self, ZeroPadding2D.self, Cropping2D.self, UpSampling2D.self, Dropout.self,
        BatchNormalization.self, LayerNormalization.self,
        SimpleRNN.self, LSTM.self, GRU.self, Bidirectional.self, MultiHeadAttention.self, PositionEmbedding.self,
        Activation.self, ReLU.self, LeakyReLU.self, ELU.self, Sigmoid.self, Tanh.self, Softmax.self,
        RandomRotation.self, RandomTranslation.self, RandomZoom.self, RandomFlip.self,
        Add.self, Subtract.self, Multiply.self, Average.self, Maximum.self, Minimum.self, Concatenate.self,
    ]

    private static let registry = TypeRegistry<any Layer>(
        builtIns: builtInTypes.map { ($0.typeName, factory(for: $0)) },
        unknown: { name, known in .unknownLayerType(name, known: known) })

    /// Makes `type` loadable from model files under its ``Layer/typeName``.
    public static func register<L: SerializableLayer>(_ type: L.Type) {
        registry.register(L.typeName, factory(for: L.self))
    }

    /// The names of the registered types.
    public static var registeredTypes: [String] { registry.names }

    /// A new layer of the registered type `typeName` with the configuration `configuration`.
    static func makeLayer(typeName: String, configuration: JSONValue) throws -> any Layer {
        try registry.make(typeName, configuration: configuration)
    }

    private static func factory<L: SerializableLayer>(for type: L.Type) -> TypeRegistry<any Layer>.Factory {
        TypeRegistry.factory("a \(L.typeName) layer") { (configuration: L.Configuration) in try L(configuration: configuration) }
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

/// The configuration of layers without hyper-parameters.
public struct EmptyConfiguration: Codable, Sendable {
    /// The empty configuration.
    public init() {}
}
