import Tensor

/// A model: layers called in a graph of calls, with Keras's workflow: `compile`, `summary`,
/// `fit`, `evaluate`, `predict`, `save`.
///
/// Every model is a graph (Keras's `Functional`): each call of a layer is a node of
/// ``graph`` that reads the outputs of earlier nodes (or the model's input), and one executor
/// runs the nodes in order forwards and in reverse for the gradients, summing the gradients
/// of an output read by several nodes. ``Sequential`` is the graph in which each layer reads
/// the one before it.
///
/// The model is a reference type, like a Keras model: callbacks hold it while it trains
/// and change it (stop training, restore weights, lower the learning rate). Its layers are
/// values it owns.
///
/// One `seed` makes a run repeat exactly: weight initialisation, shuffling, dropout and
/// augmentation all draw from generators derived from it (with the same thread count).
public class Model {
    /// The model's name in summaries.
    public var name: String
    /// The layers, each once, in the order of their first call. Unnamed layers are named
    /// when the model is built.
    public internal(set) var layers: [any Layer]
    /// The calls of the layers and what each reads.
    public internal(set) var graph: Graph
    /// The seed every random choice of this model derives from.
    public let seed: UInt64
    /// The shape of one sample of each input, once known (from `Input` or `build(inputShapes:)`).
    public internal(set) var inputShapes: [[Int]]?
    /// The names of the inputs (their ``Input``'s names), for summaries, errors and export.
    public internal(set) var inputNames: [String]
    /// The output shape of one sample after each node of ``graph``, once built (a
    /// ``MultiOutputLayer``'s first output).
    public internal(set) var nodeOutputShapes: [[Int]] = []
    /// The shape of one sample of every value of ``graph`` after its inputs, once built.
    var computedShapes: [[Int]] = []
    /// The optimizer given to ``compile(optimizer:loss:lossWeights:metrics:)``.
    public internal(set) var optimizer: (any Optimizer)?
    /// The loss of each output, the weight of each in the loss minimised, and the metrics of
    /// each output, as compiled.
    public internal(set) var losses: [Loss] = []
    public internal(set) var lossWeights: [Float] = []
    public internal(set) var outputMetrics: [[Metric]] = []
    /// Set to true (by a callback) to end `fit` after the current epoch.
    public var stopTraining = false
    /// The number of optimisation steps taken so far.
    public internal(set) var step = 0
    /// The number of epochs `fit` has completed (saved with the model, so that a run can be
    /// resumed with `fit(initialEpoch: model.epochsCompleted)`).
    public internal(set) var epochsCompleted = 0
    /// What the running `fit` is doing: epochs, steps per epoch. Nil outside `fit`.
    public internal(set) var trainingPlan: TrainingPlan?
    /// What callbacks added to the running hook's logs (``addToLogs(_:as:)``).
    var addedLogs: Logs = [:]

    var trainingGenerator: RandomGenerator
    /// The processes this model trains with, one shard of each batch each; nil trains alone.
    /// See ``DataParallelism``.
    public var dataParallelism: (any DataParallelism)?
    /// This process's shard of the current batch over the batch's mean shard (1 training alone).
    var shardWeight: Float = 1
    /// Every trainable weight and its gradient, one flat buffer each, for the optimizer.
    var flatWeights = Tensor([])
    var flatGradients = Tensor([])
    /// Which nodes the backward pass visits and which of them must pass a gradient back to
    /// their inputs (some node before them has trainable weights); found by ``build(inputShape:)``.
    var backwardPlan = Graph.BackwardPlan(visits: [], needsInputGradient: [])
    /// How each layer runs, found once by ``build(inputShape:)`` (not a dynamic cast per call).
    var layerKinds: [LayerKind] = []
    /// What each recorded call of a ``DifferentiableLayer`` in the last training forward pass
    /// keeps for its backward pass, by node; the backward pass removes it.
    var layerCalls: [Int: LayerCall] = [:]
    /// The copy of a shared layer each of its calls ran on in the last training forward pass,
    /// by layer and node.
    var sharedLayerCalls: [Int: [Int: any Layer]] = [:]
    /// The mask of each output in the last forward pass (a step axis's real steps, see
    /// ``MaskingLayer``), which the losses and metrics apply; empty when no layer made a mask.
    var outputMasks: [Tensor?] = []

