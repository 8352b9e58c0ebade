import Tensor

/// A gated recurrent unit over sequences `[steps, features]`, as Keras's `GRU` with its
/// default `reset_after=True` (the reset gate multiplies the recurrent product, which has a
/// bias of its own: `bias` is `[2, 3·units]`): `h = z·h₋₁ + (1 − z)·h̃`.
///
/// ```swift
/// let model = Sequential { Input(shape: [50, 8]); GRU(units: 32, returnSequences: true); GRU(units: 32); Dense(units: 1) }
/// ```
public struct GRU: RecurrentLayer {
    public var name = ""
    public var recurrence: Recurrence

    /// A GRU of `units` (Keras's defaults).
    public init(
        units: Int, returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, kernelRegularizer: Regularizer? = nil,
        recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        recurrence = Recurrence(
            cell: .gru, layer: "GRU", units: units, returnSequences: returnSequences, returnState: returnState,
            goBackwards: goBackwards,
            useBias: useBias, kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
            biasInitializer: biasInitializer, kernelRegularizer: kernelRegularizer,
            recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer)
    }
}

// MARK: Saving

extension GRU: SerializableLayer {
    public var configuration: RecurrentConfiguration { recurrence.configuration }
    public init(configuration c: RecurrentConfiguration) {
        self.init(units: c.units, returnSequences: c.returnSequences, returnState: c.returnState ?? false,
                  goBackwards: c.goBackwards, useBias: c.useBias,
                  kernelInitializer: c.kernelInitializer, recurrentInitializer: c.recurrentInitializer,
                  biasInitializer: c.biasInitializer, kernelRegularizer: c.kernelRegularizer,
                  recurrentRegularizer: c.recurrentRegularizer, biasRegularizer: c.biasRegularizer)
    }
}
