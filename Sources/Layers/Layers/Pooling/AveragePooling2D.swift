import Tensor

/// Average pooling over NHWC images: the mean of each `poolSize` window, per channel
/// (padded cells are left out of the mean, as in Keras).
public struct AveragePooling2D: SerializableLayer {
    public var name = ""
    /// The window, strides and padding.
    public let configuration: PoolingConfiguration
    private var pooling: AveragePool2DKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])

    /// The window's height and width.
    public var poolSize: Size2D { configuration.poolSize }
    /// The step between windows; nil means `poolSize`, as in Keras.
    public var strides: Size2D? { configuration.strides }
    /// `.valid` or `.same`.
    public var padding: Padding { configuration.padding }

    /// Average pooling with a `poolSize` window.
    public init(poolSize: Size2D = 2, strides: Size2D? = nil, padding: Padding = .valid) {
        configuration = PoolingConfiguration(poolSize: poolSize, strides: strides, padding: padding)
    }

    /// Average pooling with saved hyper-parameters.
    public init(configuration: PoolingConfiguration) { self.configuration = configuration }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        let kernel = try configuration.makeKernel(layerType: Self.typeName, name: name, inputShape: inputShape,
                                                  AveragePool2DKernel.init)
        pooling = kernel
        return [kernel.window.outputHeight, kernel.window.outputWidth, kernel.channels]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard pooling != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        try pooling!.forward(input, into: &output)
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let pooling else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try pooling.backward(outputGradient: outputGradient, into: &inputGradient)
        return inputGradient
    }
}
