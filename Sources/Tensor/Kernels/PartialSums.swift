/// One accumulator per chunk of a ``ParallelChunks`` split, added up in chunk order at the
/// end, so that a sum computed on several threads (a weight or bias gradient) repeats exactly
/// for a given ``ComputeThreads/count``.
struct PartialSums {
    /// The scalars of one accumulator.
    let size: Int
    private let chunks: Int
    private let storage: UnsafeMutablePointer<Float>

    /// `chunks` accumulators of `size` scalars, all zero. Call ``deallocate()`` when done.
    init(chunks: Int, size: Int) {
        (self.chunks, self.size) = (Swift.max(chunks, 1), size)
        storage = .allocate(capacity: self.chunks * size)
        storage.initialize(repeating: 0, count: self.chunks * size)
    }

    /// The accumulator of `chunk`, for that chunk's thread alone.
    func accumulator(_ chunk: Int) -> UnsafeMutablePointer<Float> { storage + chunk * size }

    /// Writes the sum of the accumulators, added in chunk order, to `total`.
    func total(into total: UnsafeMutablePointer<Float>) {
        total.update(from: storage, count: size)
        for chunk in 1..<chunks {
            let partial = accumulator(chunk)
            for index in 0..<size { total[index] += partial[index] }
        }
    }

    func deallocate() { storage.deallocate() }
}
