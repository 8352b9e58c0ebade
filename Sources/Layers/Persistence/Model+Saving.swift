import Foundation
import Tensor

/// What a model file's `__metadata__["model"]` holds: the architecture and, optionally,
/// the training state.
struct ModelRecord: Codable {
    struct LayerRecord: Codable {
        var type: String
        var name: String
        var configuration: JSONValue
    }

    /// The calls of a graph model (format version 3); absent for a chain of layers.
    struct GraphRecord: Codable {
        struct NodeRecord: Codable {
            var layer: Int
            var inputs: [Int]
        }
        var nodes: [NodeRecord]
        /// The first output; `outputs` lists them all when there are several.
        var output: Int
        var outputs: [Int]?
        /// The number of inputs when there are several (values `0..<inputCount`); 1 otherwise.
        var inputCount: Int?
    }

    var name: String
    var seed: String
    /// The first input's sample shape; `inputShapes` and `inputNames` list every input's when
    /// there are several.
    var inputShape: [Int]
    var inputShapes: [[Int]]?
    var inputNames: [String]?
    var layers: [LayerRecord]
    var graph: GraphRecord?
    /// The first output's loss and metrics; `losses`, `lossWeights` and `outputMetrics` list
    /// every output's when there are several (or weights other than 1).
    var loss: Loss?
    var metrics: [Metric]?
    var losses: [Loss]?
    var lossWeights: [Float]?
    var outputMetrics: [[Metric]]?
    var optimizer: OptimizerRecord?
    var step: Int?
    var epochsCompleted: Int?
    var generator: [String]?
}

extension Model {
    /// The newest version of the model file format this library writes; it reads this and
    /// older ones. Version 4 numbers the values of a graph with the further outputs of a
    /// ``MultiOutputLayer`` (an LSTM's final states after its output); only graphs with such a
    /// call are written as version 4, so that older versions refuse them rather than misread
    /// them. Version 3 adds the calls of a graph model (`graph`: each node's layer and
    /// inputs); a chain of layers is still written as version 2, which older versions read.
    /// Version 2 stores the optimizer's state as one flat tensor per kind (`optimizer/m`);
    /// version 1 stored one per parameter (`optimizer/m/0`, ...), which loading still joins.
    public static let modelFormatVersion = 4
    static let modelFormatName = "swift-layers-model"

