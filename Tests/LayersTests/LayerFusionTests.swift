import Foundation
import Testing
@testable import Layers
import Tensor

/// The executor's fusions (`Model.fusesLayers`): BatchNormalization → ReLU as one pass in
/// training and inference, and Conv2D → BatchNormalization (→ ReLU) folded into one
/// convolution for inference.
@Suite("Layer fusion")
struct LayerFusionTests {
    /// Conv → BN → ReLU twice (one with a bias, one without), a BN read by two nodes, and a
    /// BN → ReLU that is the model's output.
    static func model(seed: UInt64 = 3) throws -> Model {
        let input = Input(shape: [6, 6, 2])
        let a = try ReLU()(try BatchNormalization(momentum: 0.5)(try Conv2D(filters: 4, kernelSize: 3, padding: .same)(input)))
        let b = try BatchNormalization(momentum: 0.5)(try Conv2D(filters: 4, kernelSize: 3, padding: .same, useBias: false)(a))
        let c = try ReLU()(try Add()(b, try ReLU()(b)))  // b has two readers: no fusion there
        let head = try Dense(units: 3)(try Flatten()(c))
        let out = try ReLU()(try BatchNormalization(momentum: 0.5)(head))  // the last ReLU is the output
        return try Model(inputs: input, outputs: out, seed: seed)
    }

    static let x = randomTensor([8, 6, 6, 2], seed: 11)
    static let y = randomTensor([8, 3], seed: 12)

    @Test("the plan: a ReLU that alone reads a normalisation passes through; a BN read twice is not fused")
    func plan() throws {
        let model = try Self.model()
        try model.build(inputShape: [6, 6, 2])
        let names = model.graph.nodes.map { model.layers[$0.layer].name }
        let through = zip(names, model.fusion.passesThrough).filter(\.1).map(\.0)
        #expect(through == ["re_lu", "re_lu_3"], "\(names)")
        let inference = zip(names, model.fusion.passesThroughInInference).filter(\.1).map(\.0)
        #expect(inference == ["batch_normalization", "re_lu", "batch_normalization_1", "re_lu_3"])
        model.fusesLayers = false
        #expect(!model.fusion.passesThrough.contains(true) && model.fusion.foldedNormalization.isEmpty)
        #expect(model.layers.compactMap { $0 as? BatchNormalization }.allSatisfy { !$0.rectifiesOutput })
    }

    @Test("training with fusion is bit for bit training without")
    func trainingIsExact() throws {
        let fused = try Self.model(), plain = try Self.model()
        plain.fusesLayers = false
        for model in [fused, plain] {
            try model.compile(optimizer: Adam(learningRate: 0.01), loss: .meanSquaredError)
            try model.fit(x: Self.x, y: Self.y, batchSize: 4, epochs: 3, verbose: .silent)
        }
        #expect(fused.weights == plain.weights)
    }

    @Test("inference with the folded convolutions matches layer by layer, and follows every change of the weights")
    func inferenceFollowsWeights() throws {
        let model = try Self.model()
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .meanSquaredError)
        // A twin computing layer by layer, given the model's weights before each comparison.
        let plain = try Self.model()
        plain.fusesLayers = false
        try plain.build(inputShape: [6, 6, 2])
        func difference() throws -> Float {
            try plain.setWeights(model.weights)
            return relativeError(try model.predict(Self.x), try plain.predict(Self.x))
        }
        try model.fit(x: Self.x, y: Self.y, batchSize: 4, epochs: 2, verbose: .silent)
        #expect(try difference() < 1e-5)
        let before = try model.predict(Self.x)
        try model.trainOnBatch(x: Self.x, y: Self.y)  // the folded weights must follow
        #expect(try model.predict(Self.x) != before)
        #expect(try difference() < 1e-5)
        var changed = model.weights
        changed[0] = changed[0] * 2
        try model.setWeights(changed)
        #expect(try difference() < 1e-5)
        #expect(try difference() < 1e-5)  // and again, with no change in between
        try plain.compile(optimizer: SGD(), loss: .meanSquaredError)
        let logs = try model.evaluate(x: Self.x, y: Self.y)
        #expect(abs(logs[.loss]! - (try plain.evaluate(x: Self.x, y: Self.y))[.loss]!) < 1e-5)
    }
}
