import Tensor

/// Runs a recurrent layer over the sequence in both directions and merges the two outputs,
/// as Keras's `Bidirectional`: the copy that reads backwards has weights of its own, and
/// with `returnSequences` its outputs are put back in the order of the input steps before
/// the merge, so that step `t` of the output has seen the whole sequence. When the layer has
/// `returnState`, a call returns the merged output, then the forward layer's final states,
/// then the backward layer's (Keras's `[output, forward_h, forward_c, backward_h, backward_c]`).
///
/// ```swift
/// // Each MNIST image as 28 rows, read both ways: [28, 28] → [28, 128] → [128].
/// let model = Sequential {
///     Input(shape: [28, 28])
///     Bidirectional(LSTM(units: 64, returnSequences: true))
///     Bidirectional(LSTM(units: 64))
///     Dense(units: 10, activation: .softmax)
/// }
/// ```
public struct Bidirectional: MaskingLayer, MultiOutputLayer {
    /// How the two directions' outputs are combined.
    public enum MergeMode: String, Codable, Sendable {
        /// Side by side on the last axis (Keras's default): `2 · units` features.
        case concat
        /// `forward + backward`.
        case sum
        /// `(forward + backward) / 2`.
        case average = "ave"
        /// `forward · backward`.
        case multiply = "mul"
    }

    public var name = ""
    public let mergeMode: MergeMode
    /// The layer reading the sequence as given (its parameters are listed as `forward/...`).
    public var forwardLayer: any RecurrentLayer
    /// Its copy reading the other way (`backward/...`).
    public var backwardLayer: any RecurrentLayer

    private var outputs: (forward: Tensor, backward: Tensor) = (Tensor([]), Tensor([]))
    /// The last forward's mask, `[batch, steps, 1]`, when its sequences were zeroed at masked steps.
    private var sequenceMask: Tensor?

    /// `layer` and a copy of it reading the other way, merged by `mergeMode`.
    public init(_ layer: some RecurrentLayer, mergeMode: MergeMode = .concat) {
        self.mergeMode = mergeMode
        forwardLayer = layer
        backwardLayer = layer.reversed()
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        do {
            let shape = try forwardLayer.build(inputShape: inputShape, context: &context)
            _ = try backwardLayer.build(inputShape: inputShape, context: &context)
            return mergeMode == .concat ? shape.dropLast() + [2 * shape.last!] : shape
        } catch let LayersError.invalidArgument(layer, argument, value, reason) {
            throw LayersError.invalidArgument(layer: "Bidirectional(\(layer))", argument: argument, value: value, reason: reason)
        }
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let forward = try forwardLayer.forward(input, context: &context)
        var backward = try backwardLayer.forward(input, context: &context)
        if forwardLayer.returnSequences { backward = try wrappingTensorErrors { try backward.reversed(alongAxis: 1) } }
        outputs = (forward, backward)
        return try wrappingTensorErrors {
            let merged: Tensor = switch mergeMode {
            case .concat: try Tensor.concatenate([forward, backward], alongAxis: -1)
            case .sum: try forward + backward
            case .average: try (forward + backward) * 0.5
            case .multiply: try forward * backward
            }
            // As Keras, a bidirectional layer's sequences are zero at masked steps.
            sequenceMask = try forwardLayer.returnSequences ? context.inputMask.map { try $0.reshaped($0.shape + [1]) } : nil
            return try sequenceMask.map { try Tensor.broadcasting(merged, $0, *) } ?? merged
        }
    }

    /// 1, or with the layer's `returnState` the output and both layers' final states.
    public var outputCount: Int { 1 + 2 * (forwardLayer.outputCount - 1) }

    public func extraOutputShapes(inputShapes: [[Int]]) -> [[Int]] {
        forwardLayer.extraOutputShapes(inputShapes: inputShapes) + backwardLayer.extraOutputShapes(inputShapes: inputShapes)
    }

    /// The forward layer's final states, then the backward layer's.
    public var extraOutputs: [Tensor] { forwardLayer.extraOutputs + backwardLayer.extraOutputs }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try backward(outputGradients: [outputGradient] + Array(repeating: nil, count: outputCount - 1))
    }

    /// The merged output's gradient (nil: zero), then those of the forward layer's states and
    /// the backward layer's.
    public mutating func backward(outputGradients: [Tensor?]) throws -> Tensor {
        guard outputGradients.count == outputCount else {
            throw LayersError.invalidGradient(
                operation: "Bidirectional backward",
                reason: "expected \(outputCount) output gradients (the output and the final states), found \(outputGradients.count)")
        }
        var (forwardGradient, backwardGradient): (Tensor?, Tensor?) = (nil, nil)
        if let outputGradient = outputGradients[0] {
            let masked = try wrappingTensorErrors { try sequenceMask.map { try Tensor.broadcasting(outputGradient, $0, *) } }
                ?? outputGradient
            let (forwardPart, backwardInOrder) = try wrappingTensorErrors { () throws -> (Tensor, Tensor) in
                switch mergeMode {
                case .concat:
                    let halves = try masked.split(sizes: [forwardLayer.units, forwardLayer.units], alongAxis: -1)
                    return (halves[0], halves[1])
                case .sum: return (masked, masked)
                case .average: return (masked * 0.5, masked * 0.5)
                case .multiply: return (try masked * outputs.backward, try masked * outputs.forward)
                }
            }
            forwardGradient = forwardPart
            backwardGradient = forwardLayer.returnSequences
                ? try wrappingTensorErrors { try backwardInOrder.reversed(alongAxis: 1) } : backwardInOrder
        }
        let states = forwardLayer.outputCount - 1
        let fromForward: Tensor, fromBackward: Tensor
        if states > 0 {
            fromForward = try forwardLayer.backward(outputGradients: [forwardGradient] + outputGradients[1...states])
            fromBackward = try backwardLayer.backward(outputGradients: [backwardGradient] + outputGradients[(states + 1)...])
        } else {
            guard let forwardGradient, let backwardGradient else {
                throw LayersError.invalidGradient(operation: "Bidirectional backward", reason: "expected the output's gradient")
            }
            fromForward = try forwardLayer.backward(forwardGradient)
            fromBackward = try backwardLayer.backward(backwardGradient)
        }
        // A first layer computes no input gradient: both are empty.
        guard fromForward.count > 0 else { return fromForward }
        return try wrappingTensorErrors { try fromForward + fromBackward }
    }

    /// The input's mask for sequences; none for the last states.
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? {
        forwardLayer.returnSequences ? inputMasks.first ?? nil : nil
    }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try forwardLayer.forEachParameter(prefixedWith: "forward", body)
        try backwardLayer.forEachParameter(prefixedWith: "backward", body)
    }
}

// MARK: Saving

extension Bidirectional: SerializableLayer {
    public struct Configuration: Codable {
        /// The wrapped layer's type name and configuration.
        var layer: String
        var layerConfiguration: JSONValue
        var mergeMode: MergeMode
    }

    public var configuration: Configuration {
        Configuration(layer: type(of: forwardLayer).typeName,
                      layerConfiguration: (try? configurationJSON(of: forwardLayer)) ?? .null, mergeMode: mergeMode)
    }

    public init(configuration c: Configuration) throws {
        let layer = try LayerRegistry.makeLayer(typeName: c.layer, configuration: c.layerConfiguration)
        guard let recurrent = layer as? any RecurrentLayer else {
            throw ModelFileError.invalidArchitecture("Bidirectional wraps a recurrent layer, found \(c.layer)")
        }
        self.init(recurrent, mergeMode: c.mergeMode)
    }
}
