import Tensor

extension Model {
    // MARK: The step

    /// Forward in training mode, the loss of each output, backward, regularisation and one
    /// optimizer update. Returns the loss minimised (the outputs' losses weighted by
    /// ``lossWeights``, plus regularisation), each output's own loss, and the predictions.
    func trainStep(x: [Tensor], y: [Tensor], sampleWeights: Tensor? = nil) throws -> StepResult {
        let predictions = try forward(x, training: true)
        let masks = outputMasks
        var total: Float = 0
        var outputLosses: [Float] = []
        var gradients: [Tensor] = []
        var fused: [Bool] = []
        for (index, (prediction, target)) in zip(predictions, y).enumerated() {
            let fuse = canFuseLoss(ofOutput: index)
            var (value, gradient) = try wrappingTensorErrors {
                try losses[index].compute(prediction: prediction, target: target, fused: fuse, sampleWeights: sampleWeights,
                                          mask: masks.isEmpty ? nil : masks[index])
            }
            // A weight of 0 still sends a (zero) gradient, so that every layer gets one.
            if lossWeights[index] != 1 { gradient *= lossWeights[index] }
            total += lossWeights[index] * value
            outputLosses.append(value)
            gradients.append(gradient)
            fused.append(fuse)
        }
        try backward(gradients, fusedAtOutputs: fused)
        total += regularizationLoss()
        try applyOptimizer()
        return StepResult(loss: total, outputLosses: outputLosses, predictions: predictions, masks: masks)
    }

    /// Whether output `index`'s loss may be computed together with the activation of the
    /// layer that produces it (softmax with cross-entropy): the layer is hand-written, ends
    /// in the activation the loss fuses, and no other node reads its output.
    private func canFuseLoss(ofOutput index: Int) -> Bool {
        let value = graph.outputs[index]
        guard let activation = losses[index].fusableActivation, let node = graph.node(ofValue: value),
              graph.nodes[node].outputCount == 1, layerCalls[node] == nil, graph.lastReaders[value] == -1 else { return false }
        return (layers[graph.nodes[node].layer] as? any ActivatedLayer)?.activation == activation
    }

    /// The forward pass: every node in order, each reading the values it names. A value is
    /// let go after its last reader, so inference holds only what is still to be read.
    func forward(_ x: [Tensor], training: Bool) throws -> [Tensor] {
        var shared = trainingGenerator
        var context = ForwardContext(training: training, generator: shared)
        // Under data parallelism every process draws the same seed from the shared generator
        // (which also shuffles, so the shuffles stay alike) and makes its own stream of it:
        // dropout masks and augmentations differ from process to process.
        let ownStream = training && (dataParallelism?.size ?? 1) > 1
        if ownStream, let parallelism = dataParallelism {
            let seed = shared.next()
            context.generator = RandomGenerator(seed: seed ^ (UInt64(parallelism.rank + 1) &* 0x9E37_79B9_7F4A_7C15))
        }
        let streamAtStart = context.generator
        layerCalls.removeAll()
        sharedLayerCalls.removeAll()
        var values: [Tensor?] = x
        values.reserveCapacity(graph.valueCount)
        // Each value's mask (see MaskingLayer); none until a layer makes one.
        var masks = [Tensor?](repeating: nil, count: x.count)
        var anyMask = false
        if !training { try foldConvolutionsIfChanged() }
        let passesThrough = training ? fusion.passesThrough : fusion.passesThroughInInference
        try withLayers(changingWeights: training) { layers in
            for (index, node) in graph.nodes.enumerated() {
                let inputs = node.inputs.map { values[$0]! }
                var output = inputs[0]
                var extraOutputs: [Tensor] = []  // a MultiOutputLayer's further outputs; empty (no allocation) for others
                var mask = anyMask ? masks[node.inputs[0]] : nil
                if !passesThrough[index] {
                    context.inputMasks = anyMask ? node.inputs.map { masks[$0] } : []
                    // A hand-written layer's further inputs (merges take all theirs in their call).
                    context.extraInputs = node.inputs.count > 1 && layerKinds[node.layer] == .handWritten
                        ? Array(inputs.dropFirst()) : []
                    try runNode(index, of: &layers, training: training) { layer in
                        if !training, fusion.foldsNormalization[index], foldedConvolutions[index] != nil {
                            output = try foldedConvolutions[index]!.forward(inputs[0], context: &context)
                        } else {
                            output = try forward(layer: &layer, node: index, inputs, training: training,
                                                 extraOutputs: &extraOutputs, context: &context)
                        }
                        mask = try (layer as? any MaskingLayer)?.outputMask(inputs: inputs, inputMasks: context.inputMasks)
                    }
                }
                guard extraOutputs.count == node.outputCount - 1 else {
                    let layer = layers[node.layer]
                    throw LayersError.inLayer(name: layer.name, index: node.layer, error: .invalidGraph(
                        "\(type(of: layer).typeName) returned \(extraOutputs.count + 1) outputs, its call has \(node.outputCount)"))
                }
                for read in node.inputs where graph.lastReaders[read] == index && !graph.isOutput[read] { values[read] = nil }
                values.append(output)
                masks.append(mask)
                // A layer's further outputs (final states, attention scores) carry no mask.
                for extra in extraOutputs {
                    values.append(extra)
                    masks.append(nil)
                }
                anyMask = anyMask || mask != nil
            }
        }
        // The seed counts as drawn only when a layer used its stream (the same layers on every
        // process): a model without randomness then shuffles as one process does, epoch after
        // epoch, whatever the number of processes (and a run resumes on another number).
        if training, !ownStream {
            trainingGenerator = context.generator
        } else if ownStream, context.generator != streamAtStart {
            trainingGenerator = shared
        }
        // No allocation without masks: an empty array has no storage.
        outputMasks = anyMask ? graph.outputs.map { masks[$0] } : []
        return graph.outputs.map { values[$0]! }
    }

