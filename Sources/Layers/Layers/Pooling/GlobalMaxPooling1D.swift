import Tensor

/// The maximum over the steps of sequences: `[N, steps, features]` becomes `[N, features]`, as
/// Keras's `GlobalMaxPooling1D`. The gradient goes to the step that held each maximum (shared
/// equally between tied steps, as TensorFlow's `reduce_max`). With a mask, the maximum of the
/// unmasked steps (zeros for a sample with none).
///
/// ```swift
/// let model = Sequential { Input(shape: [20, 8]); Dense(units: 16, activation: .relu); GlobalMaxPooling1D(); Dense(units: 1) }
/// ```
public struct GlobalMaxPooling1D: SerializableLayer, MaskingLayer {
    public var name = ""
    private var pooling = MaximumOverPositions()

    /// Global max pooling over steps.
    public init() {}

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] > 0 else {
            throw incompatibleInput(name, expected: "(None, steps, features)", received: inputShape)
        }
        return [inputShape[1]]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try pooling.forward(input, mask: context.inputMask)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try pooling.backward(outputGradient)
    }

    /// The steps are pooled away: no mask after.
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? { nil }

    // MARK: Saving

    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}

/// The maximum of each feature over the positions of `[N, positions..., features]` (steps, or
/// an image's pixels) and its gradient: what the global max pooling layers share.
struct MaximumOverPositions {
    private var input = Tensor([])
    private var inputShape: [Int] = []
    private var maxima = Tensor([])

    /// `[N, features]`, the maximum over every axis between the first and the last; with a
    /// `[N, positions]` mask, over the unmasked positions (0 where a sample has none).
    mutating func forward(_ x: Tensor, mask: Tensor? = nil) throws -> Tensor {
        try wrappingTensorErrors {
            inputShape = x.shape
            input = try x.reshaped([x.shape[0], -1, x.shape[x.rank - 1]])
            if let mask {
                // Masked positions become −∞, so they never hold a maximum.
                let hidden = try mask.map { $0 == 0 ? -Float.infinity : 0 }.reshaped([x.shape[0], input.shape[1], 1])
                input = try Tensor.broadcasting(input, hidden, +)
            }
            maxima = try input.max(alongAxis: 1)
            if mask != nil { maxima.mapInPlace { $0 == -.infinity ? 0 : $0 } }
            return maxima
        }
    }

    /// dLoss/dInput: each maximum's gradient at the positions that held it, divided among ties.
    func backward(_ outputGradient: Tensor) throws -> Tensor {
        try wrappingTensorErrors {
            let (batch, features) = (maxima.shape[0], maxima.shape[1])
            let atMaximum = try Tensor.broadcasting(input, try maxima.reshaped([batch, 1, features])) { $0 == $1 ? 1 : 0 }
            // A sample whose positions are all masked has no maximum: its count is taken as 1, its share is 0.
            let ties = try atMaximum.sum(alongAxis: 1).map { Swift.max($0, 1) }
            let share = try (outputGradient / ties).reshaped([batch, 1, features])
            return try Tensor.broadcasting(atMaximum, share, *).reshaped(inputShape)
        }
    }
}
