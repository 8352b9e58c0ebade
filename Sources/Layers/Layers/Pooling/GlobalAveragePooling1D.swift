import Tensor

/// The mean over the steps of sequences: `[N, steps, features]` becomes `[N, features]`, as
/// Keras's `GlobalAveragePooling1D` (a transformer's or a 1-D convolution's head).
///
/// ```swift
/// let model = Sequential { Input(shape: [20, 8]); Dense(units: 16, activation: .relu); GlobalAveragePooling1D(); Dense(units: 1) }
/// ```
public struct GlobalAveragePooling1D: SerializableLayer {
    public var name = ""
    private var steps = 0

    /// Global average pooling over steps.
    public init() {}

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] > 0 else {
            throw incompatibleInput(name, expected: "(None, steps, features)", received: inputShape)
        }
        return [inputShape[1]]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        steps = input.shape[1]
        return try wrappingTensorErrors { try input.mean(alongAxis: 1) }
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        // Each step gets 1/steps of its feature's gradient.
        let (batch, features) = (outputGradient.shape[0], outputGradient.shape[1])
        return try wrappingTensorErrors {
            try (outputGradient * (1 / Float(steps))).reshaped([batch, 1, features]).broadcast(to: [batch, steps, features])
        }
    }

    // MARK: Saving

    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
