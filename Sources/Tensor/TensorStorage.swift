/// The heap buffer behind a ``Tensor``: 64-byte aligned Float32 scalars.
///
/// A tensor holds one of these and copies it only when it is shared and about to be
/// written (copy-on-write). `capacity` may exceed the tensor's element count so that a
/// buffer can be reused for a smaller batch without reallocating.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let capacity: Int

    /// Alignment of every buffer, in bytes: one cache line, enough for AVX-512 loads.
    static let alignment = 64

    /// A buffer of at least `capacity` scalars with unspecified contents (large ones come
    /// from the ``BufferCache``, rounded up to its size class).
    @usableFromInline
    init(uninitializedCapacity capacity: Int) {
        let bytes = BufferCache.sizeClass(Swift.max(capacity, 1) * MemoryLayout<Float>.stride)
        self.capacity = bytes / MemoryLayout<Float>.stride
        pointer = BufferCache.allocate(bytes: bytes, alignment: Self.alignment)
            .bindMemory(to: Float.self, capacity: self.capacity)
    }

    /// A buffer of `capacity` scalars, all set to `value`.
    @usableFromInline
    convenience init(capacity: Int, repeating value: Float) {
        self.init(uninitializedCapacity: capacity)
        pointer.initialize(repeating: value, count: capacity)
    }

    /// A new buffer holding the first `count` scalars of this one.
    @usableFromInline
    func copy(count: Int) -> TensorStorage {
        let result = TensorStorage(uninitializedCapacity: count)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    deinit {
        BufferCache.release(UnsafeMutableRawPointer(pointer), bytes: capacity * MemoryLayout<Float>.stride)
    }
}