    /// Folds each normalisation into its convolution again when the weights changed since.
    private func foldConvolutionsIfChanged() throws {
        guard foldedVersion != weightsVersion else { return }
        for (convolutionNode, normalizationNode) in fusion.foldedNormalization {
            let (convolution, normalization) = (graph.nodes[convolutionNode].layer, graph.nodes[normalizationNode].layer)
            guard let layer = layers[convolution] as? Conv2D, let next = layers[normalization] as? BatchNormalization else { continue }
            foldedConvolutions[convolutionNode] = try wrappingTensorErrors {
                try layer.folding(next, inputShape: shape(ofValue: graph.nodes[convolutionNode].inputs[0]),
                                  reusing: foldedConvolutions[convolutionNode])
            }
        }
        foldedVersion = weightsVersion
    }

    /// One node's forward pass: its output, and a ``MultiOutputLayer``'s further outputs in
    /// `extraOutputs`. A forward-only layer (or a merge) that the backward pass reaches runs on
    /// a tape of its own while training; otherwise on constants.
    private func forward(
        layer: inout any Layer, node index: Int, _ inputs: [Tensor], training: Bool, extraOutputs: inout [Tensor],
        context: inout ForwardContext
    ) throws -> Tensor {
        let recorded = training && backwardPlan.visits[index]
        let inputGradient = backwardPlan.needsInputGradient[index]
        let kind = layerKinds[graph.nodes[index].layer]
        if kind == .merge, var merge = layer as? any MergeLayer {
            defer { layer = merge }
            guard recorded else {
                var constants = context
                defer { context.generator = constants.generator }
                let outputs = try merge.callReturningAll(inputs.map(Variable.init), context: &constants)
                extraOutputs = outputs.dropFirst().map(\.value)
                return outputs[0].value
            }
            let call = try merge.recordedCall(inputs, inputGradient: inputGradient, context: &context)
            layerCalls[index] = call
            extraOutputs = call.outputs.dropFirst().map(\.value)
            return call.outputs[0].value
        }
        // Training, a forward-only layer always runs on its tape, so that a parameter its
        // forEachParameter forgets is an error rather than a weight that silently never trains.
        if kind == .forwardOnly, training, var differentiable = layer as? any DifferentiableLayer {
            defer { layer = differentiable }
            let call = try differentiable.recordedCall(inputs[0], inputGradient: inputGradient, context: &context)
            layerCalls[index] = call
            return call.outputs[0].value
        }
        let output = try layer.forward(inputs[0], context: &context)
        if graph.nodes[index].outputCount > 1 { extraOutputs = (layer as? any MultiOutputLayer)?.extraOutputs ?? [] }
        return output
    }