    /// Whether the executor runs some neighbouring layers as one: a
    /// BatchNormalization applies the ReLU after it (training and inference, the same bits),
    /// and at inference a Conv2D → BatchNormalization (→ ReLU) runs as one convolution with
    /// the normalisation folded into its weights (equal to rounding, about 1e-6 relative).
    /// On by default; turn it off for inference computed layer by layer.
    public var fusesLayers = true {
        didSet { if isBuilt { planFusion() } }
    }
    /// The fusions of the built graph.
    var fusion = LayerFusion(nodes: 0)
    /// Counts the changes of the weights (training, `setWeights`), so that the convolutions
    /// folded for inference are folded again only after one.
    var weightsVersion = 0
    /// The folded convolutions by node (nil where none), and the ``weightsVersion`` they
    /// were folded at.
    var foldedConvolutions: [Conv2D?] = []
    var foldedVersion = -1

    /// A model of `layers` called as `graph` says. Without a seed, a random one is drawn.
    init(layers: [any Layer], graph: Graph, seed: UInt64?, name: String, inputNames: [String]? = nil) {
        self.layers = layers
        self.graph = graph
        self.name = name
        self.inputNames = inputNames ?? (graph.inputCount == 1 ? ["input"] : (0..<graph.inputCount).map { "input_\($0)" })
        self.seed = seed ?? UInt64.random(in: .min ... .max)
        var root = RandomGenerator(seed: self.seed)
        _ = root.split()  // the first stream is for initialisation (see build)
        trainingGenerator = root.split()
    }

    /// Whether the layers have been built (weights exist).
    public var isBuilt: Bool { !nodeOutputShapes.isEmpty }

    /// The shape of one sample of the (first) input, once known.
    public internal(set) var inputShape: [Int]? {
        get { inputShapes?.first }
        set { inputShapes = newValue.map { [$0] } }
    }

    /// The shape of one sample of each output, once built (empty before).
    public var outputShapes: [[Int]] { isBuilt ? graph.outputs.map { shape(ofValue: $0) } : [] }

    /// The shape of one sample of the (first) output, once built.
    public var outputShape: [Int]? { outputShapes.first }

    /// The names the outputs are logged under (`digit_loss`, `digit_accuracy`): the names of
    /// the layers that compute them, as in Keras.
    public var outputNames: [String] { graph.outputs.map { layers[graph.nodes[graph.node(ofValue: $0)!].layer].name } }

    /// The loss of the (first) output, as compiled.
    public var loss: Loss? { losses.first }
    /// The metrics of the (first) output, as compiled.
    public var metrics: [Metric] { outputMetrics.first ?? [] }

    /// The shape of one sample of value `value` of ``graph`` (an input or a node's output).
    func shape(ofValue value: Int) -> [Int] {
        value < graph.inputCount ? inputShapes?[value] ?? [] : computedShapes[value - graph.inputCount]
    }

    /// The output shape of one sample after each layer's first call, once built.
    public var layerOutputShapes: [[Int]] {
        guard isBuilt else { return [] }
        return layers.indices.map { layer in nodeOutputShapes[graph.nodes.firstIndex { $0.layer == layer }!] }
    }

    /// Builds every layer for samples shaped `inputShape`: checks the shapes from node to
    /// node and creates the weights. `compile` calls it when the input shape is known.
    /// - Throws: ``LayersError/inLayer(name:index:error:)`` naming the layer that cannot take its input.
    public func build(inputShape: [Int]) throws {
        try build(inputShapes: [inputShape])
    }

