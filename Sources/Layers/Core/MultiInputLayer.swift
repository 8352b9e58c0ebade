import Tensor

/// A hand-written layer that a call may give further inputs after its first: `LSTM`, `GRU`
/// and `SimpleRNN` take their initial states (Keras's `initial_state`).
///
/// The model passes the further inputs of a call in ``ForwardContext/extraInputs`` and, after
/// ``Layer/backward(_:)``, reads their gradients from ``extraInputGradients``.
///
/// ```swift
/// let encoded = try LSTM(units: 32, returnState: true).allOutputs(source)          // [output, h, c]
/// let decoded = try LSTM(units: 32, returnSequences: true)(target, initialState: [encoded[1], encoded[2]])
/// ```
public protocol MultiInputLayer: Layer {
    /// Checks the sample shapes of the further inputs of a call whose first input is
    /// `inputShape` (after the layer is built for it).
    /// - Throws: ``LayersError`` naming what was expected.
    func checkExtraInputs(shapes: [[Int]], inputShape: [Int]) throws

    /// dLoss/dInput for each further input of the last call, after its backward.
    var extraInputGradients: [Tensor] { get }
}
