import Foundation
import Tensor

/// Data parallelism as a strategy of `fit`: the steps a run over several processes adds.
extension Model {
    func shard(of indices: ArraySlice<Int>) -> ArraySlice<Int> {
        guard let parallelism = dataParallelism, parallelism.size > 1 else { return indices }
        let (count, start) = (indices.count, indices.startIndex)
        let (rank, size) = (parallelism.rank, parallelism.size)
        return indices[(start + count * rank / size)..<(start + count * (rank + 1) / size)]
    }

    /// Under ``dataParallelism``, checks that every process built the same model and trains it
    /// with the same settings, comparing a fingerprint of them with the first process's; a
    /// difference anywhere is the same error on every process (not a hang, not a silent mix).
    func checkSameSettingsOnEveryProcess(batchSize: Int, samples: Int, epochs: Int) throws {
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
    func averagedOverProcesses(_ logs: Logs) throws -> Logs {
        guard let parallelism = dataParallelism, parallelism.size > 1 else { return logs }
        let keys = logs.keys.sorted { $0.rawValue < $1.rawValue }
        var values = try wrappingTensorErrors { try Tensor(shape: [keys.count], scalars: keys.map { logs[$0]! }) }
        try parallelism.averageGradients(&values)
        return Dictionary(uniqueKeysWithValues: zip(keys, values.scalars))
    }

    /// BatchNormalization's moving statistics (and any other non-trainable parameter) averaged
    /// over the processes at the end of each epoch, so that every process holds the same model.
    func averageNonTrainableParametersOverProcesses() throws {
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
    func startFromFirstProcessWeights() throws {
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

}
