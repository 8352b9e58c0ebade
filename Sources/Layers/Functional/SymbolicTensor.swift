import Tensor

/// A value of a model being defined (Keras's `KerasTensor`): the output of an ``Input`` or of
/// a layer called on symbolic tensors, with the shape of one sample. Calling a layer on it
/// records the call; `Model(inputs:outputs:)` turns the calls into a graph.
///
/// ```swift
/// let input = Input(shape: [28, 28, 1])
/// let x = try Conv2D(filters: 8, kernelSize: 3, padding: .same, activation: .relu)(input)
/// let y = try Add()(x, try Conv2D(filters: 8, kernelSize: 3, padding: .same)(x))
/// ```
public struct SymbolicTensor: CustomStringConvertible {
    /// The shape of one sample (without the batch axis).
    public let shape: [Int]
    /// The call that computes it, or the input it is.
    let source: SymbolicCall
    /// Which of the call's outputs it is (0 but for a ``MultiOutputLayer``'s further outputs).
    let outputIndex: Int

    init(shape: [Int], source: SymbolicCall, outputIndex: Int = 0) {
        self.shape = shape
        self.source = source
        self.outputIndex = outputIndex
    }

    /// `SymbolicTensor(shape: [28, 28, 1])` in summaries and errors.
    public var description: String { "SymbolicTensor(shape: \(shape), from: \(source.label))" }
}

/// Where a symbolic tensor comes from: one call of a layer on symbolic tensors, or a model
/// input. A class, so that a call read by several later calls is one call; the calls of one
/// input are told apart by the input's identity.
final class SymbolicCall {
    /// The layer as it was called (unbuilt), and its identity when it has weights (copies of
    /// one layer value share it: calling them again shares the weights).
    let layer: any Layer
    let layerIdentity: Identity?
    let inputs: [SymbolicTensor]
    /// How many tensors the call returns.
    let outputCount: Int
    /// For a model input: the ``Input`` it is.
    let input: Input?

    init(layer: any Layer, inputs: [SymbolicTensor], outputCount: Int = 1) {
        self.layer = layer
        layerIdentity = layer.parameters.first?.identity
        self.inputs = inputs
        self.outputCount = outputCount
        input = nil
    }

    init(input: Input) {
        layer = input
        layerIdentity = nil
        inputs = []
        outputCount = 1
        self.input = input
    }

    var label: String {
        let name = layer.name.isEmpty ? snakeCase(type(of: layer).typeName) : layer.name
        return input != nil ? "input '\(name)'" : "\(type(of: layer).typeName) '\(name)'"
    }
}

/// What a layer can be called on in a functional model: a ``SymbolicTensor`` or an ``Input``.
public protocol SymbolicValue {
    /// The value as a symbolic tensor.
    var symbolic: SymbolicTensor { get }
}

extension SymbolicTensor: SymbolicValue {
    public var symbolic: SymbolicTensor { self }
}

extension Input: SymbolicValue {
    /// This input as the symbolic tensor layers are called on; every copy is the same input.
    public var symbolic: SymbolicTensor { SymbolicTensor(shape: shape, source: SymbolicCall(input: self)) }
}
