import Testing
@testable import Tensor

@Suite("Buffer cache", .serialized)
struct BufferCacheTests {
    @Test("size classes round large requests up by at most an eighth and leave small ones alone")
    func sizeClasses() {
        #expect(BufferCache.sizeClass(1000) == 1000)
        #expect(BufferCache.sizeClass(BufferCache.minimumBytes) == BufferCache.minimumBytes)
        for bytes in [BufferCache.minimumBytes + 1, 3_000_017, 11_075_584, 123_456_789] {
            let size = BufferCache.sizeClass(bytes)
            #expect(size >= bytes && Double(size) <= Double(bytes) * 1.125, "\(bytes) -> \(size)")
            #expect(BufferCache.sizeClass(size) == size)
        }
    }

    @Test("a freed large buffer is handed out again, and trim gives the cache back")
    func reuse() throws {
        // An odd size that no other test allocates, so that tests running at the same time cannot take the buffer.
        let shape = [3_333_331]
        var first: Tensor? = try Tensor(shape: shape, repeating: 1)
        let address = first!.withUnsafeBufferPointer { $0.baseAddress }
        first = nil
        #expect(BufferCache.cachedBytes >= BufferCache.sizeClass(shape[0] * 4))
        let second = try Tensor(shape: shape, repeating: 2)
        #expect(second.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(second.scalars.allSatisfy { $0 == 2 })
        BufferCache.trim()
        #expect(BufferCache.cachedBytes == 0)
    }

    @Test("the cache never holds more than its limit")
    func limit() throws {
        let saved = BufferCache.limitBytes
        defer { BufferCache.limitBytes = saved }
        BufferCache.limitBytes = 6 << 20
        var tensors: [Tensor] = try (0..<4).map { _ in try Tensor(shape: [1 << 20], repeating: 0) }  // 4 MiB each
        tensors.removeAll()
        #expect(BufferCache.cachedBytes <= 6 << 20)
        BufferCache.limitBytes = 0
        #expect(BufferCache.cachedBytes == 0)
        _ = tensors
    }
}
