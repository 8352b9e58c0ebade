import Foundation
import Testing
@testable import Layers
import Tensor

/// The README's encoder-decoder, verbatim between the markers.
func readmeSeq2Seq() throws -> Model {
    // README example begins
    let source = Input(shape: [20, 8], name: "source"), target = Input(shape: [12, 8], name: "target")
    let encoded = try LSTM(units: 64, returnState: true).allOutputs(source)   // [output, h, c]
    let decoded = try LSTM(units: 64, returnSequences: true)(target, initialState: [encoded[1], encoded[2]])
    let next = try Dense(units: 8, activation: .softmax)(decoded)
    let seq2seq = try Model(inputs: [source, target], outputs: [next])
    try seq2seq.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy)  // targets: each step's next token, [batch, 12]
    // README example ends
    return seq2seq
}

/// Recurrent layers started from given states (Keras's `initial_state`): an encoder's final
/// states start a decoder.
@Suite("Recurrent layers from initial states")
struct InitialStateTests {
    static let source = randomTensor([4, 5, 2], seed: 1)
    static let target = randomTensor([4, 3, 2], seed: 2)

    /// An LSTM encoder over `[5, 2]` whose h and c start an LSTM decoder over `[3, 2]`, then Dense(1) on each step.
    static func encoderDecoder(seed: UInt64 = 3) throws -> Model {
        let source = Input(shape: [5, 2], name: "source"), target = Input(shape: [3, 2], name: "target")
        let encoded = try LSTM(units: 3, returnState: true).allOutputs(source)  // [output, h, c]
        let decoded = try LSTM(units: 3, returnSequences: true)(target, initialState: [encoded[1], encoded[2]])
        return try Model(inputs: [source, target], outputs: [try Dense(units: 1)(decoded)], seed: seed)
    }

    @Test("an encoder-decoder trains: the step's gradients (through the initial states into the encoder) match finite differences")
    func encoderDecoderGradients() throws {
        let model = try Self.encoderDecoder()
        try model.compile(optimizer: SGD(learningRate: 1), loss: .meanSquaredError)
        try checkTrainingStep(model, x: [Self.source, Self.target], y: [randomTensor([4, 3, 1], seed: 4)])
    }

    @Test("a GRU from a learned initial state (Dense on another input) follows the finite-difference gradient")
    func learnedInitialState() throws {
        let sequence = Input(shape: [3, 2], name: "sequence"), context = Input(shape: [4], name: "context")
        let start = try Dense(units: 2, activation: .tanh)(context)
        let state = try GRU(units: 2, goBackwards: true)(sequence, initialState: [start])
        let model = try Model(inputs: [sequence, context], outputs: [try Dense(units: 1)(state)], seed: 5)
        try model.compile(optimizer: SGD(learningRate: 1), loss: .meanSquaredError)
        try checkTrainingStep(model, x: [Self.target, randomTensor([4, 4], seed: 6)], y: [randomTensor([4, 1], seed: 7)])
    }

    @Test("zero initial states give the bits of no initial state; others change the output")
    func zeroStates() throws {
        let sequence = Input(shape: [3, 2]), h = Input(shape: [3], name: "h"), c = Input(shape: [3], name: "c")
        let layer = LSTM(units: 3, returnSequences: true)
        let model = try Model(inputs: [sequence, h, c], outputs: [try layer(sequence, initialState: [h, c])], seed: 8)
        let plain = try Model(inputs: [sequence], outputs: [try layer(sequence)], seed: 8)
        let zeros = try Tensor.zeros([4, 3])
        #expect(try model.predict([Self.target, zeros, zeros]) == (try plain.predict([Self.target])))
        #expect(try model.predict([Self.target, randomTensor([4, 3], seed: 9), zeros]) != (try plain.predict([Self.target])))
    }

    @Test("an encoder-decoder saves and loads with the same predictions")
    func savesAndLoads() throws {
        let model = try Self.encoderDecoder()
        try model.build(inputShapes: [[5, 2], [3, 2]])
        let (version, loaded) = try savedAndLoaded(model)
        #expect(version == "4")
        #expect(try loaded.predict([Self.source, Self.target]) == (try model.predict([Self.source, Self.target])))
    }

    @Test("the README's encoder-decoder is the code above and trains")
    func readmeExample() throws {
        let (example, readme) = try readmeCodeBlock(startingWith: "let source = Input(shape: [20, 8], name: \"source\"), target = Input(shape: [12, 8], name: \"target\")", testFile: #filePath)
        #expect(example == readme)
        let model = try readmeSeq2Seq()
        let next = try Tensor(shape: [4, 12], scalars: (0..<(4 * 12)).map { Float($0 % 8) })
        let logs = try model.trainOnBatch(x: [randomTensor([4, 20, 8], seed: 10), randomTensor([4, 12, 8], seed: 11)], y: [next])
        // The untrained softmax over 8 tokens: each step's loss near log 8.
        #expect(abs(logs[.loss]! - log(8)) < 0.2, "\(logs[.loss]!)")
    }

    @Test("initial states of the wrong count or shape are errors naming what the layer expects")
    func errors() throws {
        let sequence = Input(shape: [3, 2]), h = Input(shape: [3]), wide = Input(shape: [4])
        #expect {
            _ = try LSTM(units: 3)(sequence, initialState: [h])
        } throws: { "\($0)".contains("initial states (None, 3), (None, 3) (h and c)") }
        #expect {
            _ = try GRU(units: 3)(sequence, initialState: [wide])
        } throws: { "\($0)".contains("initial states (None, 3) (h)") }
    }
}