    /// The backward pass: the nodes in reverse, each given dLoss/dOutput (the sum over the
    /// nodes that read its output, and the loss when it is a model output), each parameter's
    /// gradient set by its layer (summed over the calls of a shared layer). `outputGradients`
    /// are the gradients of the model's outputs; where `fusedAtOutputs` says so, one is the
    /// gradient before the output layer's activation.
    func backward(_ outputGradients: [Tensor], fusedAtOutputs: [Bool]) throws {
        var gradients = [Tensor?](repeating: nil, count: graph.valueCount)
        for (output, gradient) in zip(graph.outputs, outputGradients) { gradients[output] = gradient }
        /// Whether node `index` computes an output whose loss was fused with its activation.
        func fusedAtOutput(_ index: Int) -> Bool {
            graph.isOutput[graph.value(ofNode: index)]
                && fusedAtOutputs[graph.outputs.firstIndex(of: graph.value(ofNode: index))!]
        }
        try withLayers { layers in
            for index in graph.nodes.indices.reversed() where backwardPlan.visits[index] {
                let values = graph.values(ofNode: index)
                let outputGradients = gradients[values]
                guard let gradient = outputGradients.first(where: { $0 != nil }) ?? nil else { continue }
                for value in values { gradients[value] = nil }
                var inputGradients: [Tensor] = []
                try runNode(index, of: &layers, training: true) { layer in
                    // In place on the array's layer: a copy would share its gradient buffers and force new ones.
                    if let call = layerCalls.removeValue(forKey: index) {
                        inputGradients = try call.backward(Array(outputGradients), layer: &layer)
                    } else if values.count > 1 {
                        inputGradients = [try layer.backward(outputGradients: Array(outputGradients))]
                    } else if fusion.passesThrough[index] {
                        inputGradients = [gradient]  // the node before did its work (LayerFusion)
                    } else if fusedAtOutput(index) {
                        inputGradients = [try layer.backward(preActivationGradient: gradient)]
                    } else {
                        inputGradients = [try layer.backward(gradient)]
                    }
                    // A hand-written layer's further inputs (initial states) have their own gradients.
                    if inputGradients.count < graph.nodes[index].inputs.count, let multiple = layer as? any MultiInputLayer {
                        inputGradients += multiple.extraInputGradients
                    }
                }
                guard backwardPlan.needsInputGradient[index] else { continue }
                for (input, inputGradient) in zip(graph.nodes[index].inputs, inputGradients) {
                    let sample = shape(ofValue: input)
                    guard inputGradient.shape.first == gradient.shape.first, inputGradient.shape.dropFirst().elementsEqual(sample) else {
                        let layer = graph.nodes[index].layer
                        throw LayersError.inLayer(name: layers[layer].name, index: layer, error: .invalidGradient(
                            operation: "\(type(of: layers[layer]).typeName) backward",
                            reason: "it returned an input gradient of shape \(inputGradient.shape) for an input of shape "
                                + "\([gradient.shape.first ?? 0] + sample)"))
                    }
                    if gradients[input] == nil {
                        gradients[input] = inputGradient
                    } else {
                        try wrappingTensorErrors { try gradients[input]! += inputGradient }
                    }
                }
            }
            try sumSharedLayerGradients(into: &layers)
        }
    }

    /// A shared layer's gradient is the sum of its calls' gradients; each call ran on a copy.
    private func sumSharedLayerGradients(into layers: inout [any Layer]) throws {
        for (layer, calls) in sharedLayerCalls {
            var sums: [Tensor?] = []
            // In node order: with three calls or more the order of the sums shows in the bits.
            for node in calls.keys.sorted() {
                var call = calls[node]!
                var position = 0
                try call.forEachParameter { parameter in
                    defer { position += 1 }
                    if sums.count <= position { sums.append(nil) }
                    guard parameter.trainable, parameter.gradient.shape == parameter.value.shape else { return }
                    if sums[position] == nil { sums[position] = parameter.gradient } else {
                        try wrappingTensorErrors { try sums[position]! += parameter.gradient }
                    }
                }
            }
            var position = 0
            layers[layer].forEachParameter { parameter in
                defer { position += 1 }
                guard parameter.trainable else { return }
                parameter.gradient = position < sums.count ? sums[position] ?? Tensor.zeros(like: parameter.value)
                    : Tensor.zeros(like: parameter.value)
            }
        }
    }

    /// The sum of the layers' regularisation penalties.
    func regularizationLoss() -> Float {
        layers.flatMap(\.parameters).reduce(0) { total, parameter in
            total + (parameter.regularizer?.loss(parameter.value) ?? 0)
        }
    }

