import Foundation
import Tensor

extension Model {
    // MARK: Training

    /// One optimisation step on one batch; returns that batch's loss and metrics.
    /// - Throws: ``LayersError`` when the model is not compiled or the data does not fit it.
    @discardableResult
    public func trainOnBatch(x: Tensor, y: Tensor) throws -> Logs {
        try trainOnBatch(x: [x], y: [y])
    }

    /// One optimisation step on one batch of a model of several inputs or outputs: a tensor
    /// per input and a tensor of targets per output, in the model's order.
    /// - Throws: ``LayersError`` when the model is not compiled or the data does not fit it.
    @discardableResult
    public func trainOnBatch(x: [Tensor], y: [Tensor]) throws -> Logs {
        _ = try compiled(operation: "trainOnBatch")
        try validate(x: x, y: y, operation: "trainOnBatch")
        var accumulator = LogAccumulator(model: self)
        let result = try trainStep(x: x, y: y)
        try accumulator.add(loss: result.loss, outputLosses: result.outputLosses, predictions: result.predictions,
                            targets: y, masks: result.masks)
        return accumulator.logs
    }

    /// Trains for `epochs` epochs and returns the per-epoch history of the loss and metrics.
    ///
    /// - Parameters:
    ///   - x: inputs, `[samples] + inputShape`.
    ///   - y: targets, as the loss expects them (one-hot rows, class indices, ...).
    ///   - batchSize: samples per optimisation step; the last batch of an epoch may be smaller.
    ///   - epochs: the epoch to stop at (exclusive), counting from 0 as Keras does, so that
    ///     `initialEpoch` resumes a run.
    ///   - validationSplit: the fraction of the data held out for validation. As in Keras it
    ///     is the **last** fraction of `x` and `y`, taken **before** shuffling: shuffle the
    ///     data first if it is ordered (by class, say).
    ///   - validationData: explicit validation data; takes precedence over `validationSplit`.
    ///   - shuffle: whether to shuffle the training samples before each epoch (seeded).
    ///   - classWeight: a weight per class index for the loss of its samples (Keras's
    ///     `class_weight`; classes not listed weigh 1), for the cross-entropy losses.
    ///   - sampleWeight: a weight per sample of `x` for its loss, `[samples]` (Keras's
    ///     `sample_weight`), multiplied by its class's weight. The loss logged and minimised is
    ///     `Σ wᵢ·lᵢ / N` per batch; metrics and validation are not weighted.
    ///   - initialEpoch: the epoch to start from, to resume training.
    ///   - callbacks: called at the start and end of training, epochs and batches.
    ///   - verbose: the progress display; `.auto` draws a live bar on a terminal and one line
    ///     per epoch otherwise.
    /// - Throws: ``LayersError`` for bad arguments or data (before any training happens),
    ///   or from a callback (such as ``TerminateOnNaN``) to stop training.
    @discardableResult
    public func fit(
        x: Tensor, y: Tensor, batchSize: Int = 32, epochs: Int = 1, validationSplit: Float = 0,
        validationData: (x: Tensor, y: Tensor)? = nil, shuffle: Bool = true, classWeight: [Int: Float]? = nil,
        sampleWeight: Tensor? = nil, initialEpoch: Int = 0, callbacks: [any Callback] = [], verbose: Verbosity = .auto
    ) throws -> History {
        try fit(x: [x], y: [y], batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                validationData: validationData.map { ([$0.x], [$0.y]) }, shuffle: shuffle, classWeight: classWeight,
                sampleWeight: sampleWeight, initialEpoch: initialEpoch, callbacks: callbacks, verbose: verbose)
    }

