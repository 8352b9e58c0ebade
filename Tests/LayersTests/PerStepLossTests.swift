import Foundation
import Testing
import Layers
import Tensor

/// Losses on outputs with a class per step (`[N, steps, classes]`), as Keras's take any rank:
/// the mean over every sample and step, or, with a mask, over the real steps only.
@Suite("Losses and metrics with a class per step, and masked steps")
struct PerStepLossTests {
    let p = try! Tensor(shape: [2, 3, 3], scalars: [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.25, 0.5, 0.25,
                                                    0.2, 0.2, 0.6, 0.9, 0.05, 0.05, 0.3, 0.3, 0.4])
    let labels = try! Tensor(shape: [2, 3], scalars: [0, 2, 1, 1, 0, 2])
    var y: Tensor { try! Tensor.oneHot(labels.scalars.map { Int($0) }, classes: 3).reshaped([2, 3, 3]) }

    @Test("the values Keras 3.15.1 gives for the same tensors")
    func kerasValues() throws {
        // keras.losses.CategoricalCrossentropy()(y, p), SparseCategoricalCrossentropy()(labels, p),
        // from_logits on log(p)·1.7 + 0.3, and sample_weight [2, 0.5] (per sample, over its steps).
        let dense = try Loss.categoricalCrossentropy.compute(prediction: p, target: y)
        #expect(abs(dense.value - 0.6986227631568909) < 1e-6)
        let sparse = try Loss.sparseCategoricalCrossentropy.compute(prediction: p, target: labels)
        #expect(sparse.value == dense.value && sparse.gradient == dense.gradient)
        let column = try Loss.sparseCategoricalCrossentropy.compute(prediction: p, target: labels.reshaped([2, 3, 1]))
        #expect(column.value == dense.value)
        let logits = p.log() * 1.7 + 0.3
        let fromLogits = try Loss.categoricalCrossentropy(fromLogits: true).compute(prediction: logits, target: y)
        #expect(abs(fromLogits.value - 0.6466827392578125) < 1e-6)
        let weighted = try Loss.sparseCategoricalCrossentropy
            .compute(prediction: p, target: labels, sampleWeights: Tensor([2, 0.5]))
        #expect(abs(weighted.value - 0.7394733428955078) < 1e-6)
        let accuracy = try Metric.accuracy.correct(prediction: p, target: labels, loss: .sparseCategoricalCrossentropy)
        #expect(accuracy == (5, 6))  // Keras's SparseCategoricalAccuracy: 0.8333
    }

