import Tensor

/// Average pooling over NHWC images: the mean of each `poolSize` window, per channel
/// (padded cells are left out of the mean, as in Keras).
public struct AveragePooling2D: Layer {
    public var name = ""
    private let options: PoolingConfiguration
    private var pooling: AveragePool2DKernel?
    private var inputShape: [Int] = []

    /// The window's height and width.
    public var poolSize: Size2D { options.poolSize }
    /// The step between windows; nil means `poolSize`, as in Keras.
    public var strides: Size2D? { options.strides }
    /// `.valid` or `.same`.
    public var padding: Padding { options.padding }

    /// Average pooling with a `poolSize` window.
    public init(poolSize: Size2D = 2, strides: Size2D? = nil, padding: Padding = .valid) {
        options = PoolingConfiguration("AveragePooling2D", poolSize: poolSize, strides: strides, padding: padding)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        let kernel = try options.makeKernel(layer: name, inputShape: inputShape, AveragePool2DKernel.init)
        pooling = kernel
        return [kernel.window.outputHeight, kernel.window.outputWidth, kernel.channels]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard let pooling else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        inputShape = input.shape
        return try pooling.forward(input)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let pooling else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        return try pooling.backward(outputGradient: outputGradient, inputShape: inputShape)
    }
}
