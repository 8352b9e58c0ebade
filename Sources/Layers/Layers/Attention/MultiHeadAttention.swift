import Foundation
import Tensor

/// Scaled dot-product attention with several heads, as Keras's `MultiHeadAttention`: the
/// query, key and value sequences are projected per head (`heads` × `keyDim`), each query
/// step attends to every key step with `softmax(Q·Kᵀ / √keyDim)`, and the heads' weighted
/// values are projected back to the query's feature count (or `outputShape`).
///
/// Call it on the query and the value sequences (`[steps, features]` samples); the key is the
/// value unless given, and an attention mask (`[querySteps, keySteps]` per sample, 1 where a
/// query step may attend, 0 where not) is optional:
///
/// ```swift
/// let tokens = Input(shape: [16, 64])
/// let attended = try MultiHeadAttention(heads: 4, keyDim: 16)(tokens, tokens)          // self-attention
/// let causal = try MultiHeadAttention(heads: 4, keyDim: 16, useCausalMask: true)(tokens, tokens)
/// let masked = try MultiHeadAttention(heads: 2, keyDim: 8)(tokens, memory, attentionMask: mask)
/// ```
/// With `returnAttentionScores` a call also returns the attention weights (Keras's
/// `return_attention_scores`: the softmax, before dropout), `[heads, querySteps, keySteps]`
/// per sample; ``allOutputs(_:_:key:attentionMask:)`` gives both.
///
/// Its weights have Keras's names and shapes: `query/kernel` `[features, heads, keyDim]`,
/// `query/bias` `[heads, keyDim]`, the same for `key` and `value` (`valueDim`), and
/// `attention_output/kernel` `[heads, valueDim, outputDim]` with its bias.
public struct MultiHeadAttention: MergeLayer, MaskingLayer, MultiOutputLayer {
    public var name = ""
    /// The number of attention heads.
    public let heads: Int
    /// The size of each head's query and key projections.
    public let keyDim: Int
    /// The size of each head's value projection (`keyDim` unless given).
    public let valueDim: Int
    /// The fraction of attention weights dropped while training.
    public let dropout: Float
    /// Whether the projections add biases.
    public let useBias: Bool
    /// The output's feature count; nil for the query's.
    public let outputShape: Int?
    /// Whether each query step attends only to key steps up to its own (a decoder's mask).
    public let useCausalMask: Bool
    /// Whether a call also returns the attention weights.
    public let returnAttentionScores: Bool
    public let kernelInitializer, biasInitializer: Initializer
    public var queryKernel, queryBias, keyKernel, keyBias, valueKernel, valueBias, outputKernel, outputBias: Parameter

    private var check = HyperparameterCheck("MultiHeadAttention")
    /// The causal mask of the last call's step counts, kept for the next calls.
    private var causalMask = Tensor([])

    /// Attention with `heads` heads of `keyDim` (Keras's defaults otherwise).
    public init(
        heads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Float = 0, useBias: Bool = true, outputShape: Int? = nil,
        useCausalMask: Bool = false, returnAttentionScores: Bool = false, kernelInitializer: Initializer = .glorotUniform,
        biasInitializer: Initializer = .zeros
    ) {
        self.heads = heads
        self.keyDim = keyDim
        self.valueDim = valueDim ?? keyDim
        self.dropout = dropout
        self.useBias = useBias
        self.outputShape = outputShape
        self.useCausalMask = useCausalMask
        self.returnAttentionScores = returnAttentionScores
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        (queryKernel, queryBias) = (Parameter(name: "query/kernel"), Parameter(name: "query/bias"))
        (keyKernel, keyBias) = (Parameter(name: "key/kernel"), Parameter(name: "key/bias"))
        (valueKernel, valueBias) = (Parameter(name: "value/kernel"), Parameter(name: "value/bias"))
        (outputKernel, outputBias) = (Parameter(name: "attention_output/kernel"), Parameter(name: "attention_output/bias"))
        check.require(heads > 0, "heads", heads, "expected a positive integer")
        check.require(keyDim > 0, "keyDim", keyDim, "expected a positive integer")
        check.require(self.valueDim > 0, "valueDim", self.valueDim, "expected a positive integer")
        check.require(dropout >= 0 && dropout < 1, "dropout", dropout, "expected a value in [0, 1)")
        check.require((outputShape ?? 1) > 0, "outputShape", outputShape ?? 0, "expected a positive integer")
    }

    /// Records a call on `query` and `value` sequences (the key is `value` unless given), with
    /// an optional attention mask `[querySteps, keySteps]` per sample.
    public func callAsFunction(
        _ query: any SymbolicValue, _ value: any SymbolicValue, key: (any SymbolicValue)? = nil,
        attentionMask: (any SymbolicValue)? = nil
    ) throws -> SymbolicTensor {
        try callAsFunction([query, value, key ?? value] + (attentionMask.map { [$0] } ?? []))
    }

