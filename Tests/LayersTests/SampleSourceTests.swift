import Testing
import Layers
import Tensor

/// Blobs kept as bytes, as a data set on disk might be: each feature quantised to 0...255.
struct ByteBlobs: SampleSource {
    let bytes: [UInt8]
    let labels: [Int]
    var count: Int { labels.count }
    var wrongShape = false

    func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
        (try Tensor(gatheringRows: indices, of: bytes, rowShape: wrongShape ? [1] : [2], scale: 1.0 / 20),
         try Tensor.oneHot(indices.map { labels[$0] }, classes: 3))
    }

    /// The same samples as tensors.
    var tensors: (x: Tensor, y: Tensor) { (try! batch(at: 0..<count).x, try! Tensor.oneHot(labels, classes: 3)) }
}

@Suite("Training and evaluating from a SampleSource")
struct SampleSourceTests {
    /// `SampleSource`'s doc example, as written there.
    struct Squares: SampleSource {
        var count: Int { 1000 }
        func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
            let x = indices.map { Float($0) / 1000 }
            return (try Tensor(x).reshaped([indices.count, 1]), try Tensor(x.map { $0 * $0 }).reshaped([indices.count, 1]))
        }
    }

    @Test("the doc example's source trains a model")
    func docExample() throws {
        let model = Sequential(seed: 3) { Input(shape: [1]); Dense(units: 16, activation: .tanh); Dense(units: 1) }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .meanSquaredError)
        let history = try model.fit(Squares(), batchSize: 50, epochs: 20, verbose: .silent)
        #expect(history[.loss].last! < history[.loss].first! / 4, "\(history[.loss])")
    }

    let data: ByteBlobs = {
        let (x, labels) = SyntheticData.blobs(samples: 150, classes: 3, seed: 1)
        return ByteBlobs(bytes: x.scalars.map { UInt8(Swift.max(0, Swift.min(255, ($0 + 6) * 20))) }, labels: labels)
    }()

    func model() throws -> Sequential {
        let model = Sequential(seed: 9) {
            Input(shape: [2])
            Dense(units: 16, activation: .tanh)
            Dropout(rate: 0.2)
            Dense(units: 3, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .categoricalCrossentropy, metrics: [.accuracy])
        return model
    }

    @Test("fit on a source is fit on the same tensors, bit for bit: shuffling, dropout, validation split")
    func sameAsTensors() throws {
        let (fromSource, fromTensors) = (try model(), try model())
        let first = try fromSource.fit(data, batchSize: 16, epochs: 15, validationSplit: 0.2, verbose: .silent)
        let (x, y) = data.tensors
        let second = try fromTensors.fit(x: x, y: y, batchSize: 16, epochs: 15, validationSplit: 0.2, verbose: .silent)
        #expect(first.history == second.history)
        #expect(fromSource.weights == fromTensors.weights)
        #expect(first[.accuracy].last! > 0.9, "\(first.history)")
        #expect(try fromSource.evaluate(data, batchSize: 7) == fromTensors.evaluate(x: x, y: y, batchSize: 7))
        #expect(try fromSource.predict(data, batchSize: 7) == fromTensors.predict(x, batchSize: 7))
        let validated = try fromSource.fit(data, batchSize: 16, epochs: 16, validationData: data, initialEpoch: 15, verbose: .silent)
        #expect(validated[.valAccuracy].count == 1)
    }

    @Test("a source whose batches do not fit the model is an error before training, naming the shapes")
    func badBatches() throws {
        var bad = data
        bad.wrongShape = true
        let model = try model()
        let error = #expect(throws: LayersError.self) { try model.fit(bad, batchSize: 16, verbose: .silent) }
        #expect(error?.description == "fit: expected samples of shape [2], found [1] (x has shape [1, 1])")
        #expect(model.epochsCompleted == 0)
        #expect(throws: LayersError.self) { try model.evaluate(ByteBlobs(bytes: [], labels: [])) }
        #expect(throws: LayersError.self) { try model.predict(bad) }
    }
}

/// A stand-in for a group of processes: it knows its rank and does no communication.
final class LoneRank: DataParallelism {
    let rank: Int, size: Int
    init(rank: Int, size: Int) { (self.rank, self.size) = (rank, size) }
    func averageGradients(_ gradients: inout Tensor) throws {}
    func broadcastFromFirst(_ values: inout Tensor) throws {}
    func broadcastFromFirst(_ words: inout [UInt64]) throws {}
    func abort(_ message: String) -> Never { fatalError(message) }
}

/// Records which samples each batch asked for.
final class RecordingSource: SampleSource {
    let inner: ByteBlobs
    var requests: [[Int]] = []
    init(_ inner: ByteBlobs) { self.inner = inner }
    var count: Int { inner.count }
    func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
        requests.append(Array(indices))
        return try inner.batch(at: indices)
    }
}

@Suite("Data parallelism in fit")
struct DataParallelFitTests {
    @Test("the ranks' slices of every batch partition it, so each epoch's slices partition the data")
    func shardsPartitionTheData() throws {
        let (x, labels) = SyntheticData.blobs(samples: 103, classes: 3, seed: 1)
        let data = ByteBlobs(bytes: x.scalars.map { UInt8(Swift.max(0, Swift.min(255, ($0 + 6) * 20))) }, labels: labels)
        var perRank: [[[Int]]] = []
        for rank in 0..<3 {
            let source = RecordingSource(data)
            let model = Sequential(seed: 4) { Input(shape: [2]); Dense(units: 3, activation: .softmax) }
            try model.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
            model.dataParallelism = LoneRank(rank: rank, size: 3)
            try model.fit(source, batchSize: 10, epochs: 2, verbose: .silent)
            perRank.append(Array(source.requests.dropFirst()))   // the first is the check of sample 0
        }
        #expect(perRank.allSatisfy { $0.count == 2 * 11 })         // 11 batches of 10 (the last 3) per epoch
        for step in 0..<22 {
            let slices = perRank.map { $0[step] }
            #expect(slices.map(\.count).reduce(0, +) == (step % 11 == 10 ? 3 : 10))
            #expect(Set(slices.joined()).count == slices.map(\.count).reduce(0, +), "slices overlap at step \(step)")
        }
        for epoch in 0..<2 {
            let seen = perRank.flatMap { $0[(epoch * 11)..<((epoch + 1) * 11)].joined() }
            #expect(seen.sorted() == Array(0..<103), "epoch \(epoch)")
        }
    }
}
