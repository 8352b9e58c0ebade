import Tensor

// How each built-in layer is saved: its configuration is exactly the arguments of its init.

extension Input: SerializableLayer {
    public struct Configuration: Codable { var shape: [Int] }
    public var configuration: Configuration { Configuration(shape: shape) }
    public init(configuration: Configuration) { self.init(shape: configuration.shape) }
}

extension Dense: SerializableLayer {
    public struct Configuration: Codable {
        var units: Int
        var activation: ActivationFunction
        var useBias: Bool
        var kernelInitializer, biasInitializer: Initializer
        var kernelRegularizer, biasRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(units: units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
                      biasInitializer: biasInitializer, kernelRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(units: c.units, activation: c.activation, useBias: c.useBias, kernelInitializer: c.kernelInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer, biasRegularizer: c.biasRegularizer)
    }
}

extension Conv2D: SerializableLayer {
    public struct Configuration: Codable {
        var filters: Int
        var kernelSize, strides: Size2D
        var padding: Padding
        var activation: ActivationFunction
        var useBias: Bool
        var kernelInitializer, biasInitializer: Initializer
        var kernelRegularizer, biasRegularizer: Regularizer?
    }
    public var configuration: Configuration {
        Configuration(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, activation: activation,
                      useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
                      kernelRegularizer: kernel.regularizer, biasRegularizer: bias.regularizer)
    }
    public init(configuration c: Configuration) {
        self.init(filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding,
                  activation: c.activation, useBias: c.useBias, kernelInitializer: c.kernelInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer, biasRegularizer: c.biasRegularizer)
    }
}

/// The configuration of both pooling layers.
public struct PoolingLayerConfiguration: Codable {
    var poolSize: Size2D
    var strides: Size2D?
    var padding: Padding
}

extension MaxPooling2D: SerializableLayer {
    public var configuration: PoolingLayerConfiguration { .init(poolSize: poolSize, strides: strides, padding: padding) }
    public init(configuration c: PoolingLayerConfiguration) { self.init(poolSize: c.poolSize, strides: c.strides, padding: c.padding) }
}

extension AveragePooling2D: SerializableLayer {
    public var configuration: PoolingLayerConfiguration { .init(poolSize: poolSize, strides: strides, padding: padding) }
    public init(configuration c: PoolingLayerConfiguration) { self.init(poolSize: c.poolSize, strides: c.strides, padding: c.padding) }
}

/// The configuration of layers without hyper-parameters.
public struct EmptyConfiguration: Codable {}

extension GlobalAveragePooling2D: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}

extension Flatten: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}

extension Reshape: SerializableLayer {
    public struct Configuration: Codable { var targetShape: [Int] }
    public var configuration: Configuration { Configuration(targetShape: targetShape) }
    public init(configuration: Configuration) { self.init(configuration.targetShape) }
}

extension Dropout: SerializableLayer {
    public struct Configuration: Codable { var rate: Float }
    public var configuration: Configuration { Configuration(rate: rate) }
    public init(configuration: Configuration) { self.init(rate: configuration.rate) }
}

extension BatchNormalization: SerializableLayer {
    public struct Configuration: Codable { var momentum, epsilon: Float }
    public var configuration: Configuration { Configuration(momentum: momentum, epsilon: epsilon) }
    public init(configuration: Configuration) { self.init(momentum: configuration.momentum, epsilon: configuration.epsilon) }
}

/// The configuration of the activation layers.
public struct ActivationLayerConfiguration: Codable { var activation: ActivationFunction }

extension Activation: SerializableLayer {
    public var configuration: ActivationLayerConfiguration { .init(activation: activation) }
    public init(configuration: ActivationLayerConfiguration) { self.init(configuration.activation) }
}

extension ReLU: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}

extension LeakyReLU: SerializableLayer {
    public var configuration: ActivationLayerConfiguration { .init(activation: activation) }
    public init(configuration: ActivationLayerConfiguration) throws {
        guard case let .leakyReLU(alpha) = configuration.activation else {
            throw ModelFileError.invalidArchitecture("a LeakyReLU layer must have a leakyReLU activation")
        }
        self.init(alpha: alpha)
    }
}

extension ELU: SerializableLayer {
    public var configuration: ActivationLayerConfiguration { .init(activation: activation) }
    public init(configuration: ActivationLayerConfiguration) throws {
        guard case let .elu(alpha) = configuration.activation else {
            throw ModelFileError.invalidArchitecture("an ELU layer must have an elu activation")
        }
        self.init(alpha: alpha)
    }
}

extension Sigmoid: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}

extension Tanh: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}

extension Softmax: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}

extension RandomRotation: SerializableLayer {
    public struct Configuration: Codable { var factor: Float }
    public var configuration: Configuration { Configuration(factor: factor) }
    public init(configuration: Configuration) { self.init(configuration.factor) }
}

extension RandomTranslation: SerializableLayer {
    public struct Configuration: Codable { var height, width: Float }
    public var configuration: Configuration { Configuration(height: heightFactor, width: widthFactor) }
    public init(configuration: Configuration) { self.init(height: configuration.height, width: configuration.width) }
}

extension RandomZoom: SerializableLayer {
    public struct Configuration: Codable { var heightFactor: Float; var widthFactor: Float? }
    public var configuration: Configuration { Configuration(heightFactor: heightFactor, widthFactor: widthFactor) }
    public init(configuration: Configuration) { self.init(heightFactor: configuration.heightFactor, widthFactor: configuration.widthFactor) }
}

extension RandomFlip: SerializableLayer {
    public struct Configuration: Codable { var mode: Mode }
    public var configuration: Configuration { Configuration(mode: mode) }
    public init(configuration: Configuration) { self.init(configuration.mode) }
}
