import Foundation
import Testing
@testable import Layers
import Tensor

/// Sign descent with a decaying step, as a user would write a custom optimizer: a rule,
/// one piece of state, a configuration.
struct SignDescent: SerializableOptimizer {
    var settings: OptimizerSettings
    var decay: Float
    var steps: Tensor?

    init(learningRate: Float, decay: Float) {
        settings = OptimizerSettings(learningRate: learningRate)
        self.decay = decay
    }

    var state: [String: Tensor] {
        get { steps.map { ["steps": $0] } ?? [:] }
        set { steps = newValue["steps"] }
    }

    mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws {
        var counts = steps ?? Tensor.zeros(like: weights)
        try counts.zipInPlace(gradients) { count, g in g == 0 ? count : count + 1 }
        let scaled = try gradients.zip(counts) { g, count in (g > 0 ? 1 : g < 0 ? -1 : 0) / (1 + 0.1 * count) }
        let (rate, decay) = (learningRate, decay)
        try weights.zipInPlace(scaled) { w, s in w - rate * decay * s }
        steps = counts
    }

    struct Configuration: Codable { var learningRate, decay: Float }
    var configuration: Configuration { Configuration(learningRate: settings.learningRate, decay: decay) }
    init(configuration: Configuration) { self.init(learningRate: configuration.learningRate, decay: configuration.decay) }
}

@Suite("Saving optimizers", .serialized)
struct OptimizerPersistenceTests {
    func model() -> Sequential {
        Sequential(seed: 3) {
            Input(shape: [4])
            Dense(units: 3, activation: .tanh)
            Dense(units: 2)
        }
    }

    let x = randomTensor([8, 4], seed: 1)
    let y = randomTensor([8, 2], seed: 2)

    @Test("a registered custom optimizer is saved and loaded with its state; training continues exactly")
    func customOptimizer() throws {
        OptimizerRegistry.register(SignDescent.self)
        let straight = model(), resumed = model()
        try straight.compile(optimizer: SignDescent(learningRate: 0.05, decay: 0.9), loss: .meanSquaredError)
        try resumed.compile(optimizer: SignDescent(learningRate: 0.05, decay: 0.9), loss: .meanSquaredError)
        for _ in 0..<3 {
            try straight.trainOnBatch(x: x, y: y)
            try resumed.trainOnBatch(x: x, y: y)
        }
        let loaded = try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("custom.model").path
            try resumed.save(to: path)
            return try Model.load(from: path)
        }
        let optimizer = try #require(loaded.optimizer as? SignDescent)
        #expect(optimizer.decay == 0.9 && optimizer.state["steps"]?.scalars.max() == 3)
        for _ in 0..<3 {
            try straight.trainOnBatch(x: x, y: y)
            try loaded.trainOnBatch(x: x, y: y)
        }
        #expect(loaded.weights.map(\.scalars) == straight.weights.map(\.scalars))
    }

    @Test("an unregistered optimizer type is reported with the registered ones")
    func unknownOptimizer() throws {
        struct Unregistered: SerializableOptimizer {
            var settings = OptimizerSettings(learningRate: 0.1)
            var state: [String: Tensor] { get { [:] } set {} }
            mutating func applyRule(weights: inout Tensor, gradients: Tensor, step: Int, learningRate: Float) throws {}
            var configuration: EmptyConfiguration { EmptyConfiguration() }
            init() {}
            init(configuration: EmptyConfiguration) {}
        }
        let trained = model()
        try trained.compile(optimizer: Unregistered(), loss: .meanSquaredError)
        try trained.trainOnBatch(x: x, y: y)
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("unknown.model").path
            try trained.save(to: path)
            #expect {
                try Model.load(from: path)
            } throws: { error in
                "\(error)".contains("unknown optimizer type 'Unregistered'") && "\(error)".contains("adam")
            }
        }
    }

    @Test("files of format version 1 (one optimizer tensor per parameter) resume with the same state")
    func formatVersion1State() throws {
        let trained = model()
        try trained.compile(optimizer: Adam(learningRate: 0.01), loss: .meanSquaredError)
        for _ in 0..<2 { try trained.trainOnBatch(x: x, y: y) }
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("new.model").path
            try trained.save(to: path)
            // Rewrite the flat optimizer tensors as version 1 wrote them: m/0 … m/3, v/0 … v/3.
            var file = try SafeTensors.decode(try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
            let sizes = trained.layers.flatMap { $0.parameters.filter(\.trainable).map(\.value.count) }
            file.tensors = try file.tensors.flatMap { name, value -> [(name: String, value: Tensor)] in
                guard name.hasPrefix("optimizer/") else { return [(name, value)] }
                var offset = 0
                return try sizes.enumerated().map { slot, size in
                    var part = try Tensor.zeros([size])
                    try part.readScalars(from: value, at: offset)
                    offset += size
                    return ("\(name)/\(slot)", part)
                }
            }
            file.metadata["format_version"] = "1"
            let legacyPath = folder.appendingPathComponent("legacy.model").path
            try file.encoded().write(to: URL(fileURLWithPath: legacyPath))
            let legacy = try Model.load(from: legacyPath)
            let current = try Model.load(from: path)
            for name in ["m", "v"] {
                let original = try #require(trained.optimizer!.state[name]).scalars
                #expect(legacy.optimizer!.state[name]?.scalars == original)
                #expect(current.optimizer!.state[name]?.scalars == original)
            }
            try legacy.trainOnBatch(x: x, y: y)
            try current.trainOnBatch(x: x, y: y)
            #expect(legacy.weights.map(\.scalars) == current.weights.map(\.scalars))
        }
    }
}
