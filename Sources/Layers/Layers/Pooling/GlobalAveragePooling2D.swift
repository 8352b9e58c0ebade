import Tensor

/// The mean over height and width of NHWC images: `[N, H, W, C]` becomes `[N, C]`.
public struct GlobalAveragePooling2D: SerializableLayer {
    public var name = ""
    private var pooling: GlobalAveragePool2DKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])

    /// Global average pooling.
    public init() {}

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
        }
        pooling = try GlobalAveragePool2DKernel(imageShape: inputShape)
        return [inputShape[2]]
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

    // MARK: Saving

    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
