import Foundation
import Tensor

extension Sequential {
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

    // MARK: Training

    /// One optimisation step on one batch; returns that batch's loss and metrics.
    /// - Throws: ``LayersError`` when the model is not compiled or the data does not fit it.
    @discardableResult
    public func trainOnBatch(x: Tensor, y: Tensor) throws -> Logs {
        let (loss, _) = try compiled(operation: "trainOnBatch")
        try validate(x: x, y: y, loss: loss, operation: "trainOnBatch")
        var accumulator = LogAccumulator(metrics: metrics)
        let (value, prediction) = try trainStep(x: x, y: y, loss: loss)
        try accumulator.add(loss: value, prediction: prediction, target: y, lossFunction: loss)
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
    ///   - initialEpoch: the epoch to start from, to resume training.
    ///   - callbacks: called at the start and end of training, epochs and batches.
    ///   - verbose: the progress display; `.auto` draws a live bar on a terminal and one line
    ///     per epoch otherwise.
    /// - Throws: ``LayersError`` for bad arguments or data (before any training happens),
    ///   or from a callback (such as ``TerminateOnNaN``) to stop training.
    @discardableResult
    public func fit(
        x: Tensor, y: Tensor, batchSize: Int = 32, epochs: Int = 1, validationSplit: Float = 0,
        validationData: (x: Tensor, y: Tensor)? = nil, shuffle: Bool = true, initialEpoch: Int = 0,
        callbacks: [any Callback] = [], verbose: Verbosity = .auto
    ) throws -> History {
        let (loss, _) = try compiled(operation: "fit")
        try validate(x: x, y: y, loss: loss, operation: "fit")
        if let validationData {
            try validate(x: validationData.x, y: validationData.y, loss: loss, operation: "fit (validationData)")
        }
        return try fit(TensorSamples(x: x, y: y), batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                       validationData: validationData.map { TensorSamples(x: $0.x, y: $0.y) }, shuffle: shuffle,
                       initialEpoch: initialEpoch, callbacks: callbacks, verbose: verbose, checked: true)
    }

    /// ``fit(x:y:batchSize:epochs:validationSplit:validationData:shuffle:initialEpoch:callbacks:verbose:)``
    /// on data read a batch at a time from `data` (and `validationData`), so that it can stay
    /// compact between batches. The batches are checked as they are read (shape, finite
    /// inputs, targets the loss accepts); the first sample is checked before training starts.
    /// - Throws: ``LayersError`` for bad arguments or a batch that does not fit the model, what
    ///   the sources throw, or from a callback to stop training.
    @discardableResult
    public func fit(
        _ data: some SampleSource, batchSize: Int = 32, epochs: Int = 1, validationSplit: Float = 0,
        validationData: (any SampleSource)? = nil, shuffle: Bool = true, initialEpoch: Int = 0,
        callbacks: [any Callback] = [], verbose: Verbosity = .auto
    ) throws -> History {
        let (loss, _) = try compiled(operation: "fit")
        for (source, operation) in [(data as any SampleSource, "fit"), validationData.map { ($0, "fit (validationData)") }]
            .compactMap({ $0 }) {
            try checkNotEmpty(source, operation: operation)
            _ = try batch(of: source, at: 0..<1, loss: loss, checked: false, operation: operation)
        }
        return try fit(data, batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                       validationData: validationData, shuffle: shuffle, initialEpoch: initialEpoch,
                       callbacks: callbacks, verbose: verbose, checked: false)
    }

    /// The training loop over a source; `checked` when the data was validated as a whole.
    private func fit(
        _ data: some SampleSource, batchSize: Int, epochs: Int, validationSplit: Float, validationData: (any SampleSource)?,
        shuffle: Bool, initialEpoch: Int, callbacks: [any Callback], verbose: Verbosity, checked: Bool
    ) throws -> History {
        let (loss, _) = try compiled(operation: "fit")
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
        var allCallbacks: [any Callback] = []
        if let progress = ProgressBar(verbosity: verbose) { allCallbacks.append(progress) }
        allCallbacks += callbacks
        allCallbacks.append(history)

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
                var accumulator = LogAccumulator(metrics: metrics)
                for batch in 0..<stepsPerEpoch {
                    for callback in allCallbacks { try callback.onBatchBegin(batch, model: self) }
                    let globalIndices = order[(batch * batchSize)..<Swift.min((batch + 1) * batchSize, samples)]
                    let indices = shard(of: globalIndices)
                    shardWeight = Float(indices.count * (dataParallelism?.size ?? 1)) / Float(globalIndices.count)
                    let (xBatch, yBatch) = try self.batch(of: data, at: indices, loss: loss, checked: checked, operation: "fit")
                    let (value, prediction) = try trainStep(x: xBatch, y: yBatch, loss: loss)
                    try accumulator.add(loss: value, prediction: prediction, target: yBatch, lossFunction: loss)
                    let runningLogs = accumulator.logs
                    for callback in allCallbacks { try callback.onBatchEnd(batch, logs: runningLogs, model: self) }
                }
                var logs = try averagedOverProcesses(accumulator.logs)
                try averageNonTrainableParametersOverProcesses()
                if let validation {
                    let results = try evaluate(validation.data, samples: validation.range, batchSize: batchSize, checked: checked)
                    for (key, value) in results { logs[key.validation] = value }
                }
                if let rate = learningRate { logs[.learningRate] = rate }
                epochsCompleted = epoch + 1
                for callback in allCallbacks { try callback.onEpochEnd(epoch, logs: logs, model: self) }
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

    /// This process's contiguous slice of a batch's indices under ``dataParallelism`` (the
    /// whole batch otherwise).
    private func shard(of indices: ArraySlice<Int>) -> ArraySlice<Int> {
        guard let parallelism = dataParallelism, parallelism.size > 1 else { return indices }
        let (count, start) = (indices.count, indices.startIndex)
        let (rank, size) = (parallelism.rank, parallelism.size)
        return indices[(start + count * rank / size)..<(start + count * (rank + 1) / size)]
    }

    /// Under ``dataParallelism``, checks that every process built the same model and trains it
    /// with the same settings, comparing a fingerprint of them with the first process's; a
    /// difference anywhere is the same error on every process (not a hang, not a silent mix).
    private func checkSameSettingsOnEveryProcess(batchSize: Int, samples: Int, epochs: Int) throws {
        guard let parallelism = dataParallelism, parallelism.size > 1 else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var description = "batch \(batchSize) samples \(samples) epochs \(epochs) loss \(loss?.name ?? "-")"
        description += " optimizer \(optimizer.map { String(describing: type(of: $0)) } ?? "-")"
        for (key, value) in (optimizer?.state ?? [:]).sorted(by: { $0.key < $1.key }) {
            description += " \(key) \(value.shape)"
        }
        for layer in layers {
            let configuration = (try? configurationJSON(of: layer)).flatMap { try? encoder.encode($0) }
            let json = configuration.map { String(decoding: $0, as: UTF8.self) } ?? ""
            description += " | \(type(of: layer).typeName) \(layer.name) \(json)"
            description += " \(layer.parameters.map(\.value.shape))"
        }
        // FNV-1a, 64 bits: the same text gives the same number on every process.
        let own = description.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
        var first = [own]
        try parallelism.broadcastFromFirst(&first)
        var disagreements = try wrappingTensorErrors { try Tensor(shape: [1], scalars: [first[0] == own ? 0 : 1]) }
        try parallelism.averageGradients(&disagreements)
        guard disagreements.scalars[0] == 0 else {
            throw LayersError.invalidData(
                "fit: the processes disagree on the model or its settings (process \(parallelism.rank): " +
                (first[0] == own ? "same as process 0, another differs" : "differs from process 0") +
                "); start every process with the same model, batch size, epochs and data")
        }
    }

    /// The epoch's training loss and metrics averaged over the processes (each process saw its
    /// shards of the same batches), so that every process logs and decides (early stopping,
    /// learning-rate changes) on the same numbers.
    private func averagedOverProcesses(_ logs: Logs) throws -> Logs {
        guard let parallelism = dataParallelism, parallelism.size > 1 else { return logs }
        let keys = logs.keys.sorted { $0.rawValue < $1.rawValue }
        var values = try wrappingTensorErrors { try Tensor(shape: [keys.count], scalars: keys.map { logs[$0]! }) }
        try parallelism.averageGradients(&values)
        return Dictionary(uniqueKeysWithValues: zip(keys, values.scalars))
    }

    /// BatchNormalization's moving statistics (and any other non-trainable parameter) averaged
    /// over the processes at the end of each epoch, so that every process holds the same model.
    private func averageNonTrainableParametersOverProcesses() throws {
        guard let parallelism = dataParallelism, parallelism.size > 1 else { return }
        var values: [Float] = []
        for layer in layers {
            for parameter in layer.parameters where !parameter.trainable { values += parameter.value.scalars }
        }
        guard !values.isEmpty else { return }
        var flat = try wrappingTensorErrors { try Tensor(shape: [values.count], scalars: values) }
        try parallelism.averageGradients(&flat)
        var offset = 0
        try withLayers { layers in
            for index in layers.indices {
                try layers[index].forEachParameter { parameter in
                    guard !parameter.trainable else { return }
                    try wrappingTensorErrors { try parameter.value.readScalars(from: flat, at: offset) }
                    offset += parameter.value.count
                }
            }
        }
    }

    /// Under ``dataParallelism``, replaces every weight, the optimizer's state and the random
    /// generator with the first process's.
    private func startFromFirstProcessWeights() throws {
        guard let parallelism = dataParallelism, parallelism.size > 1 else { return }
        let current = weights
        var flat = try wrappingTensorErrors { try Tensor.zeros([current.reduce(0) { $0 + $1.count }]) }
        var offset = 0
        for tensor in current {
            try wrappingTensorErrors { try flat.writeScalars(of: tensor, at: offset) }
            offset += tensor.count
        }
        try parallelism.broadcastFromFirst(&flat)
        offset = 0
        var received: [Tensor] = []
        for tensor in current {
            var copy = tensor
            try wrappingTensorErrors { try copy.readScalars(from: flat, at: offset) }
            received.append(copy)
            offset += tensor.count
        }
        try setWeights(received)
        if var optimizer {
            // The optimizer's state too (the same keys and shapes everywhere: the fingerprint has them).
            for key in optimizer.state.keys.sorted() {
                var value = optimizer.state[key]!
                try parallelism.broadcastFromFirst(&value)
                optimizer.state[key] = value
            }
            self.optimizer = optimizer
        }
        var state = trainingGenerator.state
        try parallelism.broadcastFromFirst(&state)
        trainingGenerator = try wrappingTensorErrors { try RandomGenerator(state: state) }
    }

    /// The samples `indices` of `data` as tensors, checked against the model and the loss
    /// unless the whole data set was (`checked`).
    private func batch(
        of data: some SampleSource, at indices: some Collection<Int>, loss: Loss, checked: Bool, operation: String
    ) throws -> (x: Tensor, y: Tensor) {
        let (x, y) = try wrappingTensorErrors { try data.batch(at: indices) }
        guard !checked else { return (x, y) }
        guard x.shape.first == indices.count else {
            throw LayersError.invalidData("\(operation): asked the data for \(indices.count) samples, received x of shape \(x.shape)")
        }
        try validate(x: x, y: y, loss: loss, operation: operation)
        return (x, y)
    }

    private func checkNotEmpty(_ data: some SampleSource, operation: String) throws {
        guard data.count > 0 else { throw LayersError.invalidData("\(operation): expected at least one sample, found none") }
    }

    // MARK: The step

    /// Forward in training mode, loss, backward, regularisation and one optimizer update.
    func trainStep(x: Tensor, y: Tensor, loss: Loss) throws -> (loss: Float, prediction: Tensor) {
        let prediction = try forward(x, training: true)
        let last = layers.count - 1
        let fuse = loss.fusableActivation != nil && layerCalls[last] == nil
            && (layers[last] as? any ActivatedLayer)?.activation == loss.fusableActivation
        var (value, gradient) = try wrappingTensorErrors { try loss.compute(prediction: prediction, target: y, fused: fuse) }
        try withLayers { layers in
            try runLayer(last, of: &layers) { layer in
                // In place on the array's layer: a copy would share its gradient buffers and force new ones.
                if let call = layerCalls.removeValue(forKey: last) {
                    gradient = try call.backward(gradient, layer: &layer) ?? gradient
                } else {
                    gradient = fuse ? try layer.backward(preActivationGradient: gradient) : try layer.backward(gradient)
                }
            }
            for index in stride(from: last - 1, through: firstLayerWithParameters, by: -1) {
                try runLayer(index, of: &layers) { layer in
                    if let call = layerCalls.removeValue(forKey: index) {
                        gradient = try call.backward(gradient, layer: &layer) ?? gradient
                    } else {
                        gradient = try layer.backward(gradient)
                    }
                }
            }
        }
        value += regularizationLoss()
        try applyOptimizer()
        return (value, prediction)
    }

    /// The forward pass through every layer.
    func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        var shared = trainingGenerator
        var context = ForwardContext(training: training, generator: shared)
        // Under data parallelism every process draws the same seed from the shared generator
        // (which also shuffles, so the shuffles stay alike) and makes its own stream of it:
        // dropout masks and augmentations differ from process to process.
        let ownStream = training && (dataParallelism?.size ?? 1) > 1
        if ownStream, let parallelism = dataParallelism {
            let seed = shared.next()
            context.generator = RandomGenerator(seed: seed ^ (UInt64(parallelism.rank + 1) &* 0x9E37_79B9_7F4A_7C15))
        }
        var output = x
        layerCalls.removeAll()
        try withLayers { layers in
            for index in layers.indices {
                try runLayer(index, of: &layers) { layer in
                    // A forward-only layer that the backward pass reaches runs on a tape of its own.
                    if training, index >= firstLayerWithParameters, var differentiable = layer as? any DifferentiableLayer {
                        let call = try differentiable.recordedCall(
                            output, inputGradient: index > firstLayerWithParameters, context: &context)
                        layer = differentiable
                        layerCalls[index] = call
                        output = call.output.value
                    } else {
                        output = try layer.forward(output, context: &context)
                    }
                }
            }
        }
        if training { trainingGenerator = ownStream ? shared : context.generator }
        return output
    }

    /// The sum of the layers' regularisation penalties.
    func regularizationLoss() -> Float {
        layers.flatMap(\.parameters).reduce(0) { total, parameter in
            total + (parameter.regularizer?.loss(parameter.value) ?? 0)
        }
    }

    /// The optimizer's update of every trainable parameter at once: the gradients (plus
    /// regularisation) and the weights are gathered into flat buffers, the optimizer clips,
    /// decays and updates those, and the weights are written back.
    private func applyOptimizer() throws {
        guard var optimizer else { return }
        // Where each trainable parameter lies in the flat buffers, checked against its gradient.
        var segments: [Range<Int>] = []
        try withLayers { layers in
            for index in layers.indices {
                let layerName = layers[index].name
                try layers[index].forEachParameter { parameter in
                    guard parameter.trainable else { return }
                    guard parameter.gradient.shape == parameter.value.shape else {
                        throw LayersError.notReady(
                            operation: "\(layerName) \(parameter.name)",
                            reason: "expected a gradient of shape \(parameter.value.shape), found \(parameter.gradient.shape); does the layer's backward set it?")
                    }
                    let start = segments.last?.upperBound ?? 0
                    segments.append(start..<(start + parameter.value.count))
                }
            }
        }
        let total = segments.last?.upperBound ?? 0
        try wrappingTensorErrors {
            try flatWeights.resizeDiscardingContents(to: [total])
            try flatGradients.resizeDiscardingContents(to: [total])
        }
        try forEachTrainableParameter(segments) { parameter, offset in
            try parameter.regularizer?.addGradient(of: parameter.value, to: &parameter.gradient)
            try flatGradients.writeScalars(of: parameter.gradient, at: offset)
            try flatWeights.writeScalars(of: parameter.value, at: offset)
        }
        // Data parallelism: one collective over the flat buffer averages every process's gradients,
        // each weighted by its shard's share of the batch (shards differ by one when the batch
        // does not divide), so the result is the whole batch's mean gradient.
        if let parallelism = dataParallelism, parallelism.size > 1 {
            if shardWeight != 1 { flatGradients *= shardWeight }
            try parallelism.averageGradients(&flatGradients)
        }
        try optimizer.update(weights: &flatWeights, gradients: &flatGradients, segments: segments, step: step)
        try forEachTrainableParameter(segments) { parameter, offset in
            try parameter.value.readScalars(from: flatWeights, at: offset)
        }
        self.optimizer = optimizer
        step += 1
    }

    /// Calls `body` on each trainable parameter, in place, with its offset in the flat buffers.
    private func forEachTrainableParameter(
        _ segments: [Range<Int>], _ body: (inout Parameter, Int) throws -> Void
    ) throws {
        var index = 0
        try withLayers { layers in
            for layerIndex in layers.indices {
                try layers[layerIndex].forEachParameter { parameter in
                    guard parameter.trainable else { return }
                    try wrappingTensorErrors { try body(&parameter, segments[index].lowerBound) }
                    index += 1
                }
            }
        }
    }

    /// Runs `body` on layer `index`, naming the layer in any error it throws.
    private func runLayer(_ index: Int, of layers: inout [any Layer], _ body: (inout any Layer) throws -> Void) throws {
        do {
            try body(&layers[index])
        } catch let error as LayersError {
            throw LayersError.inLayer(name: layers[index].name, index: index, error: error)
        } catch let error as TensorError {
            throw LayersError.inLayer(name: layers[index].name, index: index, error: .tensor(error))
        }
    }

    // MARK: Checks

    private func compiled(operation: String) throws -> (Loss, any Optimizer) {
        guard let loss, let optimizer else {
            throw LayersError.notReady(operation: operation, reason: "the model is not compiled; call compile(optimizer:loss:metrics:) first")
        }
        return (loss, optimizer)
    }

    private func checkBatchSize(_ batchSize: Int) throws {
        guard batchSize > 0 else { throw LayersError.invalidData("expected a positive batchSize, found \(batchSize)") }
    }

    /// Builds the model from `x`'s sample shape if needed and checks that `x` fits it.
    private func prepare(for x: Tensor, operation: String) throws {
        guard x.rank >= 1, x.shape[0] > 0 else {
            throw LayersError.invalidData("\(operation): expected at least one sample, found x of shape \(x.shape)")
        }
        let sampleShape = Array(x.shape.dropFirst())
        if !isBuilt { try build(inputShape: inputShape ?? sampleShape) }
        guard sampleShape == inputShape else {
            throw LayersError.invalidData(
                "\(operation): expected samples of shape \(inputShape ?? []), found \(sampleShape) (x has shape \(x.shape))")
        }
        if let bad = x.firstNonFinite {
            throw LayersError.invalidData("\(operation): x contains \(bad.value); clean or impute the data first")
        }
    }

    private func validate(x: Tensor, y: Tensor, loss: Loss, operation: String) throws {
        try prepare(for: x, operation: operation)
        guard y.rank >= 1, y.shape[0] == x.shape[0] else {
            throw LayersError.invalidData("\(operation): x has \(x.shape[0]) samples but y has \(y.shape.first ?? 0) (shape \(y.shape))")
        }
        try loss.validate(targets: y, outputShape: outputShape ?? [])
    }
}

/// Sample-weighted running means of the loss and metrics over an epoch or an evaluation.
struct LogAccumulator {
    let metrics: [Metric]
    private var lossSum: Double = 0
    private var samples = 0
    private var correct: [Int]
    private var counted: [Int]

    init(metrics: [Metric]) {
        self.metrics = metrics
        correct = Array(repeating: 0, count: metrics.count)
        counted = correct
    }

    /// Adds a batch; returns the batch's own values.
    @discardableResult
    mutating func add(loss: Float, prediction: Tensor, target: Tensor, lossFunction: Loss) throws -> Logs {
        let batch = prediction.shape.first ?? 0
        lossSum += Double(loss) * Double(batch)
        samples += batch
        var batchLogs: Logs = [.loss: loss]
        for (index, metric) in metrics.enumerated() {
            let (hits, total) = try wrappingTensorErrors { try metric.correct(prediction: prediction, target: target, loss: lossFunction) }
            correct[index] += hits
            counted[index] += total
            batchLogs[.metric(metric)] = Float(hits) / Float(Swift.max(total, 1))
        }
        return batchLogs
    }

    /// The running means.
    var logs: Logs {
        var logs: Logs = [.loss: Float(lossSum / Double(Swift.max(samples, 1)))]
        for (index, metric) in metrics.enumerated() {
            logs[.metric(metric)] = Float(correct[index]) / Float(Swift.max(counted[index], 1))
        }
        return logs
    }
}
