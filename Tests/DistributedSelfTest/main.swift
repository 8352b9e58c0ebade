// Run under `mpirun -np N` by DistributedTests: checks the collectives on every rank and
// prints one line per rank; exits 1 (after printing why) when a check fails.
// `abort` as the first argument makes rank 1 abort the job instead, as a failing rank would;
// LongRunModes.swift has the modes that compare, break and resume runs.
import Distributed
import Foundation
import Layers
import Tensor

let world = try Communicator.world()
func fail(_ message: String) -> Never {
    print("rank \(world.rank): FAILED \(message)")
    exit(1)
}

switch (CommandLine.arguments.dropFirst().first, CommandLine.arguments.dropFirst(2).first) {
case ("fingerprint", _): try runFingerprint(world: world)
case ("until-stopped", _): try runUntilStopped(world: world)
case ("resume-start", let path?): try runResumeStart(world: world, checkpoint: path)
case ("resume-finish", let path?): try runResumeFinish(world: world, checkpoint: path)
default: break
}

if CommandLine.arguments.dropFirst().first == "throwing" {
    // Rank 1's data fails at its fourth batch: fit must end the whole job, not leave rank 0
    // waiting in the next allreduce.
    struct Failing: SampleSource {
        struct Unreadable: Error, CustomStringConvertible { var description: String { "batch 4 is unreadable" } }
        let inner: TensorSamples
        let failOnRank1: Bool
        final class Counter: @unchecked Sendable { var calls = 0 }
        let counter = Counter()
        var count: Int { inner.count }
        func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
            counter.calls += 1
            if failOnRank1, counter.calls == 5 { throw Unreadable() }   // the first call is fit's check of sample 0
            return try inner.batch(at: indices)
        }
    }
    let model = Sequential(seed: 1) { Input(shape: [2]); Dense(units: 2, activation: .softmax) }
    try model.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
    model.dataParallelism = world
    let data = Failing(inner: TensorSamples(x: try Tensor.zeros([640, 2]), y: try Tensor.oneHot(Array(repeating: 0, count: 640), classes: 2)),
                       failOnRank1: world.rank == 1)
    try model.fit(data, batchSize: 64, epochs: 3, verbose: .silent)
    fail("fit returned although rank 1's data failed")
}

if CommandLine.arguments.dropFirst().first == "killable" {
    // Rank 1 says its process id and waits to be killed from outside; rank 0 waits for it
    // in a collective. Open MPI must then end the job instead of letting rank 0 wait forever.
    if world.rank == 1 {
        print("rank 1 pid \(ProcessInfo.processInfo.processIdentifier)")
        fflush(nil)
        Thread.sleep(forTimeInterval: 60)
    }
    try world.barrier()
    fail("the barrier returned although rank 1 was killed")
}

if CommandLine.arguments.dropFirst().first == "abort" {
    if world.rank == 1 { world.abort("stopping the job on purpose") }
    Thread.sleep(forTimeInterval: 60)   // the others wait: the abort must end them
    fail("still running 60 s after rank 1 aborted")
}

