/// The shape checks and the per-image loop that max and average pooling share.
extension WindowGeometry {
    /// The output shape of pooling an `[N, H, W, C]` batch, after checking the input.
    func pooledShape(of input: Tensor, channels: Int, operation: String) throws -> [Int] {
        let batch = try batchSize(of: input, channels: channels, operation: operation)
        return [batch, outputHeight, outputWidth, channels]
    }

    /// Calls `body(n, oh, ow, rows, columns)` for every output pixel of `batch` images,
    /// with the input rows and columns its window covers; parallel over the images.
    @inlinable @inline(__always)
    func forEachPoolingWindow(
        batch: Int, channels: Int, _ body: (_ image: Int, _ oh: Int, _ ow: Int, Range<Int>, Range<Int>) -> Void
    ) {
        let cost = outputHeight * outputWidth * windowHeight * windowWidth * channels
        parallelChunks(count: batch, costPerItem: cost) { images in
            for n in images {
                for oh in 0..<outputHeight {
                    let rows = inputRows(forOutputRow: oh)
                    for ow in 0..<outputWidth {
                        body(n, oh, ow, rows, inputColumns(forOutputColumn: ow))
                    }
                }
            }
        }
    }
}
