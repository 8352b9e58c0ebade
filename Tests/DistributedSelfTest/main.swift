// Run under `mpirun -np N` by DistributedTests: checks the collectives on every rank and
// prints one line per rank; exits 1 (after printing why) when a check fails.
// `abort` as the first argument makes rank 1 abort the job instead, as a failing rank would.
import Distributed
import Foundation
import Tensor

let world = try Communicator.world()
func fail(_ message: String) -> Never {
    print("rank \(world.rank): FAILED \(message)")
    exit(1)
}

if CommandLine.arguments.dropFirst().first == "abort" {
    if world.rank == 1 { world.abort("stopping the job on purpose") }
    Thread.sleep(forTimeInterval: 60)   // the others wait: the abort must end them
    fail("still running 60 s after rank 1 aborted")
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
