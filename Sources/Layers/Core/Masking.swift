import Tensor

/// A layer that knows which steps of its output are padding (Keras's `compute_mask`): a mask
/// is `[batch, steps]`, 1 for a step to use and 0 for padding. An `Embedding(maskZero: true)`
/// makes one; the layers after it pass it on (``PassesMask``) to the layers that use it, which
/// read it from ``ForwardContext/inputMask``: the recurrent layers skip masked steps,
/// `MultiHeadAttention` does not attend to them, the 1-D global poolings leave them out. A
/// layer that is not a `MaskingLayer` ends the mask, as a Keras layer without masking support.
public protocol MaskingLayer: Layer {
    /// The mask of this call's output, from its inputs and their masks (nil for none).
    func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor?
}

/// A layer whose output has its input's steps, so the mask passes through unchanged (the
/// steps every input keeps, for a merge): `Dense`, `Dropout`, the activations, the normalisations.
public protocol PassesMask: MaskingLayer {}

extension PassesMask {
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? {
        try combinedMask(inputMasks)
    }
}

/// The steps every mask keeps (a missing mask keeps every step); nil when there is none.
func combinedMask(_ masks: [Tensor?]) throws -> Tensor? {
    let present = masks.compactMap { $0 }
    guard var combined = present.first else { return nil }
    for mask in present.dropFirst() { combined = try wrappingTensorErrors { try Tensor.broadcasting(combined, mask, min) } }
    return combined
}

extension Dense: PassesMask {}
extension Dropout: PassesMask {}
extension Activation: PassesMask {}
extension ReLU: PassesMask {}
extension LeakyReLU: PassesMask {}
extension ELU: PassesMask {}
extension Sigmoid: PassesMask {}
extension Tanh: PassesMask {}
extension Softmax: PassesMask {}
extension LayerNormalization: PassesMask {}
extension BatchNormalization: PassesMask {}
extension PositionEmbedding: PassesMask {}
extension Add: PassesMask {}
extension Subtract: PassesMask {}
extension Multiply: PassesMask {}
extension Average: PassesMask {}
extension Maximum: PassesMask {}
extension Minimum: PassesMask {}
