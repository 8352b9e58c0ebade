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
    guard count > 0 else { return }
    let byWork = Swift.max(1, (count * Swift.max(costPerItem, 1)) / minimumCostPerChunk)
    let chunks = Swift.min(ComputeThreads.count, count, byWork)
    if chunks <= 1 {
        body(0..<count)
        return
    }
    // The chunks write disjoint ranges of the kernels' buffers, so sharing `body` (and
    // the raw pointers it captures) across threads is safe though the compiler cannot see it.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = count * chunk / chunks
        let end = count * (chunk + 1) / chunks
        body(start..<end)
    }
}
