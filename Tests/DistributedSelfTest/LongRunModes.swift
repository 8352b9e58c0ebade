// Modes for the tests that compare runs, break them mid-epoch and resume them (TwoHostTests):
// a fixed fit whose weights' bits each rank prints, a fit that trains until the job is ended
// from outside, and a run stopped after two epochs then resumed on another number of ranks.
import Distributed
import Foundation
import Layers
import Tensor

/// 1,280 samples of a two-class problem (the sum of the top half of a 6x6 image), an extra
/// input vector, and a residual graph over them, trained with Adam.
enum LongRunProblem {
    static let samples = 1280

    static func data() throws -> (x: Tensor, y: Tensor) {
        var generator = RandomGenerator(seed: 5)
        let x = try Tensor.uniform([samples, 6, 6, 1], using: &generator)
        let labels = (0..<samples).map { index in x.scalars[(index * 36)..<(index * 36 + 18)].reduce(0, +) > 9 ? 1 : 0 }
        return (x, try Tensor.oneHot(labels, classes: 2))
    }

    static func model(seed: UInt64) throws -> Model {
        let input = Input(shape: [6, 6, 1])
        let x = try Conv2D(filters: 8, kernelSize: 3, padding: .same, activation: .tanh)(input)
        let sum = try Add()(x, try Conv2D(filters: 8, kernelSize: 3, padding: .same)(x))
        let model = try Model(inputs: input, outputs: try Dense(units: 2, activation: .softmax)(try Flatten()(sum)), seed: seed)
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy, metrics: [.accuracy])
        return model
    }

    /// FNV-1a over the bits of every weight: equal only for bit-identical models.
    static func fingerprint(_ model: Model) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for weight in model.weights {
            for scalar in weight.scalars {
                var bits = scalar.bitPattern
                for _ in 0..<4 {
                    hash = (hash ^ UInt64(bits & 0xFF)) &* 0x100_0000_01b3
                    bits >>= 8
                }
            }
        }
        return String(hash, radix: 16)
    }

    /// The largest difference between two models' weights, relative to each weight's largest value.
    static func relativeDifference(_ a: Model, _ b: Model) -> Float {
        zip(a.weights, b.weights).map { a, b in
            let scale = max(b.scalars.map(abs).max() ?? 0, 1e-12)
            return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / scale
        }.max() ?? 0
    }
}

/// `fingerprint`: one epoch (20 steps of a global batch of 64) from seed 3, then every rank
/// prints the weights' fingerprint and how many scalars each step averages.
func runFingerprint(world: Communicator) throws -> Never {
    let (x, y) = try LongRunProblem.data()
    let model = try LongRunProblem.model(seed: 3 + UInt64(world.rank))
    model.dataParallelism = world
    try model.fit(x: x, y: y, batchSize: 64, epochs: 1, verbose: .silent)
    let parameters = model.weights.reduce(0) { $0 + $1.count }
    print("rank \(world.rank) of \(world.size): weights \(LongRunProblem.fingerprint(model)), \(parameters) parameters, 20 steps")
    exit(0)
}

/// `until-stopped`: trains for at most 90 s; once in the first epoch each rank prints its
/// process id, so that the test can end the job from outside mid-epoch.
func runUntilStopped(world: Communicator) throws -> Never {
    final class Announce: Callback {
        let rank: Int, started = Date()
        init(rank: Int) { self.rank = rank }
        struct StillTraining: Error, CustomStringConvertible { var description: String { "still training 90 s later" } }
        func onBatchEnd(_ batch: Int, logs: Logs, model: Model) throws {
            if batch == 2, model.epochsCompleted == 0 {
                print("rank \(rank) pid \(ProcessInfo.processInfo.processIdentifier) is training")
                fflush(nil)
            }
            if Date().timeIntervalSince(started) > 90 { throw StillTraining() }
        }
    }
    let (x, y) = try LongRunProblem.data()
    let model = try LongRunProblem.model(seed: 3)
    model.dataParallelism = world
    do {
        try model.fit(x: x, y: y, batchSize: 64, epochs: 1_000_000, callbacks: [Announce(rank: world.rank)], verbose: .silent)
    } catch {
        print("rank \(world.rank): FAILED \(error)")
    }
    exit(1)
}

/// `resume-start PATH`: two epochs from seed 3 + rank, checkpointed to PATH by rank 0.
func runResumeStart(world: Communicator, checkpoint: String) throws -> Never {
    let (x, y) = try LongRunProblem.data()
    let model = try LongRunProblem.model(seed: 3 + UInt64(world.rank))
    model.dataParallelism = world
    let callbacks: [any Callback] = world.rank == 0 ? [ModelCheckpoint(path: checkpoint)] : []
    try model.fit(x: x, y: y, batchSize: 64, epochs: 2, validationSplit: 0.25, callbacks: callbacks, verbose: .silent)
    print("rank \(world.rank) of \(world.size): trained 2 epochs")
    exit(0)
}

/// `resume-finish PATH`: loads PATH, trains to epoch 4 on this job's ranks, and compares the
/// weights with one process's uninterrupted 4 epochs (and with rank 0's).
func runResumeFinish(world: Communicator, checkpoint: String) throws -> Never {
    let (x, y) = try LongRunProblem.data()
    let resumed = try Model.load(from: checkpoint)
    guard resumed.epochsCompleted == 2 else {
        print("rank \(world.rank): FAILED the checkpoint has \(resumed.epochsCompleted) epochs, expected 2")
        exit(1)
    }
    resumed.dataParallelism = world
    try resumed.fit(x: x, y: y, batchSize: 64, epochs: 4, validationSplit: 0.25, initialEpoch: 2, verbose: .silent)
    let alone = try LongRunProblem.model(seed: 3)
    try alone.fit(x: x, y: y, batchSize: 64, epochs: 4, validationSplit: 0.25, verbose: .silent)
    let difference = LongRunProblem.relativeDifference(resumed, alone)
    var fingerprint = [UInt64(LongRunProblem.fingerprint(resumed), radix: 16)!]
    let own = fingerprint
    try world.broadcast(&fingerprint, from: 0)
    guard fingerprint == own else {
        print("rank \(world.rank): FAILED its weights differ from rank 0's")
        exit(1)
    }
    guard difference < 1e-5 else {
        print("rank \(world.rank): FAILED resumed weights differ from one process's by \(difference) relative")
        exit(1)
    }
    print("rank \(world.rank) of \(world.size): ok, resumed after epoch 2, 4 epochs within \(difference) of one process")
    exit(0)
}
