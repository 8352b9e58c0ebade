import Tensor

/// Average pooling over sequences `[steps, channels]`: the mean of each `poolSize` window
/// of steps, per channel (padded steps are left out of the mean), as Keras's `AveragePooling1D`.
///
/// ```swift
/// let model = Sequential { Input(shape: [100, 8]); Conv1D(filters: 16, kernelSize: 3); AveragePooling1D(poolSize: 2) }
/// ```
public struct AveragePooling1D: SerializableLayer {
    public var name = ""
    /// The window, strides and padding.
    public let configuration: Pooling1DConfiguration
    private var pooling: AveragePool2DKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])

    /// The window's length in steps.
    public var poolSize: Int { configuration.poolSize }
    /// The step between windows; nil means `poolSize`, as in Keras.
    public var strides: Int? { configuration.strides }
    /// `.valid` or `.same`.
    public var padding: Padding { configuration.padding }

    /// Average pooling with a window of `poolSize` steps.
    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid) {
        configuration = Pooling1DConfiguration(poolSize: poolSize, strides: strides, padding: padding)
    }

    /// Average pooling with saved hyper-parameters.
    public init(configuration: Pooling1DConfiguration) { self.configuration = configuration }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        let kernel = try configuration.makeKernel(layerType: Self.typeName, name: name, inputShape: inputShape,
                                                  AveragePool2DKernel.init)
        pooling = kernel
        return [kernel.window.outputWidth, kernel.channels]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard pooling != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        try pooling!.forward(try input.sequencesAsImages(), into: &output)
        return try output.imagesAsSequences()
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let pooling else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try pooling.backward(outputGradient: try outputGradient.sequencesAsImages(), into: &inputGradient)
        return try inputGradient.imagesAsSequences()
    }
}