    @Test("gradients against finite differences: probabilities, fused with the softmax, logits, weighted")
    func gradients() throws {
        let rows: Float = 6
        let plain = try Loss.categoricalCrossentropy.compute(prediction: p, target: y)
        #expect(try relativeError(plain.gradient, numericGradient(at: p) {
            try Loss.categoricalCrossentropy.compute(prediction: $0, target: y).value
        }) < 1e-2)
        let fused = try Loss.categoricalCrossentropy.compute(prediction: p, target: y, fused: true)
        #expect(relativeError(fused.gradient, try (p - y) / rows) < 1e-6)
        let logits = p.log()
        let fromLogits = try Loss.sparseCategoricalCrossentropy(fromLogits: true).compute(prediction: logits, target: labels)
        #expect(try relativeError(fromLogits.gradient, numericGradient(at: logits) {
            try Loss.sparseCategoricalCrossentropy(fromLogits: true).compute(prediction: $0, target: labels).value
        }) < 1e-2)
        let weights = Tensor([2, 0.5])
        let weighted = try Loss.categoricalCrossentropy.compute(prediction: p, target: y, sampleWeights: weights)
        #expect(try relativeError(weighted.gradient, numericGradient(at: p) {
            try Loss.categoricalCrossentropy.compute(prediction: $0, target: y, sampleWeights: weights).value
        }) < 1e-2)
    }

    @Test("a sequence-tagging model: a training step follows finite differences, and fit learns the tags")
    func taggingModel() throws {
        func tagger() -> Sequential {
            Sequential(seed: 3) {
                Input(shape: [5, 3])
                LSTM(units: 4, returnSequences: true)
                Dense(units: 3, activation: .softmax)
            }
        }
        var generator = RandomGenerator(seed: 8)
        let x = try Tensor.uniform([4, 5, 3], lowerBound: -1, upperBound: 1, using: &generator)
        // The tag of a step is the feature that is largest there.
        let tags = try x.argmax(alongAxis: -1)
        let stepModel = tagger()
        try stepModel.compile(optimizer: SGD(learningRate: 1), loss: .sparseCategoricalCrossentropy)
        try checkTrainingStep(stepModel, x: [x], y: [Tensor(shape: [4, 5], scalars: tags.map(Float.init))])

        let samples = 256
        let data = try Tensor.uniform([samples, 5, 3], lowerBound: -1, upperBound: 1, using: &generator)
        let targets = try Tensor(shape: [samples, 5], scalars: data.argmax(alongAxis: -1).map(Float.init))
        let model = tagger()
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .sparseCategoricalCrossentropy, metrics: [.accuracy])
        let before = try model.evaluate(x: data, y: targets)
        try model.fit(x: data, y: targets, batchSize: 32, epochs: 30, verbose: .silent)
        let after = try model.evaluate(x: data, y: targets)
        #expect(after[.loss]! < before[.loss]! / 3, "loss \(before[.loss]!) -> \(after[.loss]!)")
        #expect(after.accuracy! > 0.9, "accuracy per step \(after.accuracy!)")
    }

    @Test("targets of the wrong shape, and class weights, are refused with what was expected")
    func errors() throws {
        let model = Sequential(seed: 1) { Input(shape: [8, 8, 1]); Conv2D(filters: 2, kernelSize: 3); Dense(units: 10, activation: .softmax) }
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy)
        let x = try Tensor.zeros([2, 8, 8, 1])
        // (A classifier that forgot Flatten, its targets one per sample: ModelErrorTests.denseWithoutFlatten.)
        let perPixel = try Tensor.oneHot([Int](repeating: 3, count: 72), classes: 10).reshaped([2, 6, 6, 10])
        let classWeights = #expect(throws: LayersError.self) {
            try model.fit(x: x, y: perPixel, classWeight: [3: 2], verbose: .silent)
        }
        #expect(classWeights?.description == "fit: classWeight weighs each sample by its class, but the model predicts at "
                + "every position of its output (None, 6, 6, 10); weigh samples with sampleWeight instead")
        try model.fit(x: x, y: perPixel, verbose: .silent)

        let sparseModel = Sequential(seed: 1) { Input(shape: [4, 2]); Dense(units: 3, activation: .softmax) }
        try sparseModel.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy)
        let oneHot = #expect(throws: LayersError.self) {
            try sparseModel.fit(x: Tensor.zeros([2, 4, 2]), y: Tensor.zeros([2, 4, 3]), verbose: .silent)
        }
        #expect(oneHot?.description == "sparse_categorical_crossentropy: expected targets of shape [2, 4], found [2, 4, 3]; "
                + "these look like one-hot rows: use .categoricalCrossentropy")
        let outOfRange = #expect(throws: LayersError.self) {
            try sparseModel.fit(x: Tensor.zeros([2, 4, 2]), y: Tensor(shape: [2, 4], scalars: [0, 1, 2, 3, 0, 1, 2, 0]), verbose: .silent)
        }
        #expect(outOfRange?.description == "sparse_categorical_crossentropy: expected class indices in 0..<3, found 3.0")

        // An output of one number per sample has no class axis at all: refused at compile.
        let scalar = Sequential { Input(shape: [3]); SumOfFeatures() }
        let noClasses = #expect(throws: LayersError.self) {
            try scalar.compile(optimizer: SGD(), loss: .sparseCategoricalCrossentropy)
        }
        #expect(noClasses?.description == "sparse_categorical_crossentropy expects outputs with a class axis, (None, classes) "
                + "or (None, ..., classes), but the model outputs one number per sample, (None,); "
                + "end the model with a Dense layer of one unit per class")
    }

    @Test("with a mask, the mean over the real steps: the values Keras 3.15.1 gives")
    func maskedValues() throws {
        // keras.src.losses.loss.reduce_weighted_values(categorical_crossentropy(y, p), mask=mask), and with
        // sample_weight [2, 0.5]; sparse_categorical_accuracy and mean_squared_error weighted by the mask.
        let mask = try Tensor(shape: [2, 3], scalars: [1, 1, 0, 1, 0, 0])
        let masked = try Loss.categoricalCrossentropy.compute(prediction: p, target: y, sampleWeights: nil, mask: mask)
        #expect(abs(masked.value - 0.825646162033081) < 1e-6)
        let weighted = try Loss.sparseCategoricalCrossentropy
            .compute(prediction: p, target: labels, sampleWeights: Tensor([2, 0.5]), mask: mask)
        #expect(abs(weighted.value - 0.8465733528137207) < 1e-6)
        let mse = try Loss.meanSquaredError.compute(prediction: p, target: y, sampleWeights: nil, mask: mask)
        #expect(abs(mse.value - 0.16) < 1e-6)
        #expect(try Metric.accuracy.correct(prediction: p, target: labels, loss: .sparseCategoricalCrossentropy, mask: mask) == (2, 3))
        let meanSquared = try Metric.meanSquaredError.counts(prediction: p, target: y, loss: .meanSquaredError, mask: mask)
        #expect(abs(meanSquared[0] / meanSquared[1] - 0.16) < 1e-6 && meanSquared[1] == 3)
        // Gradients: finite differences of the masked value; none at the masked steps.
        #expect(try relativeError(masked.gradient, numericGradient(at: p) {
            try Loss.categoricalCrossentropy.compute(prediction: $0, target: y, sampleWeights: nil, mask: mask).value
        }) < 1e-2)
        let maskedRows = mask.scalars.enumerated().filter { $0.element == 0 }.map(\.offset)
        #expect(maskedRows.allSatisfy { row in masked.gradient.scalars[(row * 3)..<(row * 3 + 3)].allSatisfy { $0 == 0 } })
        // No real step: 0, as Keras's divide_no_nan.
        let none = try Loss.categoricalCrossentropy.compute(prediction: p, target: y, sampleWeights: nil, mask: Tensor.zeros([2, 3]))
        #expect(none.value == 0 && none.gradient.scalars.allSatisfy { $0 == 0 })
        let wrongShape = #expect(throws: LayersError.self) {
            try Loss.categoricalCrossentropy.compute(prediction: p, target: y, sampleWeights: nil, mask: Tensor.ones([2, 2]))
        }
        #expect(wrongShape?.description == "categorical_crossentropy: expected a mask of shape [2, 3] for outputs of shape "
                + "[2, 3, 3], found [2, 2]")
    }

    @Test("Embedding(maskZero:) through a tagger: padded steps count in no loss, metric or gradient")
    func maskedTagger() throws {
        func tagger() throws -> Sequential {
            let model = Sequential(seed: 5) {
                Input(shape: [4])
                Embedding(inputDim: 6, outputDim: 3, maskZero: true)
                LSTM(units: 4, returnSequences: true)
                Dense(units: 3, activation: .softmax)
            }
            try model.compile(optimizer: SGD(learningRate: 1), loss: .sparseCategoricalCrossentropy, metrics: [.accuracy])
            return model
        }
        let x = try Tensor(shape: [3, 4], scalars: [1, 2, 3, 0, 4, 5, 0, 0, 2, 2, 2, 2])
        let y = try Tensor(shape: [3, 4], scalars: [0, 1, 2, 0, 1, 2, 0, 0, 2, 1, 0, 1])
        // The same targets but for the padded steps.
        let otherY = try Tensor(shape: [3, 4], scalars: [0, 1, 2, 2, 1, 2, 1, 2, 2, 1, 0, 1])
        let model = try tagger()
        let logs = try model.evaluate(x: x, y: y)
        // The reference: the mean of −log p over the real steps, and the share of them predicted right.
        let p = try model.predict(x).scalars
        var (loss, hits, real) = (0.0, 0, 0)
        for step in 0..<12 where x.scalars[step] != 0 {
            let row = Array(p[(step * 3)..<(step * 3 + 3)])
            let truth = Int(y.scalars[step])
            loss -= log(Double(max(row[truth], 1e-7)))
            hits += row.firstIndex(of: row.max()!) == truth ? 1 : 0
            real += 1
        }
        #expect(abs(Double(logs[.loss]!) - loss / Double(real)) < 1e-5, "\(logs[.loss]!) against \(loss / Double(real))")
        #expect(logs.accuracy == Float(hits) / Float(real))
        let other = try model.evaluate(x: x, y: otherY)
        #expect(other[.loss] == logs[.loss] && other.accuracy == logs.accuracy)
        try checkTrainingStep(model, x: [x], y: [y])
        // A training step on other targets at the padded steps moves no weight differently.
        let (first, second) = (try tagger(), try tagger())
        try first.trainOnBatch(x: x, y: y)
        try second.trainOnBatch(x: x, y: otherY)
        #expect(first.weights == second.weights)
    }

    /// The central-difference gradient of `f` at `x`, element by element.
    private func numericGradient(at x: Tensor, _ f: (Tensor) throws -> Float) throws -> Tensor {
        var gradient = [Float](repeating: 0, count: x.count)
        let h: Float = 1e-3
        for index in 0..<x.count {
            var (plus, minus) = (x, x)
            plus.withUnsafeMutableBufferPointer { $0[index] += h }
            minus.withUnsafeMutableBufferPointer { $0[index] -= h }
            gradient[index] = (try f(plus) - f(minus)) / (2 * h)
        }
        return try Tensor(shape: x.shape, scalars: gradient)
    }
}

/// `[N, features] → [N]`: a layer whose output has no class axis.
private struct SumOfFeatures: DifferentiableLayer {
    var name = ""

    mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] { [] }

    mutating func call(_ input: Variable, context: inout ForwardContext) throws -> Variable {
        try input.sum(alongAxes: [-1])
    }

    mutating func forEachParameter(_ body: (inout Parameter) throws -> Void) rethrows {}
}
