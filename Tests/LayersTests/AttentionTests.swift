import Testing
import Layers
import Tensor

@Suite("MultiHeadAttention and PositionEmbedding")
struct AttentionTests {
    /// Self-attention over `[6, 4]` sequences, optionally with an attention mask input.
    func model(causal: Bool = false, masked: Bool = false) throws -> Model {
        let tokens = Input(shape: [6, 4], name: "tokens"), mask = Input(shape: [6, 6], name: "mask")
        let attention = MultiHeadAttention(heads: 2, keyDim: 3, useCausalMask: causal)
        let output = try attention(tokens, tokens, attentionMask: masked ? mask : nil)
        return try Model(inputs: masked ? [tokens, mask] : [tokens], outputs: [output], seed: 3)
    }

    /// `x` with the steps `steps` replaced by other values.
    func changing(_ x: Tensor, steps: Range<Int>) throws -> Tensor {
        var copy = x
        try copy.write(randomTensor([x.shape[0], steps.count, x.shape[2]], seed: 99), at: [0, steps.lowerBound])
        return copy
    }

    func rows(_ y: Tensor, _ steps: Range<Int>) throws -> [Float] { try y.slice(alongAxis: 1, steps).scalars }

    @Test("with a causal mask, step i's output does not depend on later steps (and without one it does)")
    func causal() throws {
        let x = randomTensor([3, 6, 4], seed: 1), later = try changing(x, steps: 4..<6)
        let masked = try model(causal: true)
        #expect(try rows(masked.predict(x), 0..<4) == rows(masked.predict(later), 0..<4))
        #expect(try rows(masked.predict(x), 4..<6) != rows(masked.predict(later), 4..<6))
        let unmasked = try model()
        #expect(try rows(unmasked.predict(x), 0..<4) != rows(unmasked.predict(later), 0..<4))
    }

    @Test("key steps where the attention mask is 0 do not change the output")
    func attentionMask() throws {
        let x = randomTensor([2, 6, 4], seed: 2)
        // Every query step may attend to key steps 0..<3 only.
        let mask = try Tensor(shape: [2, 6, 6], scalars: (0..<72).map { $0 % 6 < 3 ? 1 : 0 })
        let model = try model(masked: true)
        // Changing steps 3..<6 changes them as queries, but not what steps 0..<3 see.
        let before = try model.predict([x, mask])[0], after = try model.predict([try changing(x, steps: 3..<6), mask])[0]
        #expect(try rows(before, 0..<3) == rows(after, 0..<3))
        #expect(try rows(before, 3..<6) != rows(after, 3..<6))
    }

    @Test("a mask or key of the wrong shape is a clear error naming the layer")
    func shapes() throws {
        let query = Input(shape: [6, 4]), memory = Input(shape: [5, 4]), mask = Input(shape: [6, 6])
        #expect { try MultiHeadAttention(heads: 2, keyDim: 3)(query, memory, attentionMask: mask) } throws: { error in
            "\(error)".contains("an attention mask (None, 6, 5): query steps × key steps")
        }
        #expect { try MultiHeadAttention(heads: 2, keyDim: 3)(query, memory, key: query) } throws: { error in
            "\(error)".contains("a key of 5 steps, as the value")
        }
    }

    @Test("PositionEmbedding: a training step through Add follows the finite-difference gradient of its table")
    func positions() throws {
        let patches = Input(shape: [4, 3])
        let tokens = try Add()(patches, try PositionEmbedding(sequenceLength: 4)(patches))
        let model = try Model(inputs: patches, outputs: try Dense(units: 2)(try Flatten()(tokens)), seed: 4)
        try model.compile(optimizer: SGD(learningRate: 1), loss: .meanSquaredError)
        let table = model.weights[0]
        #expect(table.shape == [4, 3])
        let x = randomTensor([5, 4, 3], seed: 5)
        try checkTrainingStep(model, x: [x], y: [randomTensor([5, 2], seed: 6)])
        #expect(model.weights[0].scalars != table.scalars)
    }
}