    /// Builds every layer for a model of several inputs, one sample of each shaped as
    /// `inputShapes` says (in the order of the model's inputs).
    /// - Throws: ``LayersError`` for a count of shapes other than the model's inputs, or
    ///   ``LayersError/inLayer(name:index:error:)`` naming the layer that cannot take its input.
    public func build(inputShapes: [[Int]]) throws {
        guard !layers.isEmpty else { throw LayersError.notReady(operation: "build", reason: "the model has no layers") }
        guard inputShapes.count == graph.inputCount else {
            throw LayersError.invalidData("the model has \(graph.inputCount) inputs (\(inputNames.joined(separator: ", "))), "
                                          + "found \(inputShapes.count) input shapes")
        }
        if isBuilt {
            guard inputShapes == self.inputShapes else {
                let built = (self.inputShapes ?? []).map(\.description).joined(separator: ", ")
                throw LayersError.invalidData(
                    "the model was built for samples of shape \(built), found \(inputShapes.map(\.description).joined(separator: ", "))")
            }
            return
        }
        assignNames()
        var root = RandomGenerator(seed: seed)
        var context = BuildContext(generator: root.split(), needsInputGradient: false)
        var shapes: [[Int]] = inputShapes
        // A layer's weights exist once it is built, so what needs an input gradient is found
        // node by node: a node must return one when something it reads depends on weights.
        var dependsOnWeights = [Bool](repeating: false, count: graph.inputCount)
        var firstCall: [Int: (inputs: [[Int]], outputs: [[Int]])] = [:]
        for node in graph.nodes {
            let needsInputGradient = node.inputs.contains { dependsOnWeights[$0] }
            // A shared layer is built by its first call for all of them: one of the others may need dX.
            // A forward-only layer may call hand-written layers inside, whose input gradients the tape needs.
            context.needsInputGradient = needsInputGradient || graph.callCounts[node.layer] > 1
                || layers[node.layer] is any DifferentiableLayer
            defer {
                let depends = needsInputGradient || layers[node.layer].parameterCount > 0
                dependsOnWeights += repeatElement(depends, count: node.outputCount)
            }
            let inputShapes = node.inputs.map { shapes[$0] }
            do {
                let outputCount = (layers[node.layer] as? any MultiOutputLayer)?.outputCount ?? 1
                guard outputCount == node.outputCount else {
                    throw LayersError.invalidGraph(
                        "\(type(of: layers[node.layer]).typeName) '\(layers[node.layer].name)' returns \(outputCount) tensors, "
                            + "the model's graph takes \(node.outputCount) from it"
                            + (graph == .chain(layers.count) ? "; a Sequential model passes one tensor from layer to layer: "
                                + "build this model with the functional API (allOutputs(_:))" : ""))
                }
                if let first = firstCall[node.layer] {
                    // A shared layer is built by its first call; the others must fit it.
                    guard first.inputs == inputShapes else {
                        throw LayersError.incompatibleInput(
                            layer: layers[node.layer].name, expected: "the shape of its first call, \(first.inputs)",
                            received: inputShapes.first ?? [], hint: "a shared layer takes one input shape")
                    }
                    shapes += first.outputs
                    continue
                }
                var outputs: [[Int]]
                if var merge = layers[node.layer] as? any MergeLayer {
                    outputs = [try merge.build(inputShapes: inputShapes, context: &context)]
                    layers[node.layer] = merge
                } else {
                    outputs = [try layers[node.layer].build(inputShape: inputShapes[0], context: &context)]
                    if inputShapes.count > 1 { try checkExtraInputs(of: layers[node.layer], inputShapes) }
                }
                if let multiple = layers[node.layer] as? any MultiOutputLayer, node.outputCount > 1 {
                    outputs += multiple.extraOutputShapes(inputShapes: inputShapes)
                }
                shapes += outputs
                firstCall[node.layer] = (inputShapes, outputs)
            } catch let error as LayersError {
                throw LayersError.inLayer(name: layers[node.layer].name, index: node.layer, error: error)
            } catch let error as TensorError {
                throw LayersError.inLayer(name: layers[node.layer].name, index: node.layer, error: .tensor(error))
            }
        }
        self.inputShapes = inputShapes
        computedShapes = Array(shapes.dropFirst(graph.inputCount))
        nodeOutputShapes = graph.nodes.indices.map { shapes[graph.value(ofNode: $0)] }
        layerKinds = layers.map { $0 is any MergeLayer ? .merge : $0 is any DifferentiableLayer ? .forwardOnly : .handWritten }
        backwardPlan = graph.backwardPlan(hasParameters: layers.map { $0.parameterCount > 0 })
        planFusion()
    }

