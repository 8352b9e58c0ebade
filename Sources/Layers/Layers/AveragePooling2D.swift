import Tensor

/// Average pooling over NHWC images: the mean of each `poolSize` window, per channel
/// (padded cells are left out of the mean, as in Keras).
public struct AveragePooling2D: Layer {
    public var name = ""
    /// The window's height and width.
    public let poolSize: Size2D
    /// The step between windows; nil means `poolSize`, as in Keras.
    public let strides: Size2D?
    /// `.valid` or `.same`.
    public let padding: Padding

    private var check = HyperparameterCheck("AveragePooling2D")
    private var pooling: AveragePool2DKernel?
    private var inputShape: [Int] = []

    /// Average pooling with a `poolSize` window.
    public init(poolSize: Size2D = 2, strides: Size2D? = nil, padding: Padding = .valid) {
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
        check.require(poolSize.isPositive, "poolSize", poolSize, "expected positive sizes")
        check.require(strides?.isPositive ?? true, "strides", strides.map(\.description) ?? "nil", "expected positive strides")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        pooling = try buildPoolingWindow(name, inputShape, poolSize, padding) {
            try AveragePool2DKernel(inputShape: inputShape, poolSize: (poolSize.height, poolSize.width),
                                    strides: strides.map { ($0.height, $0.width) }, padding: padding)
        }
        return [pooling!.window.outputHeight, pooling!.window.outputWidth, inputShape[2]]
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
