import Tensor

extension Layer {
    /// This layer's output for `input` inside the ``DifferentiableLayer/call(_:context:)`` of a
    /// layer (or model) made of layers, as PyTorch modules call their submodules. A
    /// forward-only layer's operations are recorded as they are; a layer with a hand-written
    /// backward pass is recorded as one operation whose backward is that pass, reading its
    /// trainable parameters' variables from `context` (so the outer layer's
    /// ``Layer/forEachParameter(_:)`` must list them: see ``forEachParameter(prefixedWith:_:)``).
    /// - Throws: what the layer throws, or ``LayersError`` when one of its parameters is not
    ///   listed by the outer layer.
    public mutating func callAsFunction(_ input: Variable, context: inout ForwardContext) throws -> Variable {
        if var differentiable = self as? any DifferentiableLayer {
            defer { self = differentiable as! Self }
            return try differentiable.call(input, context: &context)
        }
        var parameters: [Variable] = []
        try forEachParameter { parameter in
            if parameter.trainable { parameters.append(try context[parameter]) }
        }
        var plain = context
        plain.parameterVariables = nil
        plain.extraInputs = []  // a call on one variable; the enclosing call's further inputs are not its
        defer { context.generator = plain.generator }
        let output = try forward(input.value, context: &plain)
        let snapshot = self  // what backward needs, as this call left it
        return try Variable.record(Self.typeName, output, [input] + parameters) { outputGradient, needed in
            var layer = snapshot
            let inputGradient = try layer.backward(outputGradient)
            var gradients: [Tensor?] = [needed[0] ? inputGradient : nil]
            layer.forEachParameter { parameter in
                if parameter.trainable { gradients.append(parameter.gradient) }
            }
            return gradients
        }
    }
}
