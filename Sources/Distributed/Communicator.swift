internal import CMPI
import Foundation
import Tensor

/// The processes of an MPI job (`mpirun -np N ...`), as the ranks of `MPI_COMM_WORLD`, with the
/// collective operations data-parallel training needs: broadcast (rank 0's weights to every
/// rank), allreduce (the sum or average of every rank's gradients) and abort.
///
/// Create it once per process, before training, with ``world()``; MPI is finalised when the
/// process exits. Collectives must be called by every rank in the same order, as MPI requires.
///
/// ```swift
/// let world = try Communicator.world()
/// var gradients = try Tensor.ones([10])
/// try world.allreduceAverage(&gradients)      // the mean over ranks, on every rank
/// ```
public final class Communicator: @unchecked Sendable {
    /// This process's rank, `0..<size`.
    public let rank: Int
    /// The number of ranks.
    public let size: Int

    private static let shared = Result<Communicator, DistributedError> { () throws(DistributedError) in try Communicator() }

    /// The world communicator, initialising MPI on first use.
    /// - Throws: ``DistributedError/mpi(operation:code:)`` when MPI cannot start.
    public static func world() throws -> Communicator { try shared.get() }

    private init() throws(DistributedError) {
        var provided: Int32 = 0
        try check(MPI_Init_thread(nil, nil, swiftlayers_mpi_thread_funneled(), &provided), "MPI_Init_thread")
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(swiftlayers_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(swiftlayers_mpi_comm_world(), &size), "MPI_Comm_size")
        (self.rank, self.size) = (Int(rank), Int(size))
        // MPI requires every rank that initialised it to finalise it before exiting.
        atexit { _ = MPI_Finalize() }
    }

    /// Replaces `tensor` on every rank with its value on `root`. Every rank must pass a
    /// tensor of the same shape.
    /// - Throws: ``DistributedError`` for a bad root or an MPI failure.
    public func broadcast(_ tensor: inout Tensor, from root: Int = 0) throws {
        guard (0..<size).contains(root) else { throw DistributedError.invalidRank(root, size: size) }
        let count = try mpiCount(tensor.count)
        try tensor.withUnsafeMutableBufferPointer { buffer in
            try check(MPI_Bcast(buffer.baseAddress, count, swiftlayers_mpi_float(), Int32(root), swiftlayers_mpi_comm_world()),
                      "MPI_Bcast")
        }
    }

    /// Replaces `values` on every rank with its value on `root` (fingerprints, seeds, counts).
    /// - Throws: ``DistributedError`` for a bad root or an MPI failure.
    public func broadcast(_ values: inout [UInt64], from root: Int = 0) throws {
        guard (0..<size).contains(root) else { throw DistributedError.invalidRank(root, size: size) }
        let count = try mpiCount(values.count)
        try values.withUnsafeMutableBufferPointer { buffer in
            try check(MPI_Bcast(buffer.baseAddress, count, swiftlayers_mpi_uint64(), Int32(root), swiftlayers_mpi_comm_world()),
                      "MPI_Bcast")
        }
    }

    /// Replaces `tensor` on every rank with the sum over ranks, in place (one `MPI_Allreduce`
    /// over the contiguous buffer).
    /// - Throws: ``DistributedError/mpi(operation:code:)`` when MPI fails.
    public func allreduceSum(_ tensor: inout Tensor) throws {
        let count = try mpiCount(tensor.count)
        try tensor.withUnsafeMutableBufferPointer { buffer in
            try check(MPI_Allreduce(swiftlayers_mpi_in_place(), buffer.baseAddress, count, swiftlayers_mpi_float(), swiftlayers_mpi_sum(),
                                    swiftlayers_mpi_comm_world()), "MPI_Allreduce")
        }
    }

    /// Replaces `tensor` on every rank with the mean over ranks.
    /// - Throws: ``DistributedError/mpi(operation:code:)`` when MPI fails.
    public func allreduceAverage(_ tensor: inout Tensor) throws {
        try allreduceSum(&tensor)
        if size > 1 { tensor *= 1 / Float(size) }
    }

    /// Waits until every rank has called it.
    /// - Throws: ``DistributedError/mpi(operation:code:)`` when MPI fails.
    public func barrier() throws {
        try check(MPI_Barrier(swiftlayers_mpi_comm_world()), "MPI_Barrier")
    }

    /// Ends the whole job (every rank) with `code`, after printing `message` once to standard
    /// error: the way a failing rank stops the others instead of leaving them waiting forever.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("rank \(rank) of \(size): \(message)\n".utf8))
        MPI_Abort(swiftlayers_mpi_comm_world(), code)
        exit(code)
    }
}

/// What goes wrong in a distributed run.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// An MPI call returned an error code.
    case mpi(operation: String, code: Int32)
    /// A rank outside `0..<size`.
    case invalidRank(Int, size: Int)
    /// A buffer longer than one MPI call can send (counts are 32-bit).
    case tooLarge(count: Int)

    public var description: String {
        switch self {
        case let .mpi(operation, code): "\(operation) failed with MPI error code \(code)"
        case let .invalidRank(rank, size): "expected a rank in 0..<\(size), found \(rank)"
        case let .tooLarge(count): "expected at most \(Int32.max) scalars in one MPI call, found \(count)"
        }
    }
}

private func mpiCount(_ count: Int) throws(DistributedError) -> Int32 {
    guard let count = Int32(exactly: count) else { throw DistributedError.tooLarge(count: count) }
    return count
}

private func check(_ code: Int32, _ operation: String) throws(DistributedError) {
    guard code == swiftlayers_mpi_success() else { throw DistributedError.mpi(operation: operation, code: code) }
}