    /// The optimizer's update of every trainable parameter at once: the gradients (plus
    /// regularisation) and the weights are gathered into flat buffers, the optimizer clips,
    /// decays and updates those, and the weights are written back.
    func applyOptimizer() throws {
        guard var optimizer else { return }
        // Where each trainable parameter lies in the flat buffers, checked against its gradient.
        var segments: [Range<Int>] = []
        try withLayers { layers in
            for index in layers.indices {
                let layerName = layers[index].name
                try layers[index].forEachParameter { parameter in
                    guard parameter.trainable else { return }
                    guard parameter.gradient.shape == parameter.value.shape else {
                        throw LayersError.notReady(
                            operation: "\(layerName) \(parameter.name)",
                            reason: "expected a gradient of shape \(parameter.value.shape), found \(parameter.gradient.shape); does the layer's backward set it?")
                    }
                    let start = segments.last?.upperBound ?? 0
                    segments.append(start..<(start + parameter.value.count))
                }
            }
        }
        let total = segments.last?.upperBound ?? 0
        try wrappingTensorErrors {
            try flatWeights.resizeDiscardingContents(to: [total])
            try flatGradients.resizeDiscardingContents(to: [total])
        }
        try forEachTrainableParameter(segments) { parameter, offset in
            try parameter.regularizer?.addGradient(of: parameter.value, to: &parameter.gradient)
            try flatGradients.writeScalars(of: parameter.gradient, at: offset)
            try flatWeights.writeScalars(of: parameter.value, at: offset)
        }
        // Data parallelism: one collective over the flat buffer averages every process's gradients,
        // each weighted by its shard's share of the batch (shards differ by one when the batch
        // does not divide), so the result is the whole batch's mean gradient.
        if let parallelism = dataParallelism, parallelism.size > 1 {
            if shardWeight != 1 { flatGradients *= shardWeight }
            try parallelism.averageGradients(&flatGradients)
        }
        try optimizer.update(weights: &flatWeights, gradients: &flatGradients, segments: segments, step: step)
        try forEachTrainableParameter(segments) { parameter, offset in
            try parameter.value.readScalars(from: flatWeights, at: offset)
        }
        self.optimizer = optimizer
        step += 1
    }

    /// Calls `body` on each trainable parameter, in place, with its offset in the flat buffers.
    func forEachTrainableParameter(
        _ segments: [Range<Int>], _ body: (inout Parameter, Int) throws -> Void
    ) throws {
        var index = 0
        try withLayers { layers in
            for layerIndex in layers.indices {
                try layers[layerIndex].forEachParameter { parameter in
                    guard parameter.trainable else { return }
                    try wrappingTensorErrors { try body(&parameter, segments[index].lowerBound) }
                    index += 1
                }
            }
        }
    }

    /// Runs `body` on the layer node `index` calls, naming the layer in any error it throws.
    /// A layer called by several nodes runs, while training, on a copy per call (what the call
    /// keeps for backward lives in the copy; the copy's state is the layer's after forward).
    func runNode(
        _ index: Int, of layers: inout [any Layer], training: Bool, _ body: (inout any Layer) throws -> Void
    ) throws {
        let layer = graph.nodes[index].layer
        do {
            if training, graph.callCounts[layer] > 1 {
                var call: any Layer
                if let existing = sharedLayerCalls[layer]?[index] {
                    call = existing
                } else {
                    // A new call (forward) starts without gradients: one whose backward does not run
                    // (its output does not reach the loss) must add nothing to the layer's sum.
                    call = layers[layer]
                    call.forEachParameter { if $0.trainable { $0.gradient = Tensor([]) } }
                }
                try body(&call)
                // Non-trainable state (moving averages) goes back to the layer; the weights are shared.
                var state: [Tensor] = []
                call.forEachParameter { if !$0.trainable { state.append($0.value) } }
                var next = 0
                layers[layer].forEachParameter { parameter in
                    guard !parameter.trainable else { return }
                    parameter.value = state[next]
                    next += 1
                }
                sharedLayerCalls[layer, default: [:]][index] = call
            } else {
                try body(&layers[layer])
            }
        } catch let error as LayersError {
            throw LayersError.inLayer(name: layers[layer].name, index: layer, error: error)
        } catch let error as TensorError {
            throw LayersError.inLayer(name: layers[layer].name, index: layer, error: .tensor(error))
        }
    }
}

/// What one training step returns: the loss minimised, each output's loss, the predictions.
struct StepResult {
    let loss: Float
    let outputLosses: [Float]
    let predictions: [Tensor]
    /// Each output's mask (``Model/outputMasks``), empty when there is none.
    let masks: [Tensor?]
}
