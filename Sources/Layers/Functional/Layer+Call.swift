import Tensor

extension Layer {
    /// Records a call of this layer on `input` in a functional model being defined and returns
    /// its output (Keras's `layer(x)`). Calling one layer value (or its copies) again shares
    /// its weights.
    /// - Throws: ``LayersError`` naming the layer when it cannot take the input's shape, or when
    ///   it returns several tensors (``MultiOutputLayer/allOutputs(_:)`` gives them).
    public func callAsFunction(_ input: some SymbolicValue) throws -> SymbolicTensor {
        let input = input.symbolic
        if let merge = self as? any MergeLayer {
            return try merge.callAsFunction([input])
        }
        return try singleOutput(of: try recordCall(on: [input]))
    }

    /// Records a call on `inputs` and returns its outputs (one, or a ``MultiOutputLayer``'s several).
    func recordCall(on inputs: [SymbolicTensor]) throws -> [SymbolicTensor] {
        var probe = self
        var context = BuildContext(generator: RandomGenerator(seed: 0))
        var shapes: [[Int]] = []
        try symbolicCall(self, on: inputs) {
            if var merge = probe as? any MergeLayer {
                shapes = [try merge.build(inputShapes: inputs.map(\.shape), context: &context)]
                probe = merge as! Self
            } else {
                shapes = [try probe.build(inputShape: inputs[0].shape, context: &context)]
                if inputs.count > 1 { try checkExtraInputs(of: probe, inputs.map(\.shape)) }
            }
            if let multiple = probe as? any MultiOutputLayer, multiple.outputCount > 1 {
                shapes += multiple.extraOutputShapes(inputShapes: inputs.map(\.shape))
            }
            return shapes[0]
        }
        let call = SymbolicCall(layer: self, inputs: inputs, outputCount: shapes.count)
        return shapes.enumerated().map { SymbolicTensor(shape: $1, source: call, outputIndex: $0) }
    }

    /// The one output of a call; an error naming ``MultiOutputLayer/allOutputs(_:)`` for several.
    func singleOutput(of outputs: [SymbolicTensor]) throws -> SymbolicTensor {
        guard outputs.count == 1 else {
            let label = name.isEmpty ? snakeCase(Self.typeName) : name
            throw LayersError.invalidGraph(
                "\(Self.typeName) '\(label)' returns \(outputs.count) tensors (its output, then "
                    + (self is any MergeLayer ? "its attention scores" : "its final states")
                    + "); call allOutputs on it to get them all")
        }
        return outputs[0]
    }
}

extension MergeLayer {
    /// Records a call of this merge layer on `inputs` (Keras's `Add()([a, b])`).
    /// - Throws: ``LayersError`` naming the layer when the inputs' shapes do not fit together.
    public func callAsFunction(_ inputs: [any SymbolicValue]) throws -> SymbolicTensor {
        try singleOutput(of: try recordCall(on: inputs.map(\.symbolic)))
    }

    /// Records a call of this merge layer on `inputs` (`Add()(a, b)`).
    /// - Throws: ``LayersError`` naming the layer when the inputs' shapes do not fit together.
    public func callAsFunction(_ first: any SymbolicValue, _ others: any SymbolicValue...) throws -> SymbolicTensor {
        try callAsFunction([first] + others)
    }
}

/// Runs `build` (the layer's shape check) for a call, naming the layer and what it was
/// called on in any error.
@discardableResult
private func symbolicCall(_ layer: any Layer, on inputs: [SymbolicTensor], _ build: () throws -> [Int]) throws -> [Int] {
    do {
        return try wrappingTensorErrors(build)
    } catch let error as LayersError {
        let label = layer.name.isEmpty ? snakeCase(type(of: layer).typeName) : layer.name
        throw LayersError.inCall(
            layer: "\(label) (\(type(of: layer).typeName))", inputs: inputs.map { "\($0.source.label) \($0.shape)" },
            error: error)
    }
}
