/// The calls of a model's layers: each node calls one layer on values computed before it
/// (Keras's `Node`). Values are numbered: first the model's inputs, then each node's output
/// in node order, so a node only reads values with smaller numbers and the node order is a
/// topological order.
public struct Graph: Sendable, Equatable {
    /// One call of a layer.
    public struct Node: Sendable, Equatable {
        /// The index of the called layer in the model's `layers`.
        public let layer: Int
        /// The values the call reads, in order.
        public let inputs: [Int]
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

    /// A graph of `nodes` over `inputCount` inputs, whose outputs are the values `outputs`.
    init(inputCount: Int, nodes: [Node], outputs: [Int]) {
        self.inputCount = inputCount
        self.nodes = nodes
        self.outputs = outputs
        var counts = [Int](repeating: 0, count: (nodes.map(\.layer).max() ?? -1) + 1)
        var readers = [Int](repeating: -1, count: inputCount + nodes.count)
        for (index, node) in nodes.enumerated() {
            counts[node.layer] += 1
            for input in node.inputs { readers[input] = index }
        }
        var isOutput = [Bool](repeating: false, count: inputCount + nodes.count)
        for output in outputs { isOutput[output] = true }
        (callCounts, lastReaders, self.isOutput) = (counts, readers, isOutput)
    }

    /// The value node `index` computes.
    public func value(ofNode index: Int) -> Int { inputCount + index }

    /// The node that computes value `value` (nil for a model input).
    public func node(ofValue value: Int) -> Int? { value < inputCount ? nil : value - inputCount }

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
        var dependsOnWeights = [Bool](repeating: false, count: inputCount + nodes.count)
        var needsInputGradient: [Bool] = []
        for (index, node) in nodes.enumerated() {
            let needs = node.inputs.contains { dependsOnWeights[$0] }
            needsInputGradient.append(needs)
            dependsOnWeights[value(ofNode: index)] = needs || hasParameters[node.layer]
        }
        return BackwardPlan(visits: Array(dependsOnWeights.dropFirst(inputCount)), needsInputGradient: needsInputGradient)
    }
}
