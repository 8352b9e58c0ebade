import Tensor

/// Max pooling over NHWC images: the largest value of each `poolSize` window, per channel.
public struct MaxPooling2D: SerializableLayer {
    public var name = ""
    /// The window, strides and padding.
    public let configuration: PoolingConfiguration
    private var pooling: MaxPool2DKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])

    /// The window's height and width.
    public var poolSize: Size2D { configuration.poolSize }
    /// The step between windows; nil means `poolSize`, as in Keras.
    public var strides: Size2D? { configuration.strides }
    /// `.valid` or `.same`.
    public var padding: Padding { configuration.padding }

    /// Max pooling with a `poolSize` window.
    public init(poolSize: Size2D = 2, strides: Size2D? = nil, padding: Padding = .valid) {
        configuration = PoolingConfiguration(poolSize: poolSize, strides: strides, padding: padding)
    }

    /// Max pooling with saved hyper-parameters.
    public init(configuration: PoolingConfiguration) { self.configuration = configuration }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        let kernel = try configuration.makeKernel(layerType: Self.typeName, name: name, inputShape: inputShape,
                                                  MaxPool2DKernel.init)
        pooling = kernel
        return [kernel.window.outputHeight, kernel.window.outputWidth, kernel.channels]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard pooling != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        try pooling!.forward(input, keepingPositions: context.training, into: &output)
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let pooling else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try pooling.backward(outputGradient: outputGradient, into: &inputGradient)
        return inputGradient
    }
}
