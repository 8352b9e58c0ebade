import Tensor

/// The plain recurrent layer over sequences `[steps, features]`, as Keras's `SimpleRNN`:
/// `h = tanh(x·W + h₋₁·U + b)`.
///
/// ```swift
/// let model = Sequential { Input(shape: [10, 4]); SimpleRNN(units: 16); Dense(units: 1) }
/// ```
public struct SimpleRNN: RecurrentLayer {
    public var name = ""
    public var recurrence: Recurrence

    /// A recurrent layer of `units` (Keras's defaults).
    public init(
        units: Int, returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, kernelRegularizer: Regularizer? = nil,
        recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        recurrence = Recurrence(
            cell: .simple, layer: "SimpleRNN", units: units, returnSequences: returnSequences, returnState: returnState,
            goBackwards: goBackwards,
            useBias: useBias, kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
            biasInitializer: biasInitializer, kernelRegularizer: kernelRegularizer,
            recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer)
    }
}

// MARK: Saving

extension SimpleRNN: SerializableLayer {
    public var configuration: RecurrentConfiguration { recurrence.configuration }
    public init(configuration c: RecurrentConfiguration) {
        self.init(units: c.units, returnSequences: c.returnSequences, returnState: c.returnState ?? false,
                  goBackwards: c.goBackwards, useBias: c.useBias,
                  kernelInitializer: c.kernelInitializer, recurrentInitializer: c.recurrentInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer,
                  recurrentRegularizer: c.recurrentRegularizer, biasRegularizer: c.biasRegularizer)
    }
}