if CommandLine.arguments.dropFirst().first == "equivalence" {
    // Data-parallel training with a global batch of 64 split across the ranks must give the
    // weights one process gets with batch 64, step for step (no dropout or batch statistics).
    var generator = RandomGenerator(seed: 5)
    let x = try Tensor.uniform([1280, 6, 6, 1], using: &generator)
    let labels = (0..<1280).map { index in x.scalars[(index * 36)..<(index * 36 + 18)].reduce(0, +) > 9 ? 1 : 0 }
    let y = try Tensor.oneHot(labels, classes: 2)
    func model(seed: UInt64) throws -> Sequential {
        let model = Sequential(seed: seed) {
            Input(shape: [6, 6, 1])
            Conv2D(filters: 4, kernelSize: 3, activation: .relu)
            Flatten()
            Dense(units: 2, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy)
        return model
    }
    /// A residual graph: the same check for a functional model (fan-out and an Add).
    func residual(seed: UInt64) throws -> Model {
        let input = Input(shape: [6, 6, 1])
        let x = try Conv2D(filters: 4, kernelSize: 3, padding: .same, activation: .tanh)(input)
        let sum = try Add()(x, try Conv2D(filters: 4, kernelSize: 3, padding: .same)(x))
        let model = try Model(inputs: input, outputs: try Dense(units: 2, activation: .softmax)(try Flatten()(sum)), seed: seed)
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy)
        return model
    }
    /// Two inputs (the image and a vector) and two outputs (the class, and a value with its own loss and weight).
    func twoInputsTwoOutputs(seed: UInt64) throws -> Model {
        let image = Input(shape: [6, 6, 1], name: "image"), extra = Input(shape: [3], name: "extra")
        let features = try Concatenate()(try Flatten()(try Conv2D(filters: 4, kernelSize: 3, activation: .tanh)(image)),
                                         try Dense(units: 4, activation: .tanh)(extra))
        let digit = try Dense(units: 2, activation: .softmax).named("digit")(features)
        let value = try Dense(units: 1).named("value")(features)
        let model = try Model(inputs: [image, extra], outputs: [digit, value], seed: seed)
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: [.categoricalCrossentropy, .meanSquaredError],
                          lossWeights: [1, 0.5])
        return model
    }
    let extra = try Tensor.uniform([1280, 3], using: &generator)
    let value = try Tensor(shape: [1280, 1], scalars: (0..<1280).map { extra.scalars[3 * $0] - extra.scalars[3 * $0 + 2] })
    let cases: [(String, (UInt64) throws -> Model, [Tensor], [Tensor])] = [
        ("chain", { try model(seed: $0) }, [x], [y]), ("graph", residual, [x], [y]),
        ("two inputs and outputs", twoInputsTwoOutputs, [x, extra], [y, value]),
    ]
    for (kind, make, inputs, targets) in cases {
        // Each rank starts from its own seed: the broadcast must replace weights and shuffle.
        let distributed = try make(3 + UInt64(world.rank))
        distributed.dataParallelism = world
        try distributed.fit(x: inputs, y: targets, batchSize: 64, epochs: 1, verbose: .silent)   // 20 steps
        let alone = try make(3)
        try alone.fit(x: inputs, y: targets, batchSize: 64, epochs: 1, verbose: .silent)
        let worst = LongRunProblem.relativeDifference(distributed, alone)
        guard worst < 1e-5 else { fail("\(kind): weights differ from one process's by \(worst) relative") }
        var flat = try Tensor(shape: [distributed.weights.reduce(0) { $0 + $1.count }],
                              scalars: distributed.weights.flatMap(\.scalars))
        let own = flat
        try world.broadcast(&flat, from: 0)
        guard flat == own else { fail("\(kind): rank \(world.rank)'s weights differ from rank 0's") }
        print("rank \(world.rank) of \(world.size): ok, \(kind), 20 steps within \(worst) of one process")
    }

    // With dropout and batch normalisation the ranks see different masks and batch
    // statistics, yet end every epoch with the same model and the same logs.
    let regularised = Sequential(seed: 11 + UInt64(world.rank)) {
        Input(shape: [6, 6, 1])
        Conv2D(filters: 4, kernelSize: 3, useBias: false)
        BatchNormalization()
        ReLU()
        Flatten()
        Dropout(rate: 0.3)
        Dense(units: 2, activation: .softmax)
    }
    try regularised.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy, metrics: [.accuracy])
    regularised.dataParallelism = world
    let history = try regularised.fit(x: x, y: y, batchSize: 64, epochs: 2, validationSplit: 0.2, verbose: .silent)
    var everything = try Tensor(shape: [regularised.weights.reduce(0) { $0 + $1.count } + 2],
                                scalars: regularised.weights.flatMap(\.scalars) + [history[.loss].last!, history[.valAccuracy].last!])
    let mine = everything
    try world.broadcast(&everything, from: 0)
    guard everything == mine else { fail("after fit with dropout and batch normalisation, rank \(world.rank) differs from rank 0") }
    print("rank \(world.rank) of \(world.size): ok, same model and logs with dropout and batch normalisation")
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "mismatch" {
    // Rank 1 asks for another batch size: every rank must stop with the same clear error.
    let model = Sequential(seed: 1) { Input(shape: [2]); Dense(units: 2, activation: .softmax) }
    try model.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
    model.dataParallelism = world
    let x = try Tensor.zeros([100, 2]), y = try Tensor.oneHot(Array(repeating: 0, count: 100), classes: 2)
    do {
        try model.fit(x: x, y: y, batchSize: world.rank == 1 ? 32 : 64, verbose: .silent)
        fail("training started although rank 1's batch size differs")
    } catch {
        print("rank \(world.rank): \(error)")
        exit(3)
    }
}

// Broadcast: every rank starts from its own values and ends with rank 0's.
var weights = try Tensor(shape: [3, 5], scalars: (0..<15).map { Float($0 + 100 * world.rank) })
try world.broadcast(&weights, from: 0)
guard weights.scalars == (0..<15).map(Float.init) else { fail("broadcast gave \(weights.scalars)") }

var fingerprint: [UInt64] = [UInt64(42 + world.rank), 7]
try world.broadcast(&fingerprint)
guard fingerprint == [42, 7] else { fail("UInt64 broadcast gave \(fingerprint)") }

// Allreduce: rank r contributes r + 1 at every position (and i at position i).
var gradients = try Tensor(shape: [1000], scalars: (0..<1000).map { Float(world.rank + 1) + Float($0) })
try world.allreduceAverage(&gradients)
let n = Float(world.size)
let expected = (0..<1000).map { (n + 1) / 2 + Float($0) }
guard gradients.scalars == expected else { fail("allreduce average gave \(Array(gradients.scalars.prefix(4)))") }

do {
    try world.broadcast(&weights, from: world.size)
    fail("a broadcast from rank \(world.size) was accepted")
} catch let error as DistributedError {
    guard error == .invalidRank(world.size, size: world.size) else { fail("unexpected \(error)") }
}
try world.barrier()
print("rank \(world.rank) of \(world.size): ok")
