import Tensor

/// The mean over the steps of sequences: `[N, steps, features]` becomes `[N, features]`, as
/// Keras's `GlobalAveragePooling1D` (a transformer's or a 1-D convolution's head). With a mask
/// (an `Embedding(maskZero: true)` before it), the mean of the unmasked steps.
///
/// ```swift
/// let model = Sequential { Input(shape: [20, 8]); Dense(units: 16, activation: .relu); GlobalAveragePooling1D(); Dense(units: 1) }
/// ```
public struct GlobalAveragePooling1D: SerializableLayer, MaskingLayer {
    public var name = ""
    private var steps = 0
    /// The last forward's weights per step, `[N, steps, 1]`: the mask over its count; nil without a mask.
    private var stepWeights: Tensor?

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
        return try wrappingTensorErrors {
            guard let mask = context.inputMask else {
                stepWeights = nil
                return try input.mean(alongAxis: 1)
            }
            // Each unmasked step weighs 1 / (the sample's unmasked steps); a sample with none gives zeros.
            let counts = try mask.sum(alongAxis: 1).map { Swift.max($0, 1) }.reshaped([input.shape[0], 1])
            let weights = try Tensor.broadcasting(mask, counts, /).reshaped([input.shape[0], steps, 1])
            stepWeights = weights
            return try Tensor.broadcasting(input, weights, *).sum(alongAxis: 1)
        }
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        // Each step gets 1/steps of its feature's gradient.
        let (batch, features) = (outputGradient.shape[0], outputGradient.shape[1])
        return try wrappingTensorErrors {
            if let stepWeights {
                return try Tensor.broadcasting(outputGradient.reshaped([batch, 1, features]), stepWeights, *)
            }
            return try (outputGradient * (1 / Float(steps))).reshaped([batch, 1, features]).broadcast(to: [batch, steps, features])
        }
    }

    /// The steps are pooled away: no mask after.
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? { nil }

    // MARK: Saving

    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
