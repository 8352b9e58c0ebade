import Tensor

/// The maximum over height and width of NHWC images: `[N, H, W, C]` becomes `[N, C]`, as
/// Keras's `GlobalMaxPooling2D` (the gradient goes to the pixel that held each maximum).
///
/// ```swift
/// let model = Sequential { Input(shape: [28, 28, 1]); Conv2D(filters: 16, kernelSize: 3); GlobalMaxPooling2D(); Dense(units: 10) }
/// ```
public struct GlobalMaxPooling2D: SerializableLayer {
    public var name = ""
    private var pooling = MaximumOverPositions()

    /// Global max pooling over height and width.
    public init() {}

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        guard inputShape.count == 3, inputShape[0] > 0, inputShape[1] > 0 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
        }
        return [inputShape[2]]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try pooling.forward(input)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try pooling.backward(outputGradient)
    }

    // MARK: Saving

    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
