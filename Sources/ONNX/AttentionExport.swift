import Layers
import Tensor

/// `MultiHeadAttention` as MatMul, Reshape, Transpose and Softmax (opset 13 has no attention
/// operator): each projection `x·W + b` split into heads, `softmax(Q·Kᵀ / √keyDim + mask)·V`,
/// the heads joined and projected back. The attention mask input becomes `(1 − mask)·(−1e9)`.
extension MultiHeadAttention: ONNXMergeExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, inputs: [ONNXGraphBuilder.Value], outputShape: [Int]) throws {
        let (query, value) = (inputs[0], inputs[1])
        let key = inputs.count > 2 ? inputs[2] : value
        let (querySteps, keySteps, outputDim) = (query.shape[0], key.shape[0], outputKernel.value.shape[2])
        func constant(_ suffix: String, _ tensor: Tensor, shape: [Int]) -> String {
            graph.constant("\(name).\(suffix)", dims: shape, floats: tensor.scalars)
        }
        func int64s(_ suffix: String, _ values: [Int]) -> String {
            graph.constant("\(name).\(suffix)", int64s: values.map(Int64.init))
        }
        /// `x·W + b` as `[N, heads, steps, size]` (or `[N, heads, size, steps]` for the key).
        func project(_ x: ONNXGraphBuilder.Value, _ label: String, _ kernel: Parameter, _ bias: Parameter, size: Int,
                     transposed: Bool = false) -> ONNXGraphBuilder.Value {
            graph.read(x)
            graph.requireModelLayout()
            let steps = x.shape[0]
            graph.apply("MatMul", name: "\(name)_\(label)",
                        extraInputs: [constant("\(label).kernel", kernel.value, shape: [x.shape[1], heads * size])],
                        shape: [steps, heads * size])
            if useBias {
                graph.apply("Add", name: "\(name)_\(label)_bias",
                            extraInputs: [constant("\(label).bias", bias.value, shape: [heads * size])])
            }
            graph.apply("Reshape", name: "\(name)_\(label)_heads", extraInputs: [int64s("\(label).heads", [0, steps, heads, size])],
                        shape: [steps, heads, size])
            graph.apply("Transpose", name: "\(name)_\(label)_transposed",
                        attributes: [.ints("perm", transposed ? [0, 2, 3, 1] : [0, 2, 1, 3])],
                        shape: transposed ? [heads, size, steps] : [heads, steps, size])
            return graph.value
        }
        let q = project(query, "query", queryKernel, queryBias, size: keyDim)
        let k = project(key, "key", keyKernel, keyBias, size: keyDim, transposed: true)
        let v = project(value, "value", valueKernel, valueBias, size: valueDim)
        graph.merge("MatMul", [q, k], name: "\(name)_scores", shape: [heads, querySteps, keySteps])
        graph.apply("Mul", name: "\(name)_scaled",
                    extraInputs: [graph.constant("\(name).scale", dims: [], floats: [1 / Float(keyDim).squareRoot()])])
        if useCausalMask {
            let causal = (0..<(querySteps * keySteps)).map { $0 % keySteps > $0 / keySteps ? Float(-1e9) : 0 }
            graph.apply("Add", name: "\(name)_causal",
                        extraInputs: [graph.constant("\(name).causal_mask", dims: [querySteps, keySteps], floats: causal)])
        }
        if inputs.count > 3 {
            // (mask − 1)·1e9: 0 where a step may be attended, −1e9 where not, for every head.
            let scores = graph.value
            let billion = graph.constant("\(name).billion", dims: [], floats: [1e9])
            graph.read(inputs[3])
            graph.requireModelLayout()
            graph.apply("Mul", name: "\(name)_mask_scaled", extraInputs: [billion])
            graph.apply("Sub", name: "\(name)_mask_adder", extraInputs: [billion])
            graph.apply("Unsqueeze", name: "\(name)_mask_heads", extraInputs: [int64s("mask_axes", [1])],
                        shape: [1, querySteps, keySteps])
            graph.merge("Add", [scores, graph.value], name: "\(name)_masked", shape: scores.shape)
        }
        graph.apply("Softmax", name: "\(name)_weights", attributes: [.int("axis", -1)])
        graph.merge("MatMul", [graph.value, v], name: "\(name)_attended", shape: [heads, querySteps, valueDim])
        graph.apply("Transpose", name: "\(name)_steps_first", attributes: [.ints("perm", [0, 2, 1, 3])],
                    shape: [querySteps, heads, valueDim])
        graph.apply("Reshape", name: "\(name)_joined", extraInputs: [int64s("joined", [0, querySteps, heads * valueDim])],
                    shape: [querySteps, heads * valueDim])
        graph.apply("MatMul", name: "\(name)_output",
                    extraInputs: [constant("attention_output.kernel", outputKernel.value, shape: [heads * valueDim, outputDim])],
                    shape: outputShape)
        if useBias {
            graph.apply("Add", name: "\(name)_output_bias",
                        extraInputs: [constant("attention_output.bias", outputBias.value, shape: [outputDim])])
        }
    }
}

/// `PositionEmbedding` as its table's first rows, expanded to the input's batch.
extension PositionEmbedding: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireModelLayout()
        let (steps, features) = (outputShape[0], outputShape[1])
        let rows = Array(embeddings.value.scalars.prefix(steps * features))
        let table = ONNXGraphBuilder.Value(
            name: graph.constant("\(name).embeddings", dims: [1, steps, features], floats: rows), shape: outputShape, layout: .nhwc)
        graph.apply("Shape", name: name + "_shape", shape: [3])
        graph.merge("Expand", [table, graph.value], name: name, shape: outputShape)
    }
}
