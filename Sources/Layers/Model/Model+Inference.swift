import Foundation
import Tensor

extension Model {
    // MARK: Inference

    /// The model's outputs for `x`, computed `batchSize` samples at a time in inference mode
    /// (no dropout or augmentation; BatchNormalization uses its moving statistics).
    /// - Throws: ``LayersError/invalidData(_:)`` when `x` does not fit the model's input.
    public func predict(_ x: Tensor, batchSize: Int = 32) throws -> Tensor {
        try checkBatchSize(batchSize)
        try prepare(for: x, operation: "predict")
        let samples = x.shape[0]
        var result = try wrappingTensorErrors { try Tensor.zeros([samples] + (outputShape ?? [])) }
        let rowSize = (outputShape ?? []).reduce(1, *)
        for start in stride(from: 0, to: samples, by: batchSize) {
            let end = Swift.min(start + batchSize, samples)
            let output = try forward(try wrappingTensorErrors { try x.slice(batch: start..<end) }, training: false)
            try wrappingTensorErrors { try result.writeScalars(of: output, at: start * rowSize) }
        }
        return result
    }

    /// The model's outputs for the inputs of `data` (its targets are not used), read a batch at
    /// a time, in inference mode.
    /// - Throws: ``LayersError`` when a batch does not fit the model, and what `data` throws.
    public func predict(_ data: some SampleSource, batchSize: Int = 32) throws -> Tensor {
        try checkBatchSize(batchSize)
        try checkNotEmpty(data, operation: "predict")
        var result: Tensor?
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let range = start..<Swift.min(start + batchSize, data.count)
            let x = try wrappingTensorErrors { try data.batch(at: range).x }
            guard x.shape.first == range.count else {
                throw LayersError.invalidData("predict: asked the data for \(range.count) samples, received x of shape \(x.shape)")
            }
            try prepare(for: x, operation: "predict")
            let output = try forward(x, training: false)
            if result == nil { result = try wrappingTensorErrors { try Tensor.zeros([data.count] + output.shape.dropFirst()) } }
            try wrappingTensorErrors { try result!.writeScalars(of: output, at: start * (output.count / range.count)) }
        }
        return result!
    }

    /// The loss and metrics on `x` and `y`, in inference mode, averaged over all samples.
    /// - Throws: ``LayersError`` when the model is not compiled or the data does not fit it.
    public func evaluate(x: Tensor, y: Tensor, batchSize: Int = 32) throws -> Logs {
        try checkBatchSize(batchSize)
        let (loss, _) = try compiled(operation: "evaluate")
        try validate(x: x, y: y, loss: loss, operation: "evaluate")
        return try evaluate(TensorSamples(x: x, y: y), samples: 0..<x.shape[0], batchSize: batchSize, checked: true)
    }

    /// The loss and metrics on the samples of `data`, read a batch at a time, in inference
    /// mode, averaged over all samples.
    /// - Throws: ``LayersError`` when the model is not compiled or a batch does not fit it,
    ///   and what `data` throws.
    public func evaluate(_ data: some SampleSource, batchSize: Int = 32) throws -> Logs {
        try checkBatchSize(batchSize)
        _ = try compiled(operation: "evaluate")
        try checkNotEmpty(data, operation: "evaluate")
        return try evaluate(data, samples: 0..<data.count, batchSize: batchSize, checked: false)
    }

    /// The loss and metrics over the samples `samples` of `data`; `checked` when the data was
    /// validated as a whole, otherwise each batch is.
    func evaluate(_ data: some SampleSource, samples: Range<Int>, batchSize: Int, checked: Bool) throws -> Logs {
        guard let loss else { throw LayersError.notReady(operation: "evaluate", reason: "the model is not compiled") }
        var accumulator = LogAccumulator(metrics: metrics)
        for start in stride(from: samples.lowerBound, to: samples.upperBound, by: batchSize) {
            let range = start..<Swift.min(start + batchSize, samples.upperBound)
            let (xBatch, yBatch) = try batch(of: data, at: range, loss: loss, checked: checked, operation: "evaluate")
            let prediction = try forward(xBatch, training: false)
            let value = try wrappingTensorErrors { try loss.compute(prediction: prediction, target: yBatch).value } + regularizationLoss()
            try accumulator.add(loss: value, prediction: prediction, target: yBatch, lossFunction: loss)
        }
        return accumulator.logs
    }

}
