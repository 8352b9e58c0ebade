import Tensor

/// Long short-term memory over sequences `[steps, features]`, as Keras's `LSTM`: gates
/// `i, f, g, o` (sigmoid, sigmoid, tanh, sigmoid), `c = f·c₋₁ + i·g`, `h = o·tanh(c)`.
///
/// ```swift
/// // Each MNIST image as 28 rows of 28 pixels, read by an LSTM of 128 units.
/// let model = Sequential { Input(shape: [28, 28]); LSTM(units: 128); Dense(units: 10, activation: .softmax) }
/// ```
public struct LSTM: RecurrentLayer {
    public var name = ""
    public var recurrence: Recurrence

    /// An LSTM of `units` (Keras's defaults; the forget gate's bias starts at 1 with `unitForgetBias`).
    public init(
        units: Int, returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false, useBias: Bool = true,
        unitForgetBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
        recurrentInitializer: Initializer = .orthogonal(), biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        recurrence = Recurrence(
            cell: .lstm, layer: "LSTM", units: units, returnSequences: returnSequences, returnState: returnState,
            goBackwards: goBackwards,
            useBias: useBias, unitForgetBias: unitForgetBias, kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
            kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer)
    }
}

// MARK: Saving

extension LSTM: SerializableLayer {
    public var configuration: RecurrentConfiguration { recurrence.configuration }
    public init(configuration c: RecurrentConfiguration) {
        self.init(units: c.units, returnSequences: c.returnSequences, returnState: c.returnState ?? false,
                  goBackwards: c.goBackwards, useBias: c.useBias,
                  unitForgetBias: c.unitForgetBias ?? true, kernelInitializer: c.kernelInitializer,
                  recurrentInitializer: c.recurrentInitializer, biasInitializer: c.biasInitializer,
                  kernelRegularizer: c.kernelRegularizer, recurrentRegularizer: c.recurrentRegularizer,
                  biasRegularizer: c.biasRegularizer)
    }
}
