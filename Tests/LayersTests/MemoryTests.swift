#if os(Linux)
import CMallocStatistics
import Testing
import Layers
import Tensor

@Suite("Memory", .serialized)
struct MemoryTests {
    /// Bytes the process has allocated and not freed (heap plus mmap'ed blocks).
    func bytesInUse() -> Int { malloc_bytes_in_use() }

    /// The bytes in use are process-wide, so this test needs the suite to run serially
    /// (`swift test --no-parallel`, the README's test command); with other tests allocating
    /// at the same time it reports their memory too.
    @Test("training steps of the reference CNN allocate nothing that stays: memory in use does not grow")
    func noGrowthAcrossSteps() throws {
        let model = referenceCNN(augmentation: true)
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let x = randomTensor([16, 28, 28, 1], seed: 1)
        let y = try Tensor.oneHot((0..<16).map { $0 % 10 }, classes: 10)
        for _ in 0..<3 { try model.trainOnBatch(x: x, y: y) }
        let before = bytesInUse()
        try #require(before > 0, "malloc statistics are unavailable, so this check could not fail")
        for _ in 0..<20 { try model.trainOnBatch(x: x, y: y) }
        let after = bytesInUse()
        // One leaked activation of this model would be ≥ 16·26·26·32·4 bytes ≈ 1.4 MB per step,
        // 28 MB over 20 steps; allow 64 KiB of allocator noise.
        #expect(after - before < 64 * 1024, "in use before: \(before), after: \(after)")
    }
}
#endif
