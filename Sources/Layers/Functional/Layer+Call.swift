import Tensor

extension Layer {
    /// Records a call of this layer on `input` in a functional model being defined and returns
    /// its output (Keras's `layer(x)`). Calling one layer value (or its copies) again shares
    /// its weights.
    /// - Throws: ``LayersError`` naming the layer when it cannot take the input's shape.
    public func callAsFunction(_ input: some SymbolicValue) throws -> SymbolicTensor {
        let input = input.symbolic
        if let merge = self as? any MergeLayer {
            return try merge.callAsFunction([input])
        }
        var probe = self
        var context = BuildContext(generator: RandomGenerator(seed: 0))
        let shape = try symbolicCall(self, on: [input]) { try probe.build(inputShape: input.shape, context: &context) }
        return SymbolicTensor(shape: shape, source: SymbolicCall(layer: self, inputs: [input]))
    }
}

extension MergeLayer {
    /// Records a call of this merge layer on `inputs` (Keras's `Add()([a, b])`).
    /// - Throws: ``LayersError`` naming the layer when the inputs' shapes do not fit together.
    public func callAsFunction(_ inputs: [any SymbolicValue]) throws -> SymbolicTensor {
        let inputs = inputs.map(\.symbolic)
        var probe = self
        var context = BuildContext(generator: RandomGenerator(seed: 0))
        let shape = try symbolicCall(self, on: inputs) { try probe.build(inputShapes: inputs.map(\.shape), context: &context) }
        return SymbolicTensor(shape: shape, source: SymbolicCall(layer: self, inputs: inputs))
    }

    /// Records a call of this merge layer on `inputs` (`Add()(a, b)`).
    /// - Throws: ``LayersError`` naming the layer when the inputs' shapes do not fit together.
    public func callAsFunction(_ first: any SymbolicValue, _ others: any SymbolicValue...) throws -> SymbolicTensor {
        try callAsFunction([first] + others)
    }
}

/// Runs `build` (the layer's shape check) for a call, naming the layer and what it was
/// called on in any error.
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
