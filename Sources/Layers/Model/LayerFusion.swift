import Tensor

/// Where the executor runs the work of several nodes as one (``Model/fusesLayers``):
///
/// - **BatchNormalization → ReLU** (training and inference): the normalisation rectifies its
///   own output and the ReLU node passes its input through, one pass over memory instead of
///   two each way, bit for bit the same values and gradients.
/// - **Conv2D → BatchNormalization** (inference): the normalisation's scale and shift are
///   folded into a copy of the convolution's kernel and bias (and the ReLU after them into
///   its activation), so predicting runs one convolution for the three layers.
///
/// A node is fused only with the node that alone reads its output, when neither is a model
/// output nor a shared layer's call.
struct LayerFusion {
    /// Nodes whose work an earlier node does in training and inference: output = input.
    var passesThrough: [Bool]
    /// The same in inference, with the normalisations folded into their convolution.
    var passesThroughInInference: [Bool]
    /// For inference: the convolution node → the normalisation node folded into it.
    var foldedNormalization: [Int: Int] = [:]
    /// For inference: whether a node is a convolution with a normalisation folded into it
    /// (the executor's per-node test, without a dictionary lookup).
    var foldsNormalization: [Bool]

    /// No fusion for `nodes` nodes.
    init(nodes: Int) {
        passesThrough = Array(repeating: false, count: nodes)
        passesThroughInInference = passesThrough
        foldsNormalization = passesThrough
    }

    /// The fusions of `graph` over `layers` (none unless `enabled`); sets
    /// ``BatchNormalization/rectifiesOutput`` on the normalisations that take over a ReLU
    /// (and clears it elsewhere).
    init(graph: Graph, layers: inout [any Layer], kinds: [LayerKind], enabled: Bool) {
        self.init(nodes: graph.nodes.count)
        var readers = [Int](repeating: 0, count: graph.valueCount)
        for node in graph.nodes { for input in node.inputs { readers[input] += 1 } }
        /// The node computing `node`'s single input, when `node` is its only reader.
        func soleSource(of node: Int) -> Int? {
            guard graph.nodes[node].inputs.count == 1, let source = graph.node(ofValue: graph.nodes[node].inputs[0]),
                  readers[graph.value(ofNode: source)] == 1, !graph.isOutput[graph.value(ofNode: source)] else { return nil }
            return source
        }
        func fusable(_ node: Int) -> Bool {
            let layer = graph.nodes[node].layer
            return graph.callCounts[layer] == 1 && kinds[layer] == .handWritten
        }
        for index in layers.indices {
            guard var normalization = layers[index] as? BatchNormalization else { continue }
            normalization.rectifiesOutput = false
            layers[index] = normalization
        }
        guard enabled else { return }
        for (index, node) in graph.nodes.enumerated() where fusable(index) {
            if (layers[node.layer] as? any ActivationLayer)?.activation == .relu, let source = soleSource(of: index),
               fusable(source), var normalization = layers[graph.nodes[source].layer] as? BatchNormalization {
                normalization.rectifiesOutput = true
                layers[graph.nodes[source].layer] = normalization
                passesThrough[index] = true
            }
        }
        passesThroughInInference = passesThrough
        for (index, node) in graph.nodes.enumerated() where fusable(index) && layers[node.layer] is BatchNormalization {
            if let source = soleSource(of: index), fusable(source),
               let convolution = layers[graph.nodes[source].layer] as? Conv2D, convolution.activation == .linear {
                foldedNormalization[source] = index
                foldsNormalization[source] = true
                passesThroughInInference[index] = true
            }
        }
    }
}

extension Conv2D {
    /// A convolution computing `normalization(self(x))` (and its ReLU when the normalisation
    /// rectifies), for inference: the kernel scaled by `γ/√(σ² + ε)` per filter and the bias
    /// `(bias − μ)·γ/√(σ² + ε) + β`. `reusing` is an earlier folded copy, rebuilt only when
    /// its geometry differs, so that its buffers are kept.
    func folding(_ normalization: BatchNormalization, inputShape: [Int], reusing earlier: Conv2D?) throws -> Conv2D {
        let activation: ActivationFunction = normalization.rectifiesOutput ? .relu : .linear
        var folded: Conv2D
        if let earlier, earlier.activation == activation {
            folded = earlier
        } else {
            folded = Conv2D(filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, activation: activation,
                            useBias: true, algorithm: computedAlgorithm)
            var context = BuildContext(generator: RandomGenerator(seed: 0), needsInputGradient: false)
            _ = try folded.build(inputShape: inputShape, context: &context)
        }
        let (gamma, beta) = (normalization.gamma.value.scalars, normalization.beta.value.scalars)
        let (mean, variance) = (normalization.movingMean.value.scalars, normalization.movingVariance.value.scalars)
        let scale = (0..<filters).map { gamma[$0] / (variance[$0] + normalization.epsilon).squareRoot() }
        let bias = useBias ? self.bias.value.scalars : [Float](repeating: 0, count: filters)
        let scaleTensor = try Tensor(shape: [filters], scalars: scale)
        folded.kernel.value = try Tensor.broadcasting(kernel.value, scaleTensor) { $0 * $1 }
        folded.bias.value = try Tensor(shape: [filters], scalars: (0..<filters).map { (bias[$0] - mean[$0]) * scale[$0] + beta[$0] })
        return folded
    }
}
