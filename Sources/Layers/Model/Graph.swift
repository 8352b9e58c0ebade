/// The calls of a model's layers: each node calls one layer on values computed before it
/// (Keras's `Node`). Values are numbered: first the model's inputs, then each node's outputs
/// in node order (one for most layers; a ``MultiOutputLayer`` such as `LSTM(returnState:)`
/// has several), so a node only reads values with smaller numbers and the node order is a
/// topological order.
public struct Graph: Sendable, Equatable {
    /// One call of a layer.
    public struct Node: Sendable, Equatable {
        /// The index of the called layer in the model's `layers`.
        public let layer: Int
        /// The values the call reads, in order.
        public let inputs: [Int]
        /// How many values the call computes (the layer's ``MultiOutputLayer/outputCount``).
        public let outputCount: Int

        /// A call of layer `layer` on the values `inputs`, computing `outputCount` values.
        public init(layer: Int, inputs: [Int], outputCount: Int = 1) {
            self.layer = layer
            self.inputs = inputs
            self.outputCount = outputCount
        }
    }

    /// The number of model inputs (values `0..<inputCount`).
    public let inputCount: Int
    /// The calls, in the order they run.
    public let nodes: [Node]
    /// The values the model outputs, in order (Keras's `outputs`).
    public let outputs: [Int]

    /// How many nodes call each layer (indexed by layer); above 1, the layer is shared.
    let callCounts: [Int]
    /// For each value, the last node that reads it (-1 for none).
    let lastReaders: [Int]
    /// For each value, whether the model outputs it (it is kept to the end of a forward pass).
    let isOutput: [Bool]
    /// For each node, its first value.
    private let firstValues: [Int]
    /// For each value, the node that computes it (-1 for a model input).
    private let producers: [Int]

    /// The number of values: the inputs and every node's outputs.
    public var valueCount: Int { producers.count }

    /// A graph of `nodes` over `inputCount` inputs, whose outputs are the values `outputs`.
    init(inputCount: Int, nodes: [Node], outputs: [Int]) {
        self.inputCount = inputCount
        self.nodes = nodes
        self.outputs = outputs
        var producers = [Int](repeating: -1, count: inputCount)
        var firstValues: [Int] = []
        for (index, node) in nodes.enumerated() {
            firstValues.append(producers.count)
            producers += repeatElement(index, count: node.outputCount)
        }
        var counts = [Int](repeating: 0, count: (nodes.map(\.layer).max() ?? -1) + 1)
        var readers = [Int](repeating: -1, count: producers.count)
        for (index, node) in nodes.enumerated() {
            counts[node.layer] += 1
            for input in node.inputs { readers[input] = index }
        }
        var isOutput = [Bool](repeating: false, count: producers.count)
        for output in outputs { isOutput[output] = true }
        (callCounts, lastReaders, self.isOutput) = (counts, readers, isOutput)
        (self.firstValues, self.producers) = (firstValues, producers)
    }

    /// The (first) value node `index` computes.
    public func value(ofNode index: Int) -> Int { firstValues[index] }

    /// The values node `index` computes.
    public func values(ofNode index: Int) -> Range<Int> { firstValues[index]..<(firstValues[index] + nodes[index].outputCount) }

    /// The node that computes value `value` (nil for a model input).
    public func node(ofValue value: Int) -> Int? { producers[value] < 0 ? nil : producers[value] }

    /// `count` layers each called once on the output of the one before: a `Sequential`.
    public static func chain(_ count: Int) -> Graph {
        Graph(inputCount: 1, nodes: (0..<count).map { Node(layer: $0, inputs: [$0]) }, outputs: [count])
    }

    /// Which nodes a backward pass visits and which pass a gradient back to their inputs.
    struct BackwardPlan {
        /// Node `i`'s output leads to the loss through trainable weights (at `i` or before).
        let visits: [Bool]
        /// Some value node `i` reads depends on a node with weights: `i` must return dLoss/dInput.
        let needsInputGradient: [Bool]
    }

    /// The plan for layers of which `hasParameters[layer]` have weights.
    func backwardPlan(hasParameters: [Bool]) -> BackwardPlan {
        var dependsOnWeights = [Bool](repeating: false, count: valueCount)
        var needsInputGradient: [Bool] = []
        for (index, node) in nodes.enumerated() {
            let needs = node.inputs.contains { dependsOnWeights[$0] }
            needsInputGradient.append(needs)
            for value in values(ofNode: index) { dependsOnWeights[value] = needs || hasParameters[node.layer] }
        }
        return BackwardPlan(visits: nodes.indices.map { dependsOnWeights[value(ofNode: $0)] },
                            needsInputGradient: needsInputGradient)
    }
}