    /// Records a call as ``callAsFunction(_:_:key:attentionMask:)`` does and returns its
    /// outputs: the attended sequence, then (with ``returnAttentionScores``) the weights.
    public func allOutputs(
        _ query: any SymbolicValue, _ value: any SymbolicValue, key: (any SymbolicValue)? = nil,
        attentionMask: (any SymbolicValue)? = nil
    ) throws -> [SymbolicTensor] {
        try allOutputs([query, value, key ?? value] + (attentionMask.map { [$0] } ?? []))
    }

    /// 2 with ``returnAttentionScores`` (the output, the weights), else 1.
    public var outputCount: Int { returnAttentionScores ? 2 : 1 }

    /// The weights' shape `[heads, querySteps, keySteps]`.
    public func extraOutputShapes(inputShapes: [[Int]]) -> [[Int]] {
        guard returnAttentionScores, inputShapes.count >= 2 else { return [] }
        return [[heads, inputShapes[0][0], (inputShapes.count > 2 ? inputShapes[2] : inputShapes[1])[0]]]
    }

    public mutating func build(inputShapes: [[Int]], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        guard (2...4).contains(inputShapes.count), inputShapes.prefix(3).allSatisfy({ $0.count == 2 && !$0.contains(0) }) else {
            throw LayersError.incompatibleInput(
                layer: name, expected: "query and value (and key) sequences (None, steps, features)",
                received: inputShapes.first ?? [], hint: "call it as MultiHeadAttention(...)(query, value, key:, attentionMask:)")
        }
        let (query, value) = (inputShapes[0], inputShapes[1])
        let key = inputShapes.count > 2 ? inputShapes[2] : value
        guard key[0] == value[0] else {
            throw LayersError.incompatibleInput(layer: name, expected: "a key of \(value[0]) steps, as the value",
                                                received: key, hint: nil)
        }
        if inputShapes.count == 4, inputShapes[3] != [query[0], key[0]] {
            throw LayersError.incompatibleInput(
                layer: name, expected: "an attention mask (None, \(query[0]), \(key[0])): query steps × key steps",
                received: inputShapes[3], hint: nil)
        }
        let outputDim = outputShape ?? query[1]
        func make(_ parameter: inout Parameter, _ shape: [Int], _ initializer: Initializer) throws {
            parameter.value = try initializer.makeTensor(shape, using: &context.generator)
        }
        try make(&queryKernel, [query[1], heads, keyDim], kernelInitializer)
        try make(&keyKernel, [key[1], heads, keyDim], kernelInitializer)
        try make(&valueKernel, [value[1], heads, valueDim], kernelInitializer)
        try make(&outputKernel, [heads, valueDim, outputDim], kernelInitializer)
        if useBias {
            try make(&queryBias, [heads, keyDim], biasInitializer)
            try make(&keyBias, [heads, keyDim], biasInitializer)
            try make(&valueBias, [heads, valueDim], biasInitializer)
            try make(&outputBias, [outputDim], biasInitializer)
        }
        return [query[0], outputDim]
    }

    public mutating func call(_ inputs: [Variable], context: inout ForwardContext) throws -> Variable {
        try callReturningAll(inputs, context: &context)[0]
    }

    /// The attended sequence and, with ``returnAttentionScores``, the attention weights.
    public mutating func callReturningAll(_ inputs: [Variable], context: inout ForwardContext) throws -> [Variable] {
        let (query, value, key) = (inputs[0], inputs[1], inputs.count > 2 ? inputs[2] : inputs[1])
        let (batch, querySteps, keySteps) = (query.shape[0], query.shape[1], key.shape[1])
        /// `[batch, steps, heads · size]`: the layout ``AttentionKernel`` takes.
        func project(_ x: Variable, _ kernel: Parameter, _ bias: Parameter, size: Int) throws -> Variable {
            let weights = try context[kernel].reshaped([x.shape[2], heads * size])
            let y = try x.matmul(weights)
            return useBias ? try y + context[bias].reshaped([heads * size]) : y
        }
        let q = try project(query, queryKernel, queryBias, size: keyDim)
        let k = try project(key, keyKernel, keyBias, size: keyDim)
        let v = try project(value, valueKernel, valueBias, size: valueDim)
        let stepMasks = (0..<3).map { context.inputMasks.count > $0 ? context.inputMasks[$0] : nil }
        let mask = try attentionMask(inputs.count > 3 ? inputs[3].value : nil, stepMasks: stepMasks, batch: batch,
                                     querySteps: querySteps, keySteps: keySteps)
        let attended: Variable
        var scores: Variable?
        let dropping = context.training && dropout > 0
        if dropping || returnAttentionScores {
            let seed = dropping ? context.generator.next() : 0
            (attended, scores) = try attentionOnTape(q, k, v, mask: mask, dropout: dropping ? dropout : 0, seed: seed)
        } else {
            attended = try wrappingTensorErrors {
                try q.attention(key: k, value: v, heads: heads, keyDim: keyDim, valueDim: valueDim, adding: mask)
            }
        }
        var output = try attended.matmul(try context[outputKernel].reshaped([heads * valueDim, outputKernel.value.shape[2]]))
        if useBias { output = try output + context[outputBias] }
        return returnAttentionScores ? [output, scores!] : [output]
    }