    /// Saves the model to one file: a safetensors file whose tensors are the weights
    /// (`conv2d/kernel`, `batch_normalization/moving_mean`, ...) and whose metadata holds the
    /// architecture as JSON and, with `includeOptimizer`, the optimizer's configuration and
    /// state, the step count and the random generator, so that `fit(initialEpoch:)` on the
    /// loaded model continues exactly.
    ///
    /// The file is written to a temporary file in the same folder, flushed and renamed, so a
    /// crash or a full disk leaves any previous file intact.
    /// - Throws: ``ModelFileError`` when the model is not built, holds a layer that cannot be
    ///   saved, or the file cannot be written.
    public func save(to path: String, includeOptimizer: Bool = true) throws {
        guard isBuilt, let inputShapes, let inputShape else {
            throw ModelFileError.unsupported("save: the model is not built yet; compile it with an Input layer, or call build(inputShape:)")
        }
        let isChain = graph == .chain(layers.count)
        let severalInputs = graph.inputCount > 1, severalOutputs = graph.outputs.count > 1
        var record = ModelRecord(
            name: name, seed: String(seed), inputShape: inputShape,
            inputShapes: severalInputs ? inputShapes : nil, inputNames: severalInputs ? inputNames : nil,
            layers: try layers.map { .init(type: type(of: $0).typeName, name: $0.name, configuration: try configurationJSON(of: $0)) },
            graph: isChain ? nil : .init(nodes: graph.nodes.map { .init(layer: $0.layer, inputs: $0.inputs) }, output: graph.outputs[0],
                                         outputs: severalOutputs ? graph.outputs : nil, inputCount: severalInputs ? graph.inputCount : nil))
        var tensors: [(name: String, value: Tensor)] = layers.flatMap { layer in
            layer.parameters.map { ("\(layer.name)/\($0.name)", $0.value) }
        }
        if includeOptimizer, let loss, let optimizer {
            record.loss = loss
            record.metrics = metrics
            if severalOutputs || lossWeights != [1] {
                (record.losses, record.lossWeights, record.outputMetrics) = (losses, lossWeights, outputMetrics)
            }
            record.optimizer = try OptimizerRecord(optimizer)
            record.step = step
            record.epochsCompleted = epochsCompleted
            record.generator = trainingGenerator.state.map { String($0) }
            tensors += optimizer.state.sorted { $0.key < $1.key }.map { ("optimizer/\($0.key)", $0.value) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadata = [
            "format": Self.modelFormatName,
            "format_version": String(isChain ? 2 : graph.nodes.contains { $0.outputCount > 1 } ? 4 : 3),
            "model": String(decoding: try encoder.encode(record), as: UTF8.self),
        ]
        try AtomicFile.write(try SafeTensors(metadata: metadata, tensors: tensors).encoded(), to: path)
    }


    /// Loads a model saved by ``save(to:includeOptimizer:)``: a ``Sequential`` for a chain of
    /// layers, a functional ``Model`` for a graph; with architecture, weights and, when saved,
    /// the compiled loss, metrics and optimizer with its state. Custom layer types must be
    /// registered first with ``LayerRegistry/register(_:)``.
    /// - Throws: ``ModelFileError`` for a missing, truncated, corrupt or incompatible file.
    public static func load(from path: String) throws -> Model {
        try load(data: try readModelFile(path), name: path)
    }

    /// Loads a model from the bytes of a model file (see ``load(from:)``); `name` stands for
    /// the file in error messages.
    /// - Throws: ``ModelFileError`` for truncated, corrupt or incompatible data.
    public static func load(data: Data, name path: String = "(model in memory)") throws -> Model {
        let file = try SafeTensors.decode(data, path: path)
        guard file.metadata["format"] == modelFormatName else {
            throw ModelFileError.corrupt(path: path, reason: "it has no '\(modelFormatName)' format metadata (is it a model file of this library?)")
        }
        guard let version = file.metadata["format_version"].flatMap(Int.init), version >= 1 else {
            throw ModelFileError.corrupt(path: path, reason: "the format version is missing or not a positive integer")
        }
        guard version <= modelFormatVersion else {
            throw ModelFileError.unsupportedVersion(path: path, found: version, supported: modelFormatVersion)
        }
        do {
            return try makeModel(from: file)
        } catch let error as ModelFileError {
            throw ModelFileError.inFile(path: path, error: error)
        }
    }

    static func readModelFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ModelFileError.cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path)
                                            ? error.localizedDescription : "no such file")
        }
    }

    private static func makeModel(from file: SafeTensors) throws -> Model {
        let record: ModelRecord
        do {
            record = try JSONDecoder().decode(ModelRecord.self, from: Data((file.metadata["model"] ?? "").utf8))
        } catch let error as DecodingError {
            throw ModelFileError.invalidArchitecture(describe(error))
        }
        guard let seed = UInt64(record.seed) else { throw ModelFileError.invalidArchitecture("the seed '\(record.seed)' is not a UInt64") }
        let layers = try record.layers.map { layerRecord -> any Layer in
            var layer = try LayerRegistry.makeLayer(typeName: layerRecord.type, configuration: layerRecord.configuration)
            layer.name = layerRecord.name
            return layer
        }
        let model: Model
        let inputShapes = record.inputShapes ?? [record.inputShape]
        if let graph = record.graph {
            let checked = try Self.checkedGraph(graph, outputCounts: layers.map { ($0 as? any MultiOutputLayer)?.outputCount ?? 1 })
            guard inputShapes.count == checked.inputCount, (record.inputNames?.count ?? checked.inputCount) == checked.inputCount else {
                throw ModelFileError.invalidArchitecture(
                    "the graph has \(checked.inputCount) inputs, the file gives \(inputShapes.count) input shapes "
                    + "and \(record.inputNames?.count ?? 1) names")
            }
            model = Model(layers: layers, graph: checked, seed: seed, name: record.name, inputNames: record.inputNames)
            model.inputShapes = inputShapes
        } else {
            model = Sequential(layers, seed: seed)
            model.name = record.name
        }
        let floatsInFile = file.tensors.reduce(0) { $0 + $1.value.count }
        do {
            try Initializer.$budget.withValue(WeightBudget(floatsInFile)) {
                try model.build(inputShapes: inputShapes)
            }
        } catch let error as LayersError {
            throw ModelFileError.invalidArchitecture(error.description)
        }

        for (name, tensor) in file.tensors {
            if let bad = tensor.firstNonFinite {
                throw ModelFileError.nonFiniteValue(tensor: name, index: bad.index, value: bad.value)
            }
        }
        var saved = Dictionary(file.tensors.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        var values: [Tensor] = []
        for layer in model.layers {
            for parameter in layer.parameters {
                let key = "\(layer.name)/\(parameter.name)"
                guard let tensor = saved.removeValue(forKey: key) else { throw ModelFileError.weightMismatch("the tensor '\(key)' is missing") }
                guard tensor.shape == parameter.value.shape else {
                    throw ModelFileError.weightMismatch("'\(key)' must have shape \(parameter.value.shape), the file has \(tensor.shape)")
                }
                if parameter.nonNegative, let negative = tensor.scalars.firstIndex(where: { $0 < 0 }) {
                    throw ModelFileError.weightMismatch(
                        "'\(key)' must not be negative, the file has \(tensor.scalars[negative]) at index \(negative)")
                }
                values.append(tensor)
            }
        }
        let optimizerTensors = saved.filter { $0.key.hasPrefix("optimizer/") }
        if let unexpected = saved.keys.filter({ !$0.hasPrefix("optimizer/") }).sorted().first {
            throw ModelFileError.weightMismatch("the file has a tensor '\(unexpected)' that no layer uses")
        }
        try model.setWeights(values)

        if let loss = record.loss, let optimizerRecord = record.optimizer {
            var optimizer: any SerializableOptimizer
            do {
                optimizer = try optimizerRecord.makeOptimizer()
                if let losses = record.losses {
                    try model.compile(optimizer: optimizer, loss: losses, lossWeights: record.lossWeights,
                                      metrics: record.outputMetrics ?? [])
                } else {
                    try model.compile(optimizer: optimizer, loss: loss, metrics: record.metrics ?? [])
                }
            } catch let error as LayersError {
                throw ModelFileError.invalidArchitecture(error.description)
            }
            optimizer.state = try optimizerState(optimizerTensors, trainableCount: model.parameterCount.trainable)
            model.optimizer = optimizer
            model.step = max(record.step ?? 0, 0)
            model.epochsCompleted = max(record.epochsCompleted ?? 0, 0)
            if let words = record.generator {
                guard let state = try? RandomGenerator(state: words.compactMap { UInt64($0) }) else {
                    throw ModelFileError.invalidArchitecture("the saved random generator state is invalid")
                }
                model.trainingGenerator = state
            }
        }
        return model
    }
}

