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
        let (layers, graph) = try Self.graph(from: inputs, to: outputs)
        self.init(layers: layers, graph: graph, seed: seed, name: name)
        inputShape = inputs.shape
    }

    /// The layers, each once in the order of its first call, and the graph of the calls from
    /// `input` to `output`, in an order in which each call comes after the calls it reads.
    static func graph(from input: Input, to output: SymbolicTensor) throws -> ([any Layer], Graph) {
        var layers: [any Layer] = []
        var layerIndex: [ObjectIdentifier: Int] = [:]  // layers with weights, by identity
        var nodes: [Graph.Node] = []
        var valueOfCall: [ObjectIdentifier: Int] = [:]
        func value(of tensor: SymbolicTensor) throws -> Int {
            let call = tensor.source
            if let source = call.input {
                guard source.identity === input.identity else {
                    throw LayersError.invalidGraph(
                        "the model's outputs depend on \(call.label) \(source.shape), which is not the model's input "
                            + "'\(input.name)' \(input.shape); pass it as inputs, or build the branch from the model's input")
                }
                return 0
            }
            if let known = valueOfCall[ObjectIdentifier(call)] { return known }
            let inputs = try call.inputs.map(value(of:))  // calls are made from earlier tensors, so this ends
            let layer: Int
            if let identity = call.layerIdentity, let shared = layerIndex[ObjectIdentifier(identity)] {
                layer = shared
            } else {
                layer = layers.count
                layers.append(call.layer)
                if let identity = call.layerIdentity { layerIndex[ObjectIdentifier(identity)] = layer }
            }
            nodes.append(Graph.Node(layer: layer, inputs: inputs))
            let result = nodes.count  // one input value comes first
            valueOfCall[ObjectIdentifier(call)] = result
            return result
        }
        let outputValue = try value(of: output)
        guard outputValue > 0 else {
            throw LayersError.invalidGraph("the model's output is its input; call at least one layer on it")
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
        return (layers, Graph(inputCount: 1, nodes: nodes, output: outputValue))
    }
}