    /// The attention written with the tape's operations, for dropout on the weights (the
    /// kernel has none) and for returning them: the attended values `[batch, Tq, heads · valueDim]`
    /// (the same result as ``AttentionKernel`` without dropout) and the weights `[batch, heads, Tq, Tk]`.
    private func attentionOnTape(_ q: Variable, _ k: Variable, _ v: Variable, mask: Tensor?, dropout: Float, seed: UInt64)
        throws -> (attended: Variable, weights: Variable) {
        let (batch, querySteps, keySteps) = (q.shape[0], q.shape[1], k.shape[1])
        func splitHeads(_ x: Variable, size: Int) throws -> Variable {
            try x.reshaped([batch, x.shape[1], heads, size]).permuted([0, 2, 1, 3])
        }
        var scores = try splitHeads(q, size: keyDim).matmul(splitHeads(k, size: keyDim), transposeOther: true)
            * (1 / Float(keyDim).squareRoot())  // [batch, heads, Tq, Tk]
        if let mask { scores = try scores + Variable(try mask.reshaped([mask.shape[0], 1, querySteps, keySteps])) }
        let weights = try scores.softmax()
        let kept = dropout > 0 ? try weights.dropout(rate: dropout, seed: seed) : weights
        let attended = try kept.matmul(splitHeads(v, size: valueDim)).permuted([0, 2, 1, 3])
            .reshaped([batch, querySteps, heads * valueDim])
        return (attended, weights)
    }

    /// What is added to the scores: −1e9 where `given` is 0, where a query, value or key step
    /// is masked (`stepMasks`, from an `Embedding(maskZero: true)`, as Keras combines them) and,
    /// with a causal mask, after each query step; `[1 or batch, Tq, Tk]`, or nil for no mask.
    private mutating func attentionMask(_ given: Tensor?, stepMasks: [Tensor?], batch: Int, querySteps: Int, keySteps: Int)
        throws -> Tensor? {
        try wrappingTensorErrors {
            var allowed = try given?.reshaped([batch, querySteps, keySteps])
            for (index, mask) in stepMasks.enumerated() {
                guard let mask else { continue }
                // The query's mask is over rows (query steps), the value's and key's over columns.
                let spread = try mask.reshaped(index == 0 ? [batch, querySteps, 1] : [batch, 1, keySteps])
                allowed = try allowed.map { try Tensor.broadcasting($0, spread, *) }
                    ?? Tensor.broadcasting(spread, Tensor.ones([1, querySteps, keySteps]), *)
            }
            let adder = try allowed?.map { $0 == 0 ? -1e9 : 0 }
            guard useCausalMask else { return adder }
            if causalMask.shape != [1, querySteps, keySteps] {
                // Key step j is after query step i where j > i.
                causalMask = try Tensor(shape: [1, querySteps, keySteps], scalars: (0..<(querySteps * keySteps)).map {
                    $0 % keySteps > $0 / keySteps ? Float(-1e9) : 0
                })
            }
            return try adder.map { try Tensor.broadcasting($0, causalMask, +) } ?? causalMask  // −2e9 where both mask
        }
    }

    /// The query's mask: the output has the query's steps.
    public func outputMask(inputs: [Tensor], inputMasks: [Tensor?]) throws -> Tensor? { inputMasks.first ?? nil }

    public mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&queryKernel)
        if useBias { try body(&queryBias) }
        try body(&keyKernel)
        if useBias { try body(&keyBias) }
        try body(&valueKernel)
        if useBias { try body(&valueBias) }
        try body(&outputKernel)
        if useBias { try body(&outputBias) }
    }
}

// MARK: Saving

extension MultiHeadAttention: SerializableLayer {
    public struct Configuration: Codable {
        var heads, keyDim, valueDim: Int
        var dropout: Float
        var useBias: Bool
        var outputShape: Int?
        var useCausalMask: Bool
        /// Absent (false) in files written before it existed.
        var returnAttentionScores: Bool?
        var kernelInitializer, biasInitializer: Initializer
    }
    public var configuration: Configuration {
        Configuration(heads: heads, keyDim: keyDim, valueDim: valueDim, dropout: dropout, useBias: useBias,
                      outputShape: outputShape, useCausalMask: useCausalMask,
                      returnAttentionScores: returnAttentionScores ? true : nil, kernelInitializer: kernelInitializer,
                      biasInitializer: biasInitializer)
    }
    public init(configuration c: Configuration) {
        self.init(heads: c.heads, keyDim: c.keyDim, valueDim: c.valueDim, dropout: c.dropout, useBias: c.useBias,
                  outputShape: c.outputShape, useCausalMask: c.useCausalMask,
                  returnAttentionScores: c.returnAttentionScores ?? false, kernelInitializer: c.kernelInitializer,
                  biasInitializer: c.biasInitializer)
    }
}
