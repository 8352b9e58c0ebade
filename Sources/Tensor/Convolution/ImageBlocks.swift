/// How the convolution algorithms split a batch: a contiguous chunk of images per thread
/// (``ParallelChunks``), which its thread goes through a block of at most `imagesPerBlock`
/// images at a time, so that what one pass writes for a block (columns, transformed tiles, the
/// output before its activation) is still in the core's cache when the next pass reads it.
struct ImageBlocks {
    /// The split of the batch into chunks, one per thread.
    let plan: ParallelChunks
    /// The most images in one block.
    let imagesPerBlock: Int

    /// Blocks of a batch, given roughly how many multiply-adds one image costs.
    init(batch: Int, imagesPerBlock: Int, costPerImage: Int) {
        plan = ParallelChunks(count: batch, costPerItem: costPerImage, minimumCostPerChunk: 1 << 20)
        self.imagesPerBlock = Swift.max(1, imagesPerBlock)
    }

    /// Calls `body(chunk, block)` for every block: the chunks concurrently, the blocks of a chunk
    /// in order on its thread, after `prepare(chunk)` made that thread's workspace.
    func run<Workspace>(prepare: (_ chunk: Int) -> Workspace, finish: (Workspace) -> Void,
                        _ body: (_ chunk: Int, _ block: Range<Int>, _ workspace: Workspace) -> Void) {
        plan.run { chunk, images in
            let workspace = prepare(chunk)
            defer { finish(workspace) }
            for start in stride(from: images.lowerBound, to: images.upperBound, by: imagesPerBlock) {
                body(chunk, start..<Swift.min(start + imagesPerBlock, images.upperBound), workspace)
            }
        }
    }
}