    /// Finds the layers to fuse (none when ``fusesLayers`` is off).
    func planFusion() {
        fusion = LayerFusion(graph: graph, layers: &layers, kinds: layerKinds, enabled: fusesLayers)
        foldedConvolutions = Array(repeating: nil, count: graph.nodes.count)
        foldedVersion = -1
    }

    /// Sets the optimizer, loss and metrics, and builds the model when its input shape is
    /// known, so that a bad model is reported here rather than in `fit`. A model with several
    /// outputs uses `loss` and `metrics` for each of them.
    /// - Throws: ``LayersError`` for a bad hyper-parameter of the optimizer, a model whose
    ///   shapes do not fit together, or a loss that does not fit the output.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [Metric] = []) throws {
        let outputs = graph.outputs.count
        try compile(optimizer: optimizer, loss: Array(repeating: loss, count: outputs), lossWeights: nil,
                    metrics: Array(repeating: metrics, count: outputs))
    }

    /// Compiles a model of several outputs (Keras's `compile(loss=[...], loss_weights=[...],
    /// metrics=[[...], ...])`): a loss per output, in the order of the model's outputs; the
    /// loss minimised and logged as `loss` is `Σ lossWeights[i] · loss[i]` (weights of 1 when
    /// nil) plus regularisation; each output's own loss and metrics are logged under its
    /// name (`digit_loss`, `digit_accuracy`).
    /// - Throws: ``LayersError`` for counts that differ from the model's outputs, weights that
    ///   are not finite and >= 0, a bad hyper-parameter, or a loss that does not fit its output.
    public func compile(optimizer: any Optimizer, loss: [Loss], lossWeights: [Float]? = nil, metrics: [[Metric]] = []) throws {
        let outputs = graph.outputs.count
        guard loss.count == outputs else {
            throw LayersError.invalidData("compile: the model has \(outputs) outputs, found \(loss.count) losses; give one per output")
        }
        let weights = lossWeights ?? Array(repeating: 1, count: outputs)
        guard weights.count == outputs else {
            throw LayersError.invalidData("compile: the model has \(outputs) outputs, found \(weights.count) loss weights")
        }
        if let bad = weights.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
            throw LayersError.invalidData("compile: lossWeights[\(bad)] is \(weights[bad]); expected finite weights >= 0")
        }
        guard metrics.isEmpty || metrics.count == outputs else {
            throw LayersError.invalidData("compile: the model has \(outputs) outputs, found metrics for \(metrics.count); "
                                          + "give a list per output (an empty one for none)")
        }
        try optimizer.settings.throwIfInvalid()
        for item in loss { try item.checkHyperparameters() }
        for metric in metrics.joined() { try metric.checkHyperparameters() }
        self.optimizer = optimizer
        losses = loss
        self.lossWeights = weights
        outputMetrics = metrics.isEmpty ? Array(repeating: [], count: outputs) : metrics
        if let inputShapes { try build(inputShapes: inputShapes) }
        // Any rank has a class axis last (a class per sample, per step or per pixel), except none.
        for (item, shape) in zip(loss, outputShapes)
        where [.categoricalCrossentropy, .sparseCategoricalCrossentropy].contains(item.kind) && shape.isEmpty {
            throw LayersError.invalidData(
                "\(item.name) expects outputs with a class axis, (None, classes) or (None, ..., classes), "
                + "but the model outputs one number per sample, (None,); end the model with a Dense layer of one unit per class")
        }
    }

    /// The learning rate in force at the current step (nil before compile).
    public var learningRate: Float? { optimizer.map { $0.learningRate(atStep: step) } }

    /// Makes `rate` the learning rate in force from the current step on, as Keras's callbacks
    /// do: the optimizer's constant rate, or, when it has a schedule, the multiplier of the
    /// schedule (see ``OptimizerSettings``).
    /// - Throws: ``LayersError`` before compile, or for a rate that is not positive and finite.
    public func setLearningRate(_ rate: Float) throws {
        guard optimizer != nil else {
            throw LayersError.notReady(operation: "setLearningRate", reason: "the model is not compiled")
        }
        try optimizer!.settings.setLearningRate(rate, atStep: step)
    }

    /// Every parameter's value (trainable and not), layer by layer: Keras's `get_weights()`.
    public var weights: [Tensor] {
        layers.flatMap { $0.parameters.map(\.value) }
    }

    /// Replaces every parameter's value, in the order of ``weights``: Keras's `set_weights`.
    /// - Throws: ``LayersError/invalidData(_:)`` when the count or a shape differs.
    public func setWeights(_ values: [Tensor]) throws {
        let current = weights
        guard values.count == current.count else {
            throw LayersError.invalidData("setWeights: expected \(current.count) tensors, found \(values.count)")
        }
        for (index, (old, new)) in zip(current, values).enumerated() where old.shape != new.shape {
            throw LayersError.invalidData("setWeights: tensor \(index) must have shape \(old.shape), found \(new.shape)")
        }
        var next = 0
        for index in layers.indices {
            layers[index].forEachParameter { parameter in
                parameter.value = values[next]
                next += 1
            }
        }
        weightsVersion += 1
    }

    /// The number of scalars in all parameters, and in the trainable ones.
    public var parameterCount: (total: Int, trainable: Int) {
        let all = layers.flatMap(\.parameters)
        return (all.reduce(0) { $0 + $1.value.count }, all.filter(\.trainable).reduce(0) { $0 + $1.value.count })
    }

    /// Names unnamed layers after their type, Keras style: `conv2d`, `conv2d_1`, ...
    private func assignNames() {
        var used = Set(layers.map(\.name).filter { !$0.isEmpty })
        var counts: [String: Int] = [:]
        for index in layers.indices where layers[index].name.isEmpty {
            let base = snakeCase(type(of: layers[index]).typeName)
            var candidate: String
            repeat {
                let count = counts[base, default: 0]
                candidate = count == 0 ? base : "\(base)_\(count)"
                counts[base] = count + 1
            } while used.contains(candidate)
            used.insert(candidate)
            layers[index].name = candidate
        }
    }

    /// Gives mutable access to the layers for the training loop in this module.
    /// Unless `changingWeights` is false (inference), the weights count as changed.
    func withLayers<R>(changingWeights: Bool = true, _ body: (inout [any Layer]) throws -> R) rethrows -> R {
        if changingWeights { weightsVersion += 1 }
        return try body(&layers)
    }
}

