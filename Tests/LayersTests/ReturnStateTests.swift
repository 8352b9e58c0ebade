import Foundation
import Testing
@testable import Layers
import Tensor

/// The README's `returnState` example, verbatim between the markers.
func readmeStatesModel() throws -> Model {
    // README example begins
    let sequence = Input(shape: [28, 28])
    let states = try LSTM(units: 64, returnState: true).allOutputs(sequence)   // [output, h, c]
    let digit = try Dense(units: 10, activation: .softmax)(try Concatenate()(states[1], states[2]))
    let model = try Model(inputs: sequence, outputs: digit)
    // README example ends
    return model
}

/// `returnState` (Keras's `return_state`): a recurrent layer's call returns its output and its
/// final states, as several values of the model's graph.
@Suite("Recurrent layers returning their final states")
struct ReturnStateTests {
    /// Sequences `[5, 2]` → an LSTM's output, h and c (or a GRU's sequence and h) → Dense(1).
    static func model(_ kind: String, seed: UInt64 = 1) throws -> Model {
        let input = Input(shape: [5, 2])
        let features: SymbolicTensor
        switch kind {
        case "LSTM":
            let outputs = try LSTM(units: 3, returnState: true).allOutputs(input)  // [output, h, c]
            features = try Concatenate()(outputs)
        case "Bidirectional LSTM":
            // [output, forward h, forward c, backward h, backward c]
            let outputs = try Bidirectional(LSTM(units: 2, returnState: true), mergeMode: .sum).allOutputs(input)
            features = try Concatenate()(outputs)
        case "GRU sequence":
            // Only the final state reaches the loss: the sequence output's gradient is zero.
            let outputs = try GRU(units: 3, returnSequences: true, returnState: true, goBackwards: true).allOutputs(input)
            features = outputs[1]
        default:
            let outputs = try SimpleRNN(units: 3, returnState: true).allOutputs(input)
            features = try Add()(outputs)
        }
        return try Model(inputs: input, outputs: try Dense(units: 1).named("score")(features), seed: seed)
    }

    static let x = randomTensor([4, 5, 2], seed: 2)
    static let y = randomTensor([4, 1], seed: 3)

    @Test("the states are the last step's h (and c), and each output has its shape",
          arguments: ["LSTM", "GRU sequence", "SimpleRNN"])
    func states(_ kind: String) throws {
        let input = Input(shape: [5, 2])
        let layer: any RecurrentLayer = switch kind {
        case "LSTM": LSTM(units: 3, returnState: true)
        case "GRU sequence": GRU(units: 3, returnSequences: true, returnState: true)
        default: SimpleRNN(units: 3, returnState: true)
        }
        let outputs = try layer.allOutputs(input)
        #expect(outputs.count == (kind == "LSTM" ? 3 : 2))
        #expect(outputs.map { $0.shape } == [kind == "GRU sequence" ? [5, 3] : [3]] + Array(repeating: [3], count: outputs.count - 1))
        let model = try Model(inputs: [input], outputs: outputs, seed: 4)
        let predicted = try model.predict([Self.x])
        let last = kind == "GRU sequence" ? try predicted[0].slice(alongAxis: 1, 4..<5).reshaped([4, 3]) : predicted[0]
        #expect(predicted[1] == last)
        if kind == "LSTM" {
            // c is not h: h = o·tanh(c).
            #expect(predicted[2] != predicted[1] && predicted[2].scalars.allSatisfy { $0.isFinite })
        }
    }

    @Test("training gradients through the output and the states match central differences",
          arguments: ["LSTM", "GRU sequence", "SimpleRNN", "Bidirectional LSTM"])
    func gradients(_ kind: String) throws {
        let model = try Self.model(kind)
        try model.compile(optimizer: SGD(learningRate: 1), loss: .meanSquaredError)
        try checkTrainingStep(model, x: [Self.x], y: [Self.y])
    }

    @Test("a model with states saves as format version 4 and loads with the same graph and predictions")
    func savesAndLoads() throws {
        let model = try Self.model("LSTM")
        try model.compile(optimizer: Adam(), loss: .meanSquaredError)
        try model.trainOnBatch(x: Self.x, y: Self.y)
        let (version, loaded) = try savedAndLoaded(model)
        #expect(version == "4")
        #expect(loaded.graph == model.graph)
        #expect(try loaded.predict(Self.x) == (try model.predict(Self.x)))
        try model.trainOnBatch(x: Self.x, y: Self.y)
        try loaded.trainOnBatch(x: Self.x, y: Self.y)
        #expect(loaded.weights == model.weights)
    }

    @Test("the README's example is the code above and trains on MNIST-shaped sequences")
    func readmeExample() throws {
        let (example, readme) = try readmeCodeBlock(startingWith: "let sequence = Input(shape: [28, 28])", testFile: #filePath)
        #expect(example == readme)
        let model = try readmeStatesModel()
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let logs = try model.trainOnBatch(x: randomTensor([8, 28, 28], seed: 5), y: try Tensor.oneHot(Array(0..<8), classes: 10))
        #expect(logs[.loss]!.isFinite)
        #expect(try model.summary().contains("[(None, 64), (None, 64), (None, 64)]"))
    }

    @Test("the summary lists every output's shape and names the states a call reads")
    func summary() throws {
        let model = try Self.model("LSTM")
        let summary = try model.summary()
        #expect(summary.contains("[(None, 3), (None, 3), (None, 3)]"), "\(summary)")
        #expect(summary.contains("lstm, lstm[1], lstm[2]"), "\(summary)")
    }

    @Test("calling a layer (or Bidirectional) with states for one tensor, and a Sequential of one, are clear errors")
    func errors() throws {
        let input = Input(shape: [5, 2])
        #expect {
            _ = try LSTM(units: 3, returnState: true)(input)
        } throws: { "\($0)".contains("returns 3 tensors") && "\($0)".contains("allOutputs") }
        let sequential = Sequential { Input(shape: [5, 2]); GRU(units: 3, returnState: true); Dense(units: 1) }
        #expect {
            try sequential.compile(optimizer: Adam(), loss: .meanSquaredError)
        } throws: { "\($0)".contains("returns 2 tensors") && "\($0)".contains("functional API") }
        #expect {
            _ = try Bidirectional(LSTM(units: 3, returnState: true))(input)
        } throws: { "\($0)".contains("returns 5 tensors") }
    }

    @Test("Bidirectional returns the merged output, then the forward layer's states, then the backward layer's")
    func bidirectional() throws {
        let input = Input(shape: [5, 2])
        let outputs = try Bidirectional(GRU(units: 3, returnState: true)).allOutputs(input)
        #expect(outputs.map { $0.shape } == [[6], [3], [3]])
        let predicted = try Model(inputs: [input], outputs: outputs, seed: 6).predict([Self.x])
        // Without sequences the concatenated output is the two final states side by side.
        #expect(predicted[0] == (try Tensor.concatenate([predicted[1], predicted[2]], alongAxis: -1)))
        #expect(predicted[1] != predicted[2])
    }
}
