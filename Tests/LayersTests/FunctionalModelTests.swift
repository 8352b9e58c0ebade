import Foundation
import Testing
@testable import Layers
import Tensor

/// Graph models built with the functional API: each is checked by one SGD step against
/// finite differences of its loss (`ModelGradientTests.checkStep`: inputs [5, 5, 1], 3 classes).
@Suite("Functional models")
struct FunctionalModelTests {
    /// A residual block: the convolution's output fans out to the next convolution and to the `Add`.
    static func residual() throws -> Model {
        let input = Input(shape: [5, 5, 1])
        let x = try Conv2D(filters: 2, kernelSize: 3, padding: .same, activation: .tanh)(input)
        let y = try Conv2D(filters: 2, kernelSize: 3, padding: .same, activation: .tanh)(x)
        let sum = try Add()(x, y)
        let output = try Dense(units: 3, activation: .softmax)(try Flatten()(sum))
        return try Model(inputs: input, outputs: output, seed: 3)
    }

    @Test("a residual connection: the step follows the gradient through both paths of the fan-out")
    func residualStep() throws {
        try ModelGradientTests().checkStep(try Self.residual(), loss: .categoricalCrossentropy)
    }

    /// One Dense layer called on two branches: its gradient is the sum over both calls.
    static func sharedDense() throws -> (Model, Dense) {
        let input = Input(shape: [5, 5, 1])
        let flat = try Flatten()(input)
        let left = try Dense(units: 4, activation: .tanh)(flat)
        let right = try Dense(units: 4, activation: .sigmoid)(flat)
        let shared = Dense(units: 3, activation: .tanh).named("shared")
        let merged = try Concatenate()(try shared(left), try shared(right))
        return (try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(merged), seed: 4), shared)
    }

    @Test("a layer called twice shares its weights and sums its gradients")
    func sharedLayer() throws {
        let (model, _) = try Self.sharedDense()
        try ModelGradientTests().checkStep(model, loss: .categoricalCrossentropy)
        #expect(model.layers.filter { $0.name == "shared" }.count == 1)
        #expect(model.graph.nodes.filter { model.layers[$0.layer].name == "shared" }.count == 2)
    }

    @Test("a layer called on the model's input and on a later value gets its input gradient for the later call")
    func sharedFirstLayer() throws {
        let input = Input(shape: [5, 5, 1])
        let shared = Conv2D(filters: 1, kernelSize: 3, padding: .same, activation: .tanh)
        let once = try shared(input)
        let twice = try shared(once)
        let output = try Dense(units: 3, activation: .softmax)(try Flatten()(try Add()(once, twice)))
        try ModelGradientTests().checkStep(try Model(inputs: input, outputs: output, seed: 6), loss: .categoricalCrossentropy)
    }

    @Test("the graph-models article's residual block builds, compiles and takes a step")
    func articleExample() throws {
        // From Layers.docc/GraphModels.md.
        let input = Input(shape: [28, 28, 1])
        var x = try Conv2D(filters: 32, kernelSize: 3, padding: .same, useBias: false)(input)
        x = try ReLU()(try BatchNormalization()(x))
        let shortcut = x
        x = try BatchNormalization()(try Conv2D(filters: 32, kernelSize: 3, padding: .same, useBias: false)(x))
        x = try ReLU()(try Add()(x, shortcut))                       // a residual connection
        let output = try Dense(units: 10, activation: .softmax)(try GlobalAveragePooling2D()(x))
        let model = try Model(inputs: input, outputs: output, seed: 42)
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let logs = try model.trainOnBatch(x: randomTensor([4, 28, 28, 1], seed: 1), y: try Tensor.oneHot([1, 2, 3, 4], classes: 10))
        #expect(logs[.loss]!.isFinite)
        #expect(model.parameterCount.total == 288 + 128 + 9216 + 128 + 330)
    }

    @Test("a chain written with the functional API trains bit for bit as the same Sequential")
    func chainIsSequential() throws {
        let sequential = Sequential(seed: 7) {
            Input(shape: [6])
            Dense(units: 8, activation: .relu)
            Dropout(rate: 0.2)
            Dense(units: 3, activation: .softmax)
        }
        let input = Input(shape: [6])
        var x = try Dense(units: 8, activation: .relu)(input)
        x = try Dropout(rate: 0.2)(x)
        let functional = try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(x), seed: 7)
        let (data, labels) = SyntheticData.blobs(samples: 48, classes: 3, features: 6, seed: 2)
        let y = try Tensor.oneHot(labels, classes: 3)
        var histories: [History] = []
        for model in [sequential as Model, functional] {
            try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy, metrics: [.accuracy])
            histories.append(try model.fit(x: data, y: y, batchSize: 16, epochs: 3, verbose: .silent))
        }
        // Sequential has its Input as a layer, with no weights; the weights match one for one.
        #expect(sequential.weights == functional.weights)
        #expect(histories[0][.loss] == histories[1][.loss])
    }

    @Test("a residual model learns a toy problem with fit, evaluate and predict")
    func trains() throws {
        let input = Input(shape: [2])
        let hidden = try Dense(units: 16, activation: .relu)(input)
        let block = try Add()(hidden, try Dense(units: 16, activation: .relu)(hidden))
        let model = try Model(inputs: input, outputs: try Dense(units: 3, activation: .softmax)(block), seed: 9)
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let (x, labels) = SyntheticData.blobs(samples: 150, classes: 3, seed: 4)
        try model.fit(x: x, y: try Tensor.oneHot(labels, classes: 3), batchSize: 16, epochs: 20, verbose: .silent)
        let (test, testLabels) = SyntheticData.blobs(samples: 60, classes: 3, seed: 4, noiseSeed: 5)
        let result = try model.evaluate(x: test, y: try Tensor.oneHot(testLabels, classes: 3))
        #expect(result[.accuracy]! > 0.95)
        #expect(try model.predict(test).shape == [60, 3])
        let summary = try model.summary()
        #expect(summary.contains("add (Add)") && summary.contains("Connected to"))
        #expect(summary.contains("│ dense, dense_1 "), "the Add reads both Dense layers:\n\(summary)")
    }

    @Test("calls that cannot fit are errors that name the layer, the call and both shapes")
    func callErrors() throws {
        let input = Input(shape: [4, 4, 1])
        let flat = try Flatten()(input)
        let wide = try Dense(units: 5)(flat)
        let narrow = try Dense(units: 3)(flat)
        #expect {
            try Add()(wide, narrow)
        } throws: { error in
            let text = "\(error)"
            return text.contains("add (Add)") && text.contains("[5]") && text.contains("[3]") && text.contains("same shape")
        }
        #expect {
            try Concatenate(axis: 1)(input, flat)
        } throws: { error in "\(error)".contains("concatenate") && "\(error)".contains("[4, 4, 1]") }
        #expect(throws: LayersError.self) { try Conv2D(filters: 2, kernelSize: 3)(flat) }
    }

    @Test("a graph that does not lead from the input, or reuses a name, is refused when the model is made")
    func graphErrors() throws {
        let input = Input(shape: [3])
        let other = Input(shape: [3])
        let mixed = try Add()(try Dense(units: 2)(input), try Dense(units: 2)(other))
        #expect {
            try Model(inputs: input, outputs: mixed)
        } throws: { error in "\(error)".contains("not the model's input") }
        let twins = try Add()(try Dense(units: 2).named("twin")(input), try Dense(units: 2).named("twin")(input))
        #expect {
            try Model(inputs: input, outputs: twins)
        } throws: { error in "\(error)".contains("two different layers are named 'twin'") }
        #expect(throws: LayersError.self) { try Model(inputs: input, outputs: input.symbolic) }
    }

    @Test("a graph with a shared layer saves and loads with its calls, and resumes training exactly")
    func savesGraphs() throws {
        let (model, _) = try Self.sharedDense()
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let x = randomTensor([6, 5, 5, 1], seed: 3)
        let y = try Tensor.oneHot([0, 1, 2, 0, 1, 2], classes: 3)
        try model.trainOnBatch(x: x, y: y)
        let (version, loaded) = try savedAndLoaded(model)
        #expect(version == "3")
        #expect(loaded.graph == model.graph && loaded.layers.count == model.layers.count)
        #expect(try loaded.predict(x) == (try model.predict(x)))
        try model.trainOnBatch(x: x, y: y)
        try loaded.trainOnBatch(x: x, y: y)
        #expect(loaded.weights == model.weights)
        // A chain is still written as version 2, which earlier versions read.
        let chain = Sequential(seed: 1) { Input(shape: [3]); Dense(units: 2) }
        try chain.build(inputShape: [3])
        let (chainVersion, loadedChain) = try savedAndLoaded(chain)
        #expect(chainVersion == "2")
        #expect(loadedChain is Sequential)
    }

    @Test("a graph record that reads a later node, calls a missing layer or skips one is a typed error")
    func corruptGraphRecords() throws {
        let model = try Self.residual()
        try model.build(inputShape: [5, 5, 1])
        let data = try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("residual.safetensors").path
            try model.save(to: path)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let file = try SafeTensors.decode(data, path: "residual")
        let record = try JSONSerialization.jsonObject(with: Data(file.metadata["model"]!.utf8)) as! [String: Any]
        func load(editing edit: (inout [[String: Any]], inout Int) -> Void) throws -> String {
            var graph = record["graph"] as! [String: Any]
            var nodes = graph["nodes"] as! [[String: Any]]
            var output = graph["output"] as! Int
            edit(&nodes, &output)
            graph["nodes"] = nodes
            graph["output"] = output
            var edited = record
            edited["graph"] = graph
            var metadata = file.metadata
            metadata["model"] = String(decoding: try JSONSerialization.data(withJSONObject: edited), as: UTF8.self)
            let bytes = try SafeTensors(metadata: metadata, tensors: file.tensors.map { ($0.name, $0.value) }).encoded()
            do {
                _ = try Model.load(data: bytes)
                return "loaded"
            } catch let error as ModelFileError {
                return "\(error)"
            }
        }
        #expect(try load { nodes, _ in nodes[0]["inputs"] = [2] }.contains("node 0 reads values [2]"))
        #expect(try load { nodes, _ in nodes[1]["layer"] = 9 }.contains("node 1 calls layer 9"))
        #expect(try load { nodes, _ in nodes[1]["layer"] = 0 }.contains("never called"))
        #expect(try load { _, output in output = 7 }.contains("the output is value 7"))
        #expect(try load { _, _ in } == "loaded")
    }
}
