// A model in SwiftLayers, measured exactly as Peers/keras_peer.py and torch_peer.py measure
// their frameworks: p50 of 40 training steps, of predictions on one batch of 128 and of
// predictions of one image, after 5 warm-up runs; and, when MNIST_DIR is set, the second
// epoch of a two-epoch fit on MNIST (validationSplit 0.1): a steady-state epoch, without
// Keras's graph tracing or any first-use costs.
// Usage: PeerComparison [reference|augmented|batchnorm|resnet|lstm|vit] [layers]; `augmented` is the reference
// CNN behind `mnist train`'s default augmentation (no peer counterpart: for the epoch-time
// cost of augmentation). With `layers` it prints instead where a training step's time goes,
// layer by layer (p50 of each layer's forward and backward within a step at batch 128), and
// each layer's forward pass at inference (predict), for chains and graphs alike.
import Datasets
import Foundation
import Layers
import Tensor

/// The reference CNN.
func reference() -> [any Layer] {
    [
        Conv2D(filters: 32, kernelSize: 3, activation: .relu),
        MaxPooling2D(poolSize: 2),
        Conv2D(filters: 64, kernelSize: 3, activation: .relu),
        MaxPooling2D(poolSize: 2),
        Flatten(),
        Dropout(rate: 0.5),
        Dense(units: 10, activation: .softmax),
    ]
}

/// The reference CNN behind `mnist train`'s default augmentation.
func augmented() -> [any Layer] {
    [RandomRotation(0.05), RandomTranslation(height: 0.08, width: 0.08)] + reference()
}

/// `mnist train --recipe best` without its augmentation layers.
func batchnorm() -> [any Layer] {
    var stack: [any Layer] = []
    for filters in [32, 64] {
        for (size, strides, padding) in [(3, 1, Padding.valid), (3, 1, .valid), (5, 2, .same)] {
            stack += [Conv2D(filters: filters, kernelSize: Size2D(size, size), strides: Size2D(strides, strides), padding: padding, useBias: false),
                      BatchNormalization(), ReLU()]
        }
        stack.append(Dropout(rate: 0.4))
    }
    return stack + [Flatten(), Dense(units: 128, useBias: false), BatchNormalization(), ReLU(), Dropout(rate: 0.4),
                    Dense(units: 10, activation: .softmax)]
}

/// `mnist train --recipe resnet` without its augmentation layers (the functional API).
func resnet() throws -> Model {
    func convolution(_ x: SymbolicTensor, _ filters: Int, strides: Int = 1, relu: Bool = true) throws -> SymbolicTensor {
        let y = try BatchNormalization()(
            try Conv2D(filters: filters, kernelSize: 3, strides: Size2D(strides, strides), padding: .same, useBias: false)(x))
        return relu ? try ReLU()(y) : y
    }
    func residualBlock(_ x: SymbolicTensor, _ filters: Int) throws -> SymbolicTensor {
        try ReLU()(try Add()(x, try convolution(try convolution(x, filters), filters, relu: false)))
    }
    let input = Input(shape: [28, 28, 1])
    var x = try convolution(input.symbolic, 32)
    x = try residualBlock(try convolution(x, 32, strides: 2), 32)
    x = try residualBlock(try residualBlock(try convolution(x, 64, strides: 2), 64), 64)
    x = try Dropout(rate: 0.3)(try GlobalAveragePooling2D()(x))
    return try Model(inputs: input, outputs: try Dense(units: 10, activation: .softmax)(x), seed: 1)
}

/// `mnist train --recipe lstm` without its augmentation layers: two bidirectional LSTMs over the rows.
func lstm() -> [any Layer] {
    [Reshape([28, 28]), Bidirectional(LSTM(units: 64, returnSequences: true)), Bidirectional(LSTM(units: 64)),
     Dense(units: 10, activation: .softmax)]
}

/// `mnist train --recipe vit` without its augmentation layers: a vision transformer of four blocks over 49 patches.
func vit() throws -> Model {
    let input = Input(shape: [28, 28, 1])
    var x = try Reshape([49, 64])(try Conv2D(filters: 64, kernelSize: 4, strides: 4)(input))
    x = try Add()(x, try PositionEmbedding(sequenceLength: 49)(x))
    for _ in 0..<4 {
        let normalized = try LayerNormalization()(x)
        x = try Add()(x, try MultiHeadAttention(heads: 4, keyDim: 16)(normalized, normalized))
        let hidden = try Dense(units: 128, activation: .gelu())(try LayerNormalization()(x))
        x = try Add()(x, try Dense(units: 64)(hidden))
    }
    x = try GlobalAveragePooling1D()(try LayerNormalization()(x))
    return try Model(inputs: input, outputs: try Dense(units: 10, activation: .softmax)(x), seed: 1)
}

