import Foundation
import Testing
import Layers
import Tensor

/// The README's custom metric: the fraction of samples whose largest output is above a threshold.
struct Confident: CustomMetric {
    var threshold: Float = 0.9

    func callAsFunction(prediction: Tensor, target: Tensor) throws -> Float {
        let rows = try prediction.max(alongAxis: -1).scalars
        return Float(rows.filter { $0 > threshold }.count) / Float(rows.count)
    }
}

@Suite("Custom and mean metrics", .serialized)
struct CustomMetricTests {
    @Test("mean absolute and mean squared error average over every element, epochs weighted by batch size")
    func meanMetrics() throws {
        let p = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let y = try Tensor(shape: [2, 2], scalars: [0, 2, 5, 4])
        let mae = try Metric.meanAbsoluteError.batchValue(prediction: p, target: y, loss: .meanSquaredError)
        #expect(mae.sum / Double(mae.count) == 0.75 && mae.count == 2)
        let mse = try Metric.meanSquaredError.batchValue(prediction: p, target: y, loss: .meanSquaredError)
        #expect(mse.sum / Double(mse.count) == 1.25)
        #expect(throws: LayersError.self) { try Metric.meanAbsoluteError.correct(prediction: p, target: y, loss: .meanSquaredError) }
        // In evaluate, batches of 3 and 1: the mean over the 4 samples, not over the 2 batches.
        let model = Sequential(seed: 1) { Input(shape: [1]); Dense(units: 1, useBias: false) }
        try model.compile(optimizer: SGD(), loss: .meanSquaredError, metrics: [.meanAbsoluteError, .meanSquaredError])
        try model.setWeights([Tensor.ones([1, 1])])
        let x = try Tensor(shape: [4, 1], scalars: [1, 2, 3, 4])
        let logs = try model.evaluate(x: x, y: x * 0, batchSize: 3)
        #expect(logs[.metric(.meanAbsoluteError)] == 2.5 && logs[.metric(.meanSquaredError)] == 7.5)
        #expect(logs[.loss] == 7.5, "the MSE loss and the MSE metric agree")
    }

    @Test("a custom metric is logged under its name in fit and evaluate, and saved with the model")
    func customMetric() throws {
        MetricRegistry.register(Confident.self)
        let model = Sequential(seed: 4) { Input(shape: [2]); Dense(units: 3, activation: .softmax) }
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .categoricalCrossentropy,
                          metrics: [.accuracy, .custom(Confident(threshold: 0.8))])
        let (x, labels) = SyntheticData.blobs(samples: 90, classes: 3, seed: 3)
        let y = try Tensor.oneHot(labels, classes: 3)
        let history = try model.fit(x: x, y: y, batchSize: 30, epochs: 15, verbose: .silent)
        let confident = history["confident"]
        #expect(confident.count == 15 && confident.first! < confident.last!, "\(confident)")
        let probabilities = try model.predict(x)
        let expected = Float(try probabilities.max(alongAxis: -1).scalars.filter { $0 > 0.8 }.count) / 90
        #expect(abs(try model.evaluate(x: x, y: y, batchSize: 30)["confident"]! - expected) < 1e-6)
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("confident.safetensors").path
            try model.save(to: path)
            let loaded = try Model.load(from: path)
            #expect(loaded.metrics == model.metrics)
            #expect(loaded.metrics != [.accuracy, .custom(Confident(threshold: 0.5))], "the configuration is kept")
        }
    }

    /// A metric type never registered.
    struct Unregistered: CustomMetric {
        func callAsFunction(prediction: Tensor, target: Tensor) throws -> Float { 0 }
    }

    @Test("loading a model compiled with an unregistered metric names the metric type")
    func unregistered() throws {
        let model = Sequential(seed: 2) { Input(shape: [2]); Dense(units: 1) }
        try model.compile(optimizer: SGD(), loss: .meanSquaredError, metrics: [.custom(Unregistered())])
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("unregistered.safetensors").path
            try model.save(to: path)
            #expect { try Model.load(from: path) } throws: { error in "\(error)".contains("unknown metric type 'unregistered'") }
        }
    }
}