/// How the executor runs a layer.
enum LayerKind {
    /// Its own `forward` and `backward`.
    case handWritten
    /// A ``DifferentiableLayer``: its `call` on a tape while training.
    case forwardOnly
    /// A ``MergeLayer``: its `call` on several inputs, on a tape while training.
    case merge
}

/// `MaxPooling2D` → `max_pooling2d`, `Conv2DTranspose` → `conv2d_transpose`, as Keras names
/// layers (its `to_snake_case`: an underscore before a capital that starts a word, and between
/// a lowercase letter and a capital).
func snakeCase(_ name: String) -> String {
    let characters = Array(name)
    var result = ""
    for (index, character) in characters.enumerated() {
        if character.isUppercase, index > 0 {
            let startsWord = index + 1 < characters.count && characters[index + 1].isLowercase
            if characters[index - 1].isLowercase || startsWord { result.append("_") }
        }
        result.append(Character(character.lowercased()))
    }
    return result
}

/// What a running `fit` is doing, for callbacks such as the progress bar.
public struct TrainingPlan: Sendable {
    /// The last epoch (exclusive) and the first.
    public let epochs, initialEpoch: Int
    /// Batches per epoch.
    public let stepsPerEpoch: Int
    /// Training samples and batch size.
    public let samples, batchSize: Int
}

/// Checks the further inputs of a hand-written layer's call (a recurrent layer's initial
/// states); a layer that takes one input is an error saying so.
func checkExtraInputs(of layer: any Layer, _ inputShapes: [[Int]]) throws {
    guard let multiple = layer as? any MultiInputLayer else {
        throw LayersError.incompatibleInput(
            layer: layer.name, expected: "one input", received: inputShapes.count > 1 ? inputShapes[1] : [],
            hint: "\(type(of: layer).typeName) takes one input; merge several with a merge layer (Add, Concatenate, ...)")
    }
    try multiple.checkExtraInputs(shapes: Array(inputShapes.dropFirst()), inputShape: inputShapes[0])
}