    /// Trains a model of several inputs or outputs: `x` holds a tensor per input and `y` a
    /// tensor of targets per output, in the model's order, each with a row per sample (as
    /// Keras's `fit([x1, x2], [y1, y2])`). `sampleWeight` weighs each sample's loss in every
    /// output; `classWeight` needs a model of one output. The other arguments are those of
    /// the one-tensor `fit(x:y:...)`.
    /// - Throws: ``LayersError`` for bad arguments or data (before any training happens),
    ///   or from a callback to stop training.
    @discardableResult
    public func fit(
        x: [Tensor], y: [Tensor], batchSize: Int = 32, epochs: Int = 1, validationSplit: Float = 0,
        validationData: (x: [Tensor], y: [Tensor])? = nil, shuffle: Bool = true, classWeight: [Int: Float]? = nil,
        sampleWeight: Tensor? = nil, initialEpoch: Int = 0, callbacks: [any Callback] = [], verbose: Verbosity = .auto
    ) throws -> History {
        _ = try compiled(operation: "fit")
        try validate(x: x, y: y, operation: "fit")
        if let validationData {
            try validate(x: validationData.x, y: validationData.y, operation: "fit (validationData)")
        }
        let weighting = try SampleWeighting(sampleWeight: sampleWeight, classWeight: classWeight, samples: x[0].shape[0], model: self)
        return try fit(TensorSamples(inputs: x, targets: y), batchSize: batchSize, epochs: epochs,
                       validationSplit: validationSplit,
                       validationData: validationData.map { TensorSamples(inputs: $0.x, targets: $0.y) }, shuffle: shuffle,
                       weighting: weighting, initialEpoch: initialEpoch, callbacks: callbacks, verbose: verbose, checked: true)
    }

    /// `fit` on data read a batch at a time from `data` (and `validationData`), so that it can stay
    /// compact between batches. The batches are checked as they are read (shape, finite
    /// inputs, targets the loss accepts); the first sample is checked before training starts.
    /// `classWeight` weighs each sample's loss by its class, as with tensors.
    /// - Throws: ``LayersError`` for bad arguments or a batch that does not fit the model, what
    ///   the sources throw, or from a callback to stop training.
    @discardableResult
    public func fit(
        _ data: some SampleSource, batchSize: Int = 32, epochs: Int = 1, validationSplit: Float = 0,
        validationData: (any SampleSource)? = nil, shuffle: Bool = true, classWeight: [Int: Float]? = nil,
        initialEpoch: Int = 0, callbacks: [any Callback] = [], verbose: Verbosity = .auto
    ) throws -> History {
        _ = try compiled(operation: "fit")
        for (source, operation) in [(data as any SampleSource, "fit"), validationData.map { ($0, "fit (validationData)") }]
            .compactMap({ $0 }) {
            try checkNotEmpty(source, operation: operation)
            _ = try batch(of: source, at: 0..<1, checked: false, operation: operation)
        }
        // After the first batch, which builds the model: the weighting checks its output shape.
        let weighting = try SampleWeighting(sampleWeight: nil, classWeight: classWeight, samples: data.count, model: self)
        return try fit(data, batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                       validationData: validationData, shuffle: shuffle, weighting: weighting, initialEpoch: initialEpoch,
                       callbacks: callbacks, verbose: verbose, checked: false)
    }

    /// The training loop over a source; `checked` when the data was validated as a whole.
    func fit(
        _ data: some SampleSource, batchSize: Int, epochs: Int, validationSplit: Float, validationData: (any SampleSource)?,
        shuffle: Bool, weighting: SampleWeighting?, initialEpoch: Int, callbacks: [any Callback], verbose: Verbosity,
        checked: Bool
    ) throws -> History {
        _ = try compiled(operation: "fit")
        try checkBatchSize(batchSize)
        guard epochs >= 0, initialEpoch >= 0, initialEpoch <= epochs else {
            throw LayersError.invalidData("fit: expected 0 <= initialEpoch (\(initialEpoch)) <= epochs (\(epochs))")
        }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw LayersError.invalidData("fit: expected validationSplit in [0, 1), found \(validationSplit)")
        }
        // Training and validation samples are ranges of the sources, not copies of them.
        var trainingRange = 0..<data.count
        var validation = validationData.map { (data: $0, range: 0..<$0.count) }
        if validationData == nil, validationSplit > 0 {
            let samples = data.count
            let splitAt = Int(Float(samples) * (1 - validationSplit))
            guard splitAt > 0, splitAt < samples else {
                throw LayersError.invalidData(
                    "fit: validationSplit \(validationSplit) of \(samples) samples leaves \(splitAt) for training and \(samples - splitAt) for validation; both need at least one")
            }
            validation = (data, splitAt..<samples)
            trainingRange = 0..<splitAt
        }