extension Model {
    /// The saved calls as a graph, after checking that each node calls a layer of the file and
    /// reads only values computed before it, that every layer is called, and that the outputs
    /// exist. A call computes `outputCounts[layer]` values (the layer's outputs).
    static func checkedGraph(_ record: ModelRecord.GraphRecord, outputCounts: [Int]) throws -> Graph {
        let layers = outputCounts.count
        let inputCount = record.inputCount ?? 1
        guard inputCount >= 1, inputCount <= 1 << 16 else {
            throw ModelFileError.invalidArchitecture("the graph has \(inputCount) inputs; expected at least 1")
        }
        var valueCount = inputCount
        for (index, node) in record.nodes.enumerated() {
            guard node.layer >= 0, node.layer < layers else {
                throw ModelFileError.invalidArchitecture("node \(index) calls layer \(node.layer); the file has \(layers) layers")
            }
            guard !node.inputs.isEmpty, node.inputs.allSatisfy({ $0 >= 0 && $0 < valueCount }) else {
                throw ModelFileError.invalidArchitecture(
                    "node \(index) reads values \(node.inputs); it may read the inputs (0...\(inputCount - 1)) and the values "
                    + "of the nodes before it (\(inputCount)...\(valueCount - 1))")
            }
            valueCount += outputCounts[node.layer]
        }
        guard Set(record.nodes.map(\.layer)) == Set(0..<layers) else {
            throw ModelFileError.invalidArchitecture("some layers of the file are never called by its graph")
        }
        let outputs = record.outputs ?? [record.output]
        let computed = inputCount..<valueCount
        guard !outputs.isEmpty, outputs.first == record.output, outputs.allSatisfy(computed.contains), Set(outputs).count == outputs.count else {
            let listed = record.outputs == nil ? "the output is value \(record.output)"
                : "the outputs are values \(outputs) (the first \(record.output))"
            throw ModelFileError.invalidArchitecture(
                "\(listed); the graph computes values \(computed.lowerBound)...\(computed.upperBound - 1), each output once")
        }
        let nodes = record.nodes.map { Graph.Node(layer: $0.layer, inputs: $0.inputs, outputCount: outputCounts[$0.layer]) }
        return Graph(inputCount: inputCount, nodes: nodes, outputs: outputs)
    }
}

/// The optimizer state saved under `optimizer/NAME`, each tensor checked to hold one value
/// per trainable weight. Files of format version 1 stored one tensor per parameter
/// (`optimizer/m/0`, `optimizer/m/1`, ...); those are joined in parameter order.
private func optimizerState(_ tensors: [String: Tensor], trainableCount: Int) throws -> [String: Tensor] {
    var parts: [String: [(slot: Int, tensor: Tensor)]] = [:]
    for (key, tensor) in tensors {
        let name = key.dropFirst("optimizer/".count)
        if let slash = name.firstIndex(of: "/") {
            guard let slot = Int(name[name.index(after: slash)...]) else {
                throw ModelFileError.weightMismatch("the optimizer tensor '\(key)' has no slot number after its name")
            }
            parts[String(name[..<slash]), default: []].append((slot, tensor))
        } else {
            parts[String(name), default: []].append((0, tensor))
        }
    }
    var state: [String: Tensor] = [:]
    for (name, slots) in parts {
        let ordered = slots.sorted { $0.slot < $1.slot }
        let count = ordered.reduce(0) { $0 + $1.tensor.count }
        guard count == trainableCount else {
            throw ModelFileError.weightMismatch(
                "the optimizer state '\(name)' holds \(count) values, the model has \(trainableCount) trainable weights")
        }
        var flat = try Tensor.zeros([count])
        var offset = 0
        for (_, tensor) in ordered {
            try flat.writeScalars(of: tensor, at: offset)
            offset += tensor.count
        }
        state[name] = flat
    }
    return state
}
