import Foundation
import Testing
import Layers
import Tensor

/// Masks from `Embedding(maskZero: true)`: every layer that uses one must give for a padded
/// sequence what it gives for the same sequence without its padding.
@Suite("Masks: padding from Embedding(maskZero:) through recurrent layers, attention and pooling")
struct MaskingTests {
    /// Token ids with padding (0) at the end, in the middle and at the start, and the same
    /// sequences without it (each shorter one run on its own).
    static let padded: [[Float]] = [[3, 5, 2, 0, 0, 0], [4, 0, 1, 6, 0, 2], [0, 0, 7, 1, 3, 3]]
    static let unpadded: [[Float]] = [[3, 5, 2], [4, 1, 6, 2], [7, 1, 3, 3]]

    /// An embedding of 8 ids into 4 features, then `body`, as a model of `steps` steps.
    func model(steps: Int, seed: UInt64 = 5, _ body: (SymbolicTensor) throws -> SymbolicTensor) throws -> Model {
        let ids = Input(shape: [steps])
        let embedded = try Embedding(inputDim: 8, outputDim: 4, maskZero: true)(ids)
        return try Model(inputs: ids, outputs: try body(embedded), seed: seed)
    }

    /// The padded batch's outputs, and each unpadded sequence's output on a model of its length
    /// with the same weights (the weights do not depend on the number of steps).
    func outputs(_ body: (SymbolicTensor) throws -> SymbolicTensor) throws -> (padded: Tensor, unpadded: [Tensor]) {
        let padded = try model(steps: 6, body).predict(try Tensor(shape: [3, 6], scalars: Self.padded.flatMap { $0 }))
        let unpadded = try Self.unpadded.map { ids in
            try model(steps: ids.count, body).predict(try Tensor(shape: [1, ids.count], scalars: ids))
        }
        return (padded, unpadded)
    }

    func close(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 }
    }

    @Test("the last state of SimpleRNN, LSTM, GRU (forwards and backwards) and Bidirectional skips padding",
          arguments: ["SimpleRNN", "LSTM", "GRU", "GRU backwards", "LSTM states", "Bidirectional LSTM"])
    func lastState(_ kind: String) throws {
        let (padded, unpadded) = try outputs { x in
            switch kind {
            case "SimpleRNN": try SimpleRNN(units: 3)(x)
            case "LSTM": try LSTM(units: 3)(x)
            case "GRU": try GRU(units: 3)(x)
            case "GRU backwards": try GRU(units: 3, goBackwards: true)(x)
            // The final states of a sequence output: the last unmasked step's h and c.
            case "LSTM states": try Concatenate()(Array(try LSTM(units: 3, returnSequences: true, returnState: true)
                                                        .allOutputs(x).dropFirst()))
            default: try Bidirectional(LSTM(units: 3))(x)
            }
        }
        for (sample, expected) in unpadded.enumerated() {
            #expect(close(try padded.slice([sample..<(sample + 1)]).scalars, expected.scalars), "sample \(sample)")
        }
    }

    @Test("sequences: a masked step repeats the step before (zeros before the first); Bidirectional's are zeros, as Keras")
    func sequences() throws {
        let ids = try Tensor(shape: [3, 6], scalars: Self.padded.flatMap { $0 })
        let lstm = try model(steps: 6) { try LSTM(units: 2, returnSequences: true)($0) }.predict(ids)
        let both = try model(steps: 6) { try Bidirectional(GRU(units: 2, returnSequences: true))($0) }.predict(ids)
        for (sample, row) in Self.padded.enumerated() {
            for (step, id) in row.enumerated() where id == 0 {
                let here = try lstm.slice([sample..<(sample + 1), step..<(step + 1)]).scalars
                let before = step == 0 ? [0, 0] : try lstm.slice([sample..<(sample + 1), (step - 1)..<step]).scalars
                #expect(here == before, "sample \(sample) step \(step)")
                #expect(try both.slice([sample..<(sample + 1), step..<(step + 1)]).scalars == [0, 0, 0, 0])
            }
        }
    }

    @Test("GlobalAveragePooling1D and GlobalMaxPooling1D pool the unmasked steps only")
    func pooling() throws {
        for pooling in ["average", "max"] {
            let (padded, unpadded) = try outputs { x in
                let features = try Dense(units: 3, activation: .tanh)(x)  // passes the mask on
                return pooling == "average" ? try GlobalAveragePooling1D()(features) : try GlobalMaxPooling1D()(features)
            }
            for (sample, expected) in unpadded.enumerated() {
                #expect(close(try padded.slice([sample..<(sample + 1)]).scalars, expected.scalars), "\(pooling) \(sample)")
            }
        }
    }

    @Test("self-attention does not attend to padding: the unmasked steps' outputs are the unpadded sequence's")
    func attention() throws {
        let (padded, unpadded) = try outputs { x in
            let attended = try MultiHeadAttention(heads: 2, keyDim: 3)(x, x)
            return try GlobalAveragePooling1D()(try LayerNormalization()(try Add()(x, attended)))
        }
        for (sample, expected) in unpadded.enumerated() {
            #expect(close(try padded.slice([sample..<(sample + 1)]).scalars, expected.scalars), "sample \(sample)")
        }
    }

    @Test("a training step through masked LSTM and attention follows the finite-difference gradient")
    func training() throws {
        let model = try model(steps: 6) { x in
            let sequence = try LSTM(units: 3, returnSequences: true)(x)
            let attended = try MultiHeadAttention(heads: 1, keyDim: 2)(sequence, sequence)
            return try Dense(units: 2, activation: .softmax)(try GlobalAveragePooling1D()(attended))
        }
        try model.compile(optimizer: SGD(learningRate: 1), loss: .categoricalCrossentropy)
        let ids = try Tensor(shape: [3, 6], scalars: Self.padded.flatMap { $0 })
        try checkTrainingStep(model, x: [ids], y: [try Tensor.oneHot([0, 1, 1], classes: 2)])
    }

    @Test("the mask is saved with the model; an Embedding with maskZero has no ONNX form (checked in ExportTests)")
    func saved() throws {
        let original = try model(steps: 6) { try LSTM(units: 2)($0) }
        let ids = try Tensor(shape: [3, 6], scalars: Self.padded.flatMap { $0 })
        try original.compile(optimizer: SGD(), loss: .meanSquaredError)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("masked-\(UInt64.random(in: 0...UInt64.max)).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try original.save(to: file)
        let loaded = try Model.load(from: file)
        #expect(try loaded.predict(ids) == original.predict(ids))
        #expect(loaded.layers.compactMap { ($0 as? Embedding)?.maskZero } == [true])
    }
}
