import Testing
import Layers
import Tensor

/// The README's sequence example, verbatim between the markers.
func readmeSequenceModel() -> Sequential {
    // README example begins
    let model = Sequential(seed: 1) {
        Input(shape: [40])
        Embedding(inputDim: 20_000, outputDim: 64)                 // [40] → [40, 64]
        Bidirectional(LSTM(units: 32, returnSequences: true))      // → [40, 64]
        LayerNormalization()
        GRU(units: 32)                                            // → [32], the last step's state
        Dense(units: 1, activation: .sigmoid)
    }
    // README example ends
    return model
}

@Suite("Sequence models")
struct SequenceModelTests {
    @Test("the README's sequence example is the code above, builds with the shapes its comments give, and trains")
    func readmeExample() throws {
        let (example, readme) = try readmeCodeBlock(startingWith: "let model = Sequential(seed: 1) {", testFile: #filePath)
        #expect(example == readme)
        let model = readmeSequenceModel()
        try model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
        let summary = try model.summary()
        for row in ["(None, 40, 64)", "(None, 32)", "(None, 1)"] { #expect(summary.contains(row), "\(summary)") }
        var generator = RandomGenerator(seed: 2)
        let words = try Tensor(shape: [8, 40], scalars: (0..<320).map { _ in Float(generator.next() % 20_000) })
        let logs = try model.trainOnBatch(x: words, y: try Tensor(shape: [8, 1], scalars: (0..<8).map { Float($0 % 2) }))
        #expect(logs[.loss]!.isFinite)
    }

    /// Sequences of 12 steps of ±1 noise with a marker at one step: the class is whether the
    /// marker came in the first or the second half, which needs memory across steps.
    func markerTask(samples: Int, seed: UInt64) throws -> (Tensor, Tensor) {
        var generator = RandomGenerator(seed: seed)
        var x: [Float] = [], y: [Float] = []
        for _ in 0..<samples {
            let position = Int(generator.next() % 12)
            for step in 0..<12 { x += [step == position ? 1 : 0, generator.nextUnitFloat() * 0.2 - 0.1] }
            y.append(position < 6 ? 1 : 0)
        }
        return (try Tensor(shape: [samples, 12, 2], scalars: x), try Tensor(shape: [samples, 1], scalars: y))
    }

    @Test("LSTM, GRU, SimpleRNN and Bidirectional each learn where a marker was in a sequence",
          arguments: ["LSTM", "GRU", "SimpleRNN", "Bidirectional"])
    func learns(_ kind: String) throws {
        let recurrent: any Layer = switch kind {
        case "LSTM": LSTM(units: 8)
        case "GRU": GRU(units: 8)
        case "SimpleRNN": SimpleRNN(units: 8)
        default: Bidirectional(LSTM(units: 4, goBackwards: true), mergeMode: .sum)
        }
        let model = Sequential([Input(shape: [12, 2]), recurrent, Dense(units: 1, activation: .sigmoid)], seed: 3)
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .binaryCrossentropy, metrics: [.accuracy])
        let (x, y) = try markerTask(samples: 256, seed: 4)
        try model.fit(x: x, y: y, batchSize: 32, epochs: 25, verbose: .silent)
        let (testX, testY) = try markerTask(samples: 200, seed: 5)
        let accuracy = try model.evaluate(x: testX, y: testY).accuracy ?? 0
        #expect(accuracy > 0.95, "\(kind): test accuracy \(accuracy)")
    }
}
