import Tensor

/// A layer whose call can return several tensors: `LSTM`, `GRU` and `SimpleRNN` with
/// `returnState` (Keras's `return_state`) return their output, then their final states;
/// `MultiHeadAttention` with `returnAttentionScores` its output, then the attention weights.
///
/// A hand-written layer's ``Layer/forward(_:context:)`` returns the first output and
/// ``extraOutputs`` holds the others of the same call; a merge layer (differentiated by the
/// tape) returns them all from ``MergeLayer/callReturningAll(_:context:)``. In a functional
/// model, ``allOutputs(_:)`` records the call and gives every output:
///
/// ```swift
/// let outputs = try LSTM(units: 64, returnState: true).allOutputs(sequence)  // [output, h, c]
/// let summary = try Concatenate()(outputs[1], outputs[2])
/// ```
public protocol MultiOutputLayer: Layer {
    /// How many tensors a call returns, at least 1.
    var outputCount: Int { get }

    /// The shapes of one sample of the outputs after the first, once built for inputs of
    /// `inputShapes` (one per input).
    func extraOutputShapes(inputShapes: [[Int]]) -> [[Int]]

    /// A hand-written layer's outputs after the first, of its last ``Layer/forward(_:context:)``.
    var extraOutputs: [Tensor] { get }

    /// Given dLoss/dOutput for each output of the last forward (nil for one that does not
    /// reach the loss: a zero gradient), stores the parameters' gradients and returns dLoss/dInput.
    /// (A requirement of ``Layer``, so that the model calls it on its layers in place.)
    mutating func backward(outputGradients: [Tensor?]) throws -> Tensor
}

extension MultiOutputLayer {
    /// Records a call of this layer on `input` in a functional model being defined and returns
    /// every output of the call, in order (Keras's `output, h, c = LSTM(64, return_state=True)(x)`).
    /// - Throws: ``LayersError`` naming the layer when it cannot take the input's shape.
    public func allOutputs(_ input: some SymbolicValue) throws -> [SymbolicTensor] {
        try recordCall(on: [input.symbolic])
    }
}

extension MultiOutputLayer where Self: MergeLayer {
    /// Records a call of this layer on `inputs` and returns every output of the call, in order.
    /// - Throws: ``LayersError`` naming the layer when the inputs' shapes do not fit.
    public func allOutputs(_ inputs: [any SymbolicValue]) throws -> [SymbolicTensor] {
        try recordCall(on: inputs.map(\.symbolic))
    }

    /// A merge layer returns every output from its call.
    public var extraOutputs: [Tensor] { [] }
}
