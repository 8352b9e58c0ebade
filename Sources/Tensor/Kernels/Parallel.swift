import Dispatch

/// Splits a loop over `0..<count` (usually the images of a batch) into contiguous chunks
/// run on ``ComputeThreads/count`` threads, when there is enough work to pay for it.
///
/// - Parameters:
///   - count: the number of items.
///   - costPerItem: roughly how many scalars one item touches; chunks are only made when
///     each would get at least `minimumCostPerChunk` of work.
///   - body: called once per chunk with its range; chunks never overlap.
@usableFromInline
func parallelChunks(
    count: Int, costPerItem: Int, minimumCostPerChunk: Int = 1 << 15,
    _ body: (Range<Int>) -> Void
) {
    ParallelChunks(count: count, costPerItem: costPerItem, minimumCostPerChunk: minimumCostPerChunk).run { _, range in
        body(range)
    }
}

/// How ``parallelChunks(count:costPerItem:minimumCostPerChunk:_:)`` splits a loop, for the
/// kernels that keep one accumulator per chunk (and so must know the number of chunks
/// first). The split depends only on its arguments and ``ComputeThreads/count``, so results
/// summed chunk by chunk repeat exactly.
@usableFromInline
struct ParallelChunks {
    /// The number of items.
    let count: Int
    /// The number of chunks, at least 1 when there are items.
    let chunks: Int

    @usableFromInline
    init(count: Int, costPerItem: Int, minimumCostPerChunk: Int = 1 << 15) {
        self.count = count
        let byWork = Swift.max(1, (count * Swift.max(costPerItem, 1)) / minimumCostPerChunk)
        chunks = Swift.max(0, Swift.min(ComputeThreads.count, count, byWork))
    }

    /// Calls `body(chunk, range)` for every chunk, concurrently when there are several.
    @usableFromInline
    func run(_ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        guard chunks > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        // The chunks write disjoint ranges of the kernels' buffers, so sharing `body` (and
        // the raw pointers it captures) across threads is safe though the compiler cannot see it.
        nonisolated(unsafe) let body = body
        let (count, chunks) = (count, chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks))
        }
    }
}
