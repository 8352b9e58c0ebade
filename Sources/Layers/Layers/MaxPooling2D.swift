import Tensor

/// Max pooling over NHWC images: the largest value of each `poolSize` window, per channel.
public struct MaxPooling2D: Layer {
    public var name = ""
    private let options: PoolingConfiguration
    private var pooling: MaxPool2DKernel?

    /// The window's height and width.
    public var poolSize: Size2D { options.poolSize }
    /// The step between windows; nil means `poolSize`, as in Keras.
    public var strides: Size2D? { options.strides }
    /// `.valid` or `.same`.
    public var padding: Padding { options.padding }

    /// Max pooling with a `poolSize` window.
    public init(poolSize: Size2D = 2, strides: Size2D? = nil, padding: Padding = .valid) {
        options = PoolingConfiguration("MaxPooling2D", poolSize: poolSize, strides: strides, padding: padding)
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        let kernel = try options.makeKernel(layer: name, inputShape: inputShape, MaxPool2DKernel.init)
        pooling = kernel
        return [kernel.window.outputHeight, kernel.window.outputWidth, kernel.channels]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard pooling != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        return try pooling!.forward(input)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let pooling else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        return try pooling.backward(outputGradient: outputGradient)
    }
}
