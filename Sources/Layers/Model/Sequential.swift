import Tensor

/// A stack of layers, each feeding the next, with Keras's workflow: `compile`, `summary`,
/// `fit`, `evaluate`, `predict`.
///
/// ```swift
/// let model = Sequential(seed: 42) {
///     Input(shape: [28, 28, 1])
///     Conv2D(filters: 32, kernelSize: 3, activation: .relu)
///     MaxPooling2D(poolSize: 2)
///     Flatten()
///     Dense(units: 10, activation: .softmax)
/// }
/// try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
/// ```
///
/// The model is a reference type, like a Keras model: callbacks hold it while it trains
/// and change it (stop training, restore weights, lower the learning rate). Its layers are
/// values it owns.
///
/// One `seed` makes a run repeat exactly: weight initialisation, shuffling, dropout and
/// augmentation all draw from generators derived from it (with the same thread count).
public final class Sequential {
    /// The model's name in summaries.
    public var name = "sequential"
    /// The layers, in order. Unnamed layers are named when the model is built.
    public private(set) var layers: [any Layer]
    /// The seed every random choice of this model derives from.
    public let seed: UInt64
    /// The shape of one input sample, once known (from `Input` or `build(inputShape:)`).
    public private(set) var inputShape: [Int]?
    /// The output shape of one sample after each layer, once built.
    public private(set) var layerOutputShapes: [[Int]] = []
    /// The optimizer, loss and metrics given to ``compile(optimizer:loss:metrics:)``.
    public internal(set) var optimizer: (any Optimizer)?
    public private(set) var loss: Loss?
    public private(set) var metrics: [Metric] = []
    /// Set to true (by a callback) to end `fit` after the current epoch.
    public var stopTraining = false
    /// The number of optimisation steps taken so far.
    public internal(set) var step = 0
    /// The number of epochs `fit` has completed (saved with the model, so that a run can be
    /// resumed with `fit(initialEpoch: model.epochsCompleted)`).
    public internal(set) var epochsCompleted = 0
    /// What the running `fit` is doing: epochs, steps per epoch. Nil outside `fit`.
    public internal(set) var trainingPlan: TrainingPlan?

    var trainingGenerator: RandomGenerator
    /// The processes this model trains with, one shard of each batch each; nil trains alone.
    /// See ``DataParallelism``.
    public var dataParallelism: (any DataParallelism)?
    /// This process's shard of the current batch over the batch's mean shard (1 training alone).
    var shardWeight: Float = 1
    /// Every trainable weight and its gradient, one flat buffer each, for the optimizer.
    var flatWeights = Tensor([])
    var flatGradients = Tensor([])
    /// Index of the first layer with parameters: backward passes stop there.
    var firstLayerWithParameters = 0
    /// What each recorded call of a ``DifferentiableLayer`` in the last training forward pass
    /// keeps for its backward pass, by layer index; the backward pass removes it.
    var layerCalls: [Int: LayerCall] = [:]

    /// A model from a list of layers built with ``LayerBuilder``. Without a seed, a random one is drawn.
    public convenience init(seed: UInt64? = nil, name: String = "sequential", @LayerBuilder _ layers: () -> [any Layer]) {
        self.init(layers(), seed: seed, name: name)
    }

    /// A model from an array of layers. Without a seed, a random one is drawn.
    public init(_ layers: [any Layer], seed: UInt64? = nil, name: String = "sequential") {
        self.layers = layers
        self.name = name
        self.seed = seed ?? UInt64.random(in: .min ... .max)
        var root = RandomGenerator(seed: self.seed)
        _ = root.split()  // the first stream is for initialisation (see build)
        trainingGenerator = root.split()
        if let input = layers.first as? Input { inputShape = input.shape }
    }

    /// Whether the layers have been built (weights exist).
    public var isBuilt: Bool { !layerOutputShapes.isEmpty }

    /// The shape of one output sample, once built.
    public var outputShape: [Int]? { layerOutputShapes.last }

    /// Appends a layer. - Throws: ``LayersError/notReady(operation:reason:)`` once the model is built.
    public func add(_ layer: any Layer) throws {
        guard !isBuilt else {
            throw LayersError.notReady(operation: "add", reason: "the model is already built; add layers before compile or fit")
        }
        if layers.isEmpty, let input = layer as? Input { inputShape = input.shape }
        layers.append(layer)
    }

    /// Builds every layer for samples shaped `inputShape`: checks the shapes from layer to
    /// layer and creates the weights. `compile` calls it when the model starts with `Input`.
    /// - Throws: ``LayersError/inLayer(name:index:error:)`` naming the layer that cannot take its input.
    public func build(inputShape: [Int]) throws {
        guard !layers.isEmpty else { throw LayersError.notReady(operation: "build", reason: "the model has no layers") }
        if isBuilt {
            guard inputShape == self.inputShape else {
                throw LayersError.invalidData("the model was built for samples of shape \(self.inputShape ?? []), found \(inputShape)")
            }
            return
        }
        assignNames()
        var root = RandomGenerator(seed: seed)
        var context = BuildContext(generator: root.split(), needsInputGradient: false)
        var shape = inputShape
        var shapes: [[Int]] = []
        var firstWithParameters: Int?
        for index in layers.indices {
            context.needsInputGradient = firstWithParameters != nil
            do {
                shape = try layers[index].build(inputShape: shape, context: &context)
            } catch let error as LayersError {
                throw LayersError.inLayer(name: layers[index].name, index: index, error: error)
            } catch let error as TensorError {
                throw LayersError.inLayer(name: layers[index].name, index: index, error: .tensor(error))
            }
            shapes.append(shape)
            if firstWithParameters == nil, layers[index].parameterCount > 0 { firstWithParameters = index }
        }
        self.inputShape = inputShape
        layerOutputShapes = shapes
        firstLayerWithParameters = firstWithParameters ?? layers.count
    }

    /// Sets the optimizer, loss and metrics, and builds the model when its input shape is
    /// known, so that a bad model is reported here rather than in `fit`.
    /// - Throws: ``LayersError`` for a model whose shapes do not fit together, or a loss that
    ///   does not fit the output.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [Metric] = []) throws {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        if let inputShape { try build(inputShape: inputShape) }
        if let outputShape, loss.kind != .meanSquaredError, loss.kind != .binaryCrossentropy, outputShape.count != 1 {
            throw LayersError.invalidData(
                "\(loss.name) expects outputs of shape (None, classes), but the model outputs (None, "
                + outputShape.map(String.init).joined(separator: ", ") + "); add Flatten() and a Dense layer at the end")
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
    func withLayers<R>(_ body: (inout [any Layer]) throws -> R) rethrows -> R { try body(&layers) }
}

/// `MaxPooling2D` → `max_pooling2d`, as Keras names layers.
func snakeCase(_ name: String) -> String {
    var result = ""
    var previous: Character?
    for character in name {
        if character.isUppercase, let previous, previous.isLowercase { result.append("_") }
        result.append(Character(character.lowercased()))
        previous = character
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