        let samples = trainingRange.count
        let stepsPerEpoch = (samples + batchSize - 1) / batchSize
        let history = History()
        // Yours first, then History and the progress line, so that they show what yours add (addToLogs).
        var allCallbacks: [any Callback] = callbacks
        allCallbacks.append(history)
        if let progress = ProgressBar(verbosity: verbose) { allCallbacks.append(progress) }

        trainingPlan = TrainingPlan(epochs: epochs, initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch,
                                    samples: samples, batchSize: batchSize)
        defer { (trainingPlan, shardWeight) = (nil, 1) }
        stopTraining = false
        try checkSameSettingsOnEveryProcess(batchSize: batchSize, samples: data.count, epochs: epochs)
        try startFromFirstProcessWeights()
        for callback in allCallbacks { try callback.onTrainBegin(model: self) }
        var lastLogs: Logs = [:]
        do {
            for epoch in initialEpoch..<epochs {
                for callback in allCallbacks { try callback.onEpochBegin(epoch, model: self) }
                var order = Array(trainingRange)
                if shuffle { order.shuffle(using: &trainingGenerator) }
                var accumulator = LogAccumulator(model: self)
                for batch in 0..<stepsPerEpoch {
                    for callback in allCallbacks { try callback.onBatchBegin(batch, model: self) }
                    let globalIndices = order[(batch * batchSize)..<Swift.min((batch + 1) * batchSize, samples)]
                    let indices = shard(of: globalIndices)
                    shardWeight = Float(indices.count * (dataParallelism?.size ?? 1)) / Float(globalIndices.count)
                    let (xBatch, yBatch) = try self.batch(of: data, at: indices, checked: checked, operation: "fit")
                    let weights = try weighting?.weights(of: indices, targets: yBatch[0], loss: losses[0])
                    let result = try trainStep(x: xBatch, y: yBatch, sampleWeights: weights)
                    try accumulator.add(loss: result.loss, outputLosses: result.outputLosses, predictions: result.predictions,
                                        targets: yBatch, masks: result.masks)
                    var runningLogs = accumulator.logs
                    for callback in allCallbacks {
                        try callback.onBatchEnd(batch, logs: runningLogs, model: self)
                        takeAddedLogs(into: &runningLogs)
                    }
                }
                var logs = try averagedOverProcesses(accumulator.logs)
                try averageNonTrainableParametersOverProcesses()
                if let validation {
                    let results = try evaluate(validation.data, samples: validation.range, batchSize: batchSize, checked: checked)
                    for (key, value) in results { logs[key.validation] = value }
                }
                if let rate = learningRate { logs[.learningRate] = rate }
                epochsCompleted = epoch + 1
                for callback in allCallbacks {
                    try callback.onEpochEnd(epoch, logs: logs, model: self)
                    takeAddedLogs(into: &logs)
                }
                lastLogs = logs
                if stopTraining { break }
            }
        } catch {
            // Under data parallelism the other processes would wait for this one forever.
            if let parallelism = dataParallelism, parallelism.size > 1 { parallelism.abort("fit: \(error)") }
            throw error
        }
        for callback in allCallbacks { try callback.onTrainEnd(model: self, logs: lastLogs) }
        return history
    }

    /// The batch of `data` at `indices`, checked against the model unless `checked` (the data
    /// was validated as a whole).
    func batch(
        of data: some SampleSource, at indices: some Collection<Int>, checked: Bool, operation: String
    ) throws -> (x: [Tensor], y: [Tensor]) {
        let (x, y) = try wrappingTensorErrors { try data.inputsAndTargets(at: indices) }
        guard !checked else { return (x, y) }
        if let wrong = x.first(where: { $0.shape.first != indices.count }) {
            throw LayersError.invalidData("\(operation): asked the data for \(indices.count) samples, received x of shape \(wrong.shape)")
        }
        try validate(x: x, y: y, operation: operation)
        return (x, y)
    }

    func checkNotEmpty(_ data: some SampleSource, operation: String) throws {
        guard data.count > 0 else { throw LayersError.invalidData("\(operation): expected at least one sample, found none") }
    }

    // MARK: Checks

    func compiled(operation: String) throws -> (Loss, any Optimizer) {
        guard let loss, let optimizer else {
            throw LayersError.notReady(operation: operation, reason: "the model is not compiled; call compile(optimizer:loss:metrics:) first")
        }
        return (loss, optimizer)
    }

    func checkBatchSize(_ batchSize: Int) throws {
        guard batchSize > 0 else { throw LayersError.invalidData("expected a positive batchSize, found \(batchSize)") }
    }

    /// Builds the model from the inputs' sample shapes if needed and checks that `x` (a tensor
    /// per input) fits it.
    func prepare(for x: [Tensor], operation: String) throws {
        guard x.count == graph.inputCount else {
            throw LayersError.invalidData(
                "\(operation): the model has \(graph.inputCount) inputs (\(inputNames.joined(separator: ", "))), found \(x.count) "
                + "tensors in x; give one per input, in that order")
        }
        func which(_ index: Int) -> String { x.count > 1 ? "x[\(index)] (input '\(inputNames[index])')" : "x" }
        for (index, input) in x.enumerated() {
            guard input.rank >= 1, input.shape[0] > 0 else {
                throw LayersError.invalidData("\(operation): expected at least one sample, found \(which(index)) of shape \(input.shape)")
            }
            guard input.shape[0] == x[0].shape[0] else {
                throw LayersError.invalidData(
                    "\(operation): x[0] has \(x[0].shape[0]) samples but \(which(index)) has \(input.shape[0]) (shape \(input.shape))")
            }
        }
        let sampleShapes = x.map { Array($0.shape.dropFirst()) }
        if !isBuilt { try build(inputShapes: inputShapes ?? sampleShapes) }
        for (index, input) in x.enumerated() {
            guard sampleShapes[index] == inputShapes?[index] else {
                throw LayersError.invalidData(
                    "\(operation): expected samples of shape \(inputShapes?[index] ?? []), found \(sampleShapes[index]) "
                    + "(\(which(index)) has shape \(input.shape))")
            }
            if let bad = input.firstNonFinite {
                throw LayersError.invalidData("\(operation): \(which(index)) contains \(bad.value); clean or impute the data first")
            }
        }
    }

    /// Checks that `x` (a tensor per input) and `y` (a tensor of targets per output) fit the
    /// compiled model.
    func validate(x: [Tensor], y: [Tensor], operation: String) throws {
        try prepare(for: x, operation: operation)
        guard y.count == graph.outputs.count else {
            throw LayersError.invalidData(
                "\(operation): the model has \(graph.outputs.count) outputs (\(outputNames.joined(separator: ", "))), found \(y.count) "
                + "tensors in y; give the targets of each output, in that order")
        }
        let several = y.count > 1
        for (index, targets) in y.enumerated() {
            let which = several ? "y[\(index)] (output '\(outputNames[index])')" : "y"
            guard targets.rank >= 1, targets.shape[0] == x[0].shape[0] else {
                throw LayersError.invalidData(
                    "\(operation): x has \(x[0].shape[0]) samples but \(which) has \(targets.shape.first ?? 0) (shape \(targets.shape))")
            }
            do {
                try losses[index].validate(targets: targets, outputShape: outputShapes[index])
            } catch let LayersError.invalidData(message) where several {
                throw LayersError.invalidData("output '\(outputNames[index])': \(message)")
            }
        }
    }

    /// Adds a value to the logs of the batch or epoch whose `onBatchEnd`/`onEpochEnd` hook is
    /// running (Keras's callbacks writing into `logs`): the callbacks after the one that adds
    /// it, ``History`` and the progress line see it. Called outside those hooks, it is dropped
    /// when the next hook starts.
    public func addToLogs(_ value: Float, as key: LogKey) {
        addedLogs[key] = value
    }

    /// Moves what a callback added with ``addToLogs(_:as:)`` into `logs`.
    private func takeAddedLogs(into logs: inout Logs) {
        guard !addedLogs.isEmpty else { return }
        logs.merge(addedLogs) { $1 }
        addedLogs.removeAll()
    }
}
