import Foundation
import Testing
@testable import Layers
import Tensor

/// `MultiHeadAttention(returnAttentionScores: true)` (Keras's `return_attention_scores`): a
/// call returns the attended sequence and the attention weights.
@Suite("Attention returning its scores")
struct AttentionScoresTests {
    static let x = randomTensor([3, 4, 6], seed: 1)

    /// Self-attention over `[4, 6]` sequences, returning the output and the weights.
    static func model(causal: Bool = false, scores: Bool = true, seed: UInt64 = 2) throws -> Model {
        let tokens = Input(shape: [4, 6])
        let attention = MultiHeadAttention(heads: 2, keyDim: 3, useCausalMask: causal, returnAttentionScores: scores)
        let outputs = try attention.allOutputs(tokens, tokens)
        return try Model(inputs: [tokens], outputs: outputs, seed: seed)
    }

    @Test("the weights are [heads, Tq, Tk] rows of a softmax, the output that of the layer without them")
    func weights() throws {
        let predicted = try Self.model().predict([Self.x])
        #expect(predicted.map(\.shape) == [[3, 4, 6], [3, 2, 4, 4]])
        let sums = try predicted[1].sum(alongAxis: 3).scalars
        #expect(sums.allSatisfy { abs($0 - 1) < 1e-5 }, "\(sums)")
        #expect(predicted[1].scalars.allSatisfy { $0 > 0 && $0 < 1 })
        // Same seed, same weights: the attention kernel's output, without the weights.
        let plain = try Self.model(scores: false).predict([Self.x])[0]
        #expect(zip(plain.scalars, predicted[0].scalars).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("with a causal mask a query step gives no weight to later key steps")
    func causal() throws {
        let weights = try Self.model(causal: true).predict([Self.x])[1]
        for sample in 0..<3 {
            for head in 0..<2 {
                for query in 0..<4 {
                    for key in 0..<4 {
                        let weight = weights.scalars[((sample * 2 + head) * 4 + query) * 4 + key]
                        #expect(key <= query ? weight > 0 : weight == 0, "sample \(sample) head \(head) [\(query), \(key)]")
                    }
                }
            }
        }
    }

    @Test("a training step through the output and the weights follows the finite-difference gradient")
    func gradients() throws {
        let tokens = Input(shape: [4, 6])
        let outputs = try MultiHeadAttention(heads: 2, keyDim: 3, returnAttentionScores: true).allOutputs(tokens, tokens)
        let features = try Concatenate()(try Flatten()(outputs[0]), try Flatten()(outputs[1]))
        let model = try Model(inputs: tokens, outputs: try Dense(units: 1)(features), seed: 3)
        try model.compile(optimizer: SGD(learningRate: 1), loss: .meanSquaredError)
        try checkTrainingStep(model, x: [Self.x], y: [randomTensor([3, 1], seed: 4)])
    }

    @Test("the model saves as format version 4 and loads with the same predictions; one output alone is an error")
    func savesAndLoads() throws {
        let model = try Self.model(causal: true)
        try model.build(inputShapes: [[4, 6]])
        let (version, loaded) = try savedAndLoaded(model)
        #expect(version == "4")
        #expect(try loaded.predict([Self.x]) == (try model.predict([Self.x])))
        #expect(try model.summary().contains("(None, 2, 4, 4)"))
        let tokens = Input(shape: [4, 6])
        #expect {
            _ = try MultiHeadAttention(heads: 2, keyDim: 3, returnAttentionScores: true)(tokens, tokens)
        } throws: { "\($0)".contains("returns 2 tensors") && "\($0)".contains("attention scores") }
    }
}