/// Each model as a Model: the chains as a Sequential behind their Input.
let models: [String: () throws -> Model] = [
    "reference": { Sequential([Input(shape: [28, 28, 1])] + reference(), seed: 1) },
    "augmented": { Sequential([Input(shape: [28, 28, 1])] + augmented(), seed: 1) },
    "batchnorm": { Sequential([Input(shape: [28, 28, 1])] + batchnorm(), seed: 1) },
    "resnet": resnet,
    "lstm": { Sequential([Input(shape: [28, 28, 1])] + lstm(), seed: 1) },
    "vit": vit,
]
let name = CommandLine.arguments.dropFirst().first ?? "reference"
guard let makeModel = models[name] else {
    FileHandle.standardError.write(Data("unknown model '\(name)'; expected one of \(models.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}

func model() throws -> Model {
    let model = try makeModel()
    try model.compile(optimizer: Adam(learningRate: 1e-3), loss: .categoricalCrossentropy, metrics: [.accuracy])
    return model
}

func p50(_ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<5 { try body() }
    var times: [Double] = []
    for _ in 0..<40 {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15)
    }
    return times.sorted()[times.count / 2]
}

/// The p50 time of each layer's forward and backward pass in a training step, and of its
/// forward pass at inference, as a table, walking the model's graph node by node (each node
/// reads the values it names). A layer's backward gets a random gradient of its output's
/// shape: the time does not depend on the values. Merge layers run on their tape, so only
/// their forward is timed (their backward is a copy or a sum of the gradient).
func layerBreakdown(_ model: Model, x: Tensor) throws -> String {
    var layers = model.layers
    let graph = model.graph
    let samples = 25
    var forward = Array(repeating: [Double](), count: graph.nodes.count)
    var (backward, inference) = (forward, forward)
    func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15
    }
    func run(_ index: Int, _ inputs: [Tensor], _ context: inout ForwardContext) throws -> Tensor {
        let layer = graph.nodes[index].layer
        if var merge = layers[layer] as? any MergeLayer {
            defer { layers[layer] = merge }
            return try merge.call(inputs.map(Variable.init), context: &context).value
        }
        return try layers[layer].forward(inputs[0], context: &context)
    }
    var generator = RandomGenerator(seed: 7)
    for sample in 0..<(samples + 5) {
        for training in [true, false] {
            var context = ForwardContext(training: training, generator: RandomGenerator(seed: UInt64(sample)))
            var values = [x]
            for (index, node) in graph.nodes.enumerated() {
                var output = x
                let time = try milliseconds { output = try run(index, node.inputs.map { values[$0] }, &context) }
                if sample >= 5 { training ? forward[index].append(time) : inference[index].append(time) }
                values.append(output)
            }
            guard training else { continue }
            for index in graph.nodes.indices.reversed() where !(layers[graph.nodes[index].layer] is any MergeLayer) {
                let gradient = try Tensor.uniform(values[index + 1].shape, using: &generator)
                let last = graph.value(ofNode: index) == graph.outputs[0]
                let layer = graph.nodes[index].layer
                let time = try milliseconds {
                    _ = last ? try layers[layer].backward(preActivationGradient: gradient) : try layers[layer].backward(gradient)
                }
                if sample >= 5 { backward[index].append(time) }
            }
        }
    }
    func p50(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
    let rows = graph.nodes.indices.map { (layers[graph.nodes[$0].layer], p50(forward[$0]), p50(backward[$0]), p50(inference[$0])) }
    let total = rows.reduce(0) { $0 + $1.1 + $1.2 }
    let inferenceTotal = rows.reduce(0) { $0 + $1.3 }
    func cell(_ text: String, _ width: Int) -> String { text.padding(toLength: Swift.max(width, text.count), withPad: " ", startingAt: 0) }
    var lines = [cell("layer", 44) + cell("output", 12) + "    fwd ms    bwd ms   share  predict ms"]
    for (index, (layer, f, b, i)) in rows.enumerated() {
        let shape = model.nodeOutputShapes[index].map(String.init).joined(separator: "x")
        lines.append(cell("\(layer.name) (\(type(of: layer).typeName))", 44) + cell(shape, 12)
                     + String(format: "%10.3f%10.3f%7.1f%%%12.3f", f, b, 100 * (f + b) / total, i))
    }
    lines.append(cell("total (layers only; a step adds the loss and the update)", 56)
                 + String(format: "%20.3f%20.3f", total, inferenceTotal))
    return lines.joined(separator: "\n")
}

var generator = RandomGenerator(seed: 2)
let x = try Tensor.uniform([128, 28, 28, 1], using: &generator)
let y = try Tensor.oneHot((0..<128).map { $0 % 10 }, classes: 10)
let network = try model()
if CommandLine.arguments.dropFirst(2).first == "layers" {
    print("\(name), batch 128, \(ComputeThreads.blasDescription)")
    print(try layerBreakdown(network, x: x))
    exit(0)
}
let train = try p50 { try network.trainOnBatch(x: x, y: y) }
let predict = try p50 { _ = try network.predict(x, batchSize: 128) }
let oneImage = try x.slice(batch: 0..<1)
let single = try p50 { _ = try network.predict(oneImage, batchSize: 1) }

/// Records when each epoch of a fit starts and ends.
final class EpochTimer: Callback {
    var seconds: [Double] = []
    private var start = ContinuousClock.now
    func onEpochBegin(_ epoch: Int, model: Model) throws { start = .now }
    func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {
        let elapsed = ContinuousClock.now - start
        seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}

var epoch = Double.nan
if let folder = ProcessInfo.processInfo.environment["MNIST_DIR"] {
    let mnist = try MNIST.load(from: URL(fileURLWithPath: folder))
    let fresh = try model()
    let timer = EpochTimer()
    try fresh.fit(x: mnist.train.images, y: mnist.train.oneHotLabels, batchSize: 128, epochs: 2, validationSplit: 0.1,
                  callbacks: [timer], verbose: .silent)
    epoch = timer.seconds[1]
}
print(String(format: "swift-layers (OpenBLAS) \(name): train_step_ms=%.2f predict_ms=%.2f single_image_ms=%.3f epoch_s=%.2f",
             train, predict, single, epoch))
