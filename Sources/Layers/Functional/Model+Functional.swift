import Tensor

extension Model {
    /// A model from the calls that lead from `inputs` to `outputs` (Keras's functional API):
    /// residual connections, branches that merge, layers called more than once (their weights
    /// shared and their gradients summed).
    ///
    /// ```swift
    /// let input = Input(shape: [28, 28, 1])
    /// let x = try Conv2D(filters: 16, kernelSize: 3, padding: .same, activation: .relu)(input)
    /// let residual = try Add()(x, try Conv2D(filters: 16, kernelSize: 3, padding: .same)(x))
    /// let output = try Dense(units: 10, activation: .softmax)(try Flatten()(residual))
    /// let model = try Model(inputs: input, outputs: output)
    /// ```
    /// - Throws: ``LayersError/invalidGraph(_:)`` when an output depends on an input other than
    ///   `inputs`, or two different layers have one name.
    public convenience init(inputs: Input, outputs: SymbolicTensor, name: String = "model", seed: UInt64? = nil) throws {
        try self.init(inputs: [inputs], outputs: [outputs], name: name, seed: seed)
    }

    /// A model of several inputs or outputs (Keras's `Model(inputs=[a, b], outputs=[c, d])`):
    /// `fit`, `evaluate` and `predict` take a tensor per input and per output, in these orders;
    /// `compile(optimizer:loss:lossWeights:metrics:)` takes a loss per output.
    ///
    /// ```swift
    /// let image = Input(shape: [28, 28, 1], name: "image")
    /// let extra = Input(shape: [4], name: "extra")
    /// let features = try Concatenate()(try Flatten()(image), extra)
    /// let digit = try Dense(units: 10, activation: .softmax).named("digit")(features)
    /// let even = try Dense(units: 1, activation: .sigmoid).named("even")(features)
    /// let model = try Model(inputs: [image, extra], outputs: [digit, even])
    /// ```
    /// - Throws: ``LayersError/invalidGraph(_:)`` when there is no input or output, an input is
    ///   listed twice, an output depends on an input not listed, an output is listed twice or
    ///   is an input, or two different layers have one name.
    public convenience init(inputs: [Input], outputs: [SymbolicTensor], name: String = "model", seed: UInt64? = nil) throws {
        let (layers, graph) = try Self.graph(from: inputs, to: outputs)
        self.init(layers: layers, graph: graph, seed: seed, name: name, inputNames: Self.uniqueNames(inputs.map(\.name)))
        inputShapes = inputs.map(\.shape)
    }

    /// `["input", "input"]` → `["input", "input_1"]`.
    private static func uniqueNames(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { name in
            var candidate = name
            var count = 0
            while used.contains(candidate) {
                count += 1
                candidate = "\(name)_\(count)"
            }
            used.insert(candidate)
            return candidate
        }
    }

    /// The layers, each once in the order of its first call, and the graph of the calls from
    /// `inputs` to `outputs`, in an order in which each call comes after the calls it reads.
    static func graph(from inputs: [Input], to outputs: [SymbolicTensor]) throws -> ([any Layer], Graph) {
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw LayersError.invalidGraph("a model needs at least one input and one output; found \(inputs.count) and \(outputs.count)")
        }
        for (index, input) in inputs.enumerated() where inputs[..<index].contains(where: { $0.identity === input.identity }) {
            throw LayersError.invalidGraph("the input '\(input.name)' \(input.shape) is listed twice in inputs")
        }
        var layers: [any Layer] = []
        var layerIndex: [ObjectIdentifier: Int] = [:]  // layers with weights, by identity
        var nodes: [Graph.Node] = []
        var valueCount = inputs.count
        var valueOfCall: [ObjectIdentifier: Int] = [:]  // each call's first value
        func value(of tensor: SymbolicTensor) throws -> Int {
            let call = tensor.source
            if let source = call.input {
                guard let position = inputs.firstIndex(where: { $0.identity === source.identity }) else {
                    let listed = inputs.count == 1 ? "the model's input '\(inputs[0].name)' \(inputs[0].shape)"
                        : "among the model's inputs (" + inputs.map { "'\($0.name)' \($0.shape)" }.joined(separator: ", ") + ")"
                    throw LayersError.invalidGraph(
                        "the model's outputs depend on \(call.label) \(source.shape), which is not \(listed) (another Input "
                            + "value); pass it as inputs, or build the branch from the model's inputs")
                }
                return position
            }
            if let known = valueOfCall[ObjectIdentifier(call)] { return known + tensor.outputIndex }
            let callInputs = try call.inputs.map(value(of:))  // calls are made from earlier tensors, so this ends
            let layer: Int
            if let identity = call.layerIdentity, let shared = layerIndex[ObjectIdentifier(identity)] {
                layer = shared
            } else {
                layer = layers.count
                layers.append(call.layer)
                if let identity = call.layerIdentity { layerIndex[ObjectIdentifier(identity)] = layer }
            }
            nodes.append(Graph.Node(layer: layer, inputs: callInputs, outputCount: call.outputCount))
            valueOfCall[ObjectIdentifier(call)] = valueCount
            valueCount += call.outputCount
            return valueCount - call.outputCount + tensor.outputIndex
        }
        var outputValues: [Int] = []
        for (index, output) in outputs.enumerated() {
            let value = try value(of: output)
            guard value >= inputs.count else {
                throw LayersError.invalidGraph("output \(index) is the model's input '\(inputs[value].name)'; call at least one layer on it")
            }
            guard !outputValues.contains(value) else {
                throw LayersError.invalidGraph("output \(index) (\(output.source.label)) is listed twice in outputs")
            }
            outputValues.append(value)
        }
        var seen: [String: Int] = [:]
        for (index, layer) in layers.enumerated() where !layer.name.isEmpty {
            if let other = seen[layer.name] {
                throw LayersError.invalidGraph(
                    "two different layers are named '\(layer.name)' (the \(type(of: layers[other]).typeName) called first and a "
                        + "\(type(of: layer).typeName)); names must be unique: rename one, or call the same layer value to share it")
            }
            seen[layer.name] = index
        }
        return (layers, Graph(inputCount: inputs.count, nodes: nodes, outputs: outputValues))
    }
}
