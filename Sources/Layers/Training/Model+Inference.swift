import Foundation
import Tensor

extension Model {
    // MARK: Inference

    /// The model's outputs for `x`, computed `batchSize` samples at a time in inference mode
    /// (no dropout or augmentation; BatchNormalization uses its moving statistics).
    /// - Throws: ``LayersError/invalidData(_:)`` when `x` does not fit the model's input, or
    ///   the model has several inputs or outputs (give `predict` a tensor per input).
    public func predict(_ x: Tensor, batchSize: Int = 32) throws -> Tensor {
        try checkOneOutput(operation: "predict", alternative: "predict([x1, x2, ...])")
        return try predict([x], batchSize: batchSize)[0]
    }

    /// The outputs of a model of several inputs or outputs: `x` holds a tensor per input, and
    /// the result a tensor per output, in the model's order (Keras's `predict([x1, x2])`).
    /// - Throws: ``LayersError/invalidData(_:)`` when `x` does not fit the model's inputs.
    public func predict(_ x: [Tensor], batchSize: Int = 32) throws -> [Tensor] {
        try checkBatchSize(batchSize)
        try prepare(for: x, operation: "predict")
        let samples = x[0].shape[0]
        let shapes = outputShapes
        var results = try wrappingTensorErrors { try shapes.map { try Tensor.zeros([samples] + $0) } }
        let rowSizes = shapes.map { $0.reduce(1, *) }
        for start in stride(from: 0, to: samples, by: batchSize) {
            let end = Swift.min(start + batchSize, samples)
            // One batch holding every sample reads x itself, not a copy of it.
            let batch = samples <= batchSize ? x : try wrappingTensorErrors { try x.map { try $0.slice(batch: start..<end) } }
            let outputs = try forward(batch, training: false)
            for index in outputs.indices {
                try wrappingTensorErrors { try results[index].writeScalars(of: outputs[index], at: start * rowSizes[index]) }
            }
        }
        return results
    }

    /// The model's outputs for the inputs of `data` (its targets are not used), read a batch at
    /// a time, in inference mode.
    /// - Throws: ``LayersError`` when a batch does not fit the model or the model has several
    ///   outputs, and what `data` throws.
    public func predict(_ data: some SampleSource, batchSize: Int = 32) throws -> Tensor {
        try checkBatchSize(batchSize)
        try checkNotEmpty(data, operation: "predict")
        try checkOneOutput(operation: "predict", alternative: "predict([x1, x2, ...]) on tensors")
        var result: Tensor?
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let range = start..<Swift.min(start + batchSize, data.count)
            let x = try wrappingTensorErrors { try data.inputsAndTargets(at: range).inputs }
            if let wrong = x.first(where: { $0.shape.first != range.count }) {
                throw LayersError.invalidData("predict: asked the data for \(range.count) samples, received x of shape \(wrong.shape)")
            }
            try prepare(for: x, operation: "predict")
            let output = try forward(x, training: false)[0]
            if result == nil { result = try wrappingTensorErrors { try Tensor.zeros([data.count] + output.shape.dropFirst()) } }
            try wrappingTensorErrors { try result!.writeScalars(of: output, at: start * (output.count / range.count)) }
        }
        return result!
    }

    /// Refuses a one-tensor call on a model of several outputs.
    func checkOneOutput(operation: String, alternative: String) throws {
        guard graph.outputs.count == 1 else {
            throw LayersError.invalidData(
                "\(operation): the model has \(graph.outputs.count) outputs (\(outputNames.joined(separator: ", "))); use \(alternative)")
        }
    }

    /// The loss and metrics on `x` and `y`, in inference mode, averaged over all samples.
    /// - Throws: ``LayersError`` when the model is not compiled or the data does not fit it.
    public func evaluate(x: Tensor, y: Tensor, batchSize: Int = 32) throws -> Logs {
        try evaluate(x: [x], y: [y], batchSize: batchSize)
    }

    /// The loss and metrics of a model of several inputs or outputs, on a tensor per input and
    /// a tensor of targets per output: `loss` (the weighted total) and each output's
    /// `NAME_loss` and `NAME_METRIC`.
    /// - Throws: ``LayersError`` when the model is not compiled or the data does not fit it.
    public func evaluate(x: [Tensor], y: [Tensor], batchSize: Int = 32) throws -> Logs {
        try checkBatchSize(batchSize)
        _ = try compiled(operation: "evaluate")
        try validate(x: x, y: y, operation: "evaluate")
        return try evaluate(TensorSamples(inputs: x, targets: y), samples: 0..<x[0].shape[0], batchSize: batchSize, checked: true)
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
        _ = try compiled(operation: "evaluate")
        var accumulator = LogAccumulator(model: self)
        for start in stride(from: samples.lowerBound, to: samples.upperBound, by: batchSize) {
            let range = start..<Swift.min(start + batchSize, samples.upperBound)
            let (xBatch, yBatch) = try batch(of: data, at: range, checked: checked, operation: "evaluate")
            let predictions = try forward(xBatch, training: false)
            let masks = outputMasks
            let values = try wrappingTensorErrors {
                try losses.indices.map { index in
                    try losses[index].compute(prediction: predictions[index], target: yBatch[index], sampleWeights: nil,
                                              mask: masks.isEmpty ? nil : masks[index]).value
                }
            }
            let total = zip(values, lossWeights).reduce(0) { $0 + $1.0 * $1.1 } + regularizationLoss()
            try accumulator.add(loss: total, outputLosses: values, predictions: predictions, targets: yBatch, masks: masks)
        }
        return accumulator.logs
    }

}
