import Synchronization

/// Keeps freed large tensor buffers for reuse, as the allocators of PyTorch and TensorFlow
/// do.
///
/// A training step frees and allocates the same large activations every time. Given back
/// to glibc, a buffer of many megabytes is returned to the system and the next one costs a
/// page fault for every 4 KiB touched: about 2,000 faults and several milliseconds per
/// step for the `best` MNIST recipe. Buffers of at least ``minimumBytes`` are instead
/// kept here, by size class, and handed out again; smaller ones go straight to `malloc`,
/// which recycles them well.
///
/// The cache never holds more than ``limitBytes``; ``trim()`` gives everything back.
public enum BufferCache {
    /// Buffers smaller than this are not cached.
    public static let minimumBytes = 1 << 20

    /// A cached buffer; only the cache touches it until it is handed out again.
    private struct Buffer: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private struct State {
        var free: [Int: [Buffer]] = [:]
        var bytes = 0
        var limit = 1 << 30
    }

    private static let state = Mutex(State())

    /// The most bytes the cache holds (1 GiB by default); a buffer freed past it goes back to the system.
    public static var limitBytes: Int {
        get { state.withLock { $0.limit } }
        set {
            let evicted = state.withLock { state in
                state.limit = Swift.max(0, newValue)
                return evict(&state)
            }
            evicted.forEach { $0.pointer.deallocate() }
        }
    }

    /// The bytes held for reuse now.
    public static var cachedBytes: Int { state.withLock { $0.bytes } }

    /// Gives every cached buffer back to the system.
    public static func trim() {
        let all = state.withLock { state in
            defer { state.free = [:]; state.bytes = 0 }
            return state.free.values.flatMap { $0 }
        }
        all.forEach { $0.pointer.deallocate() }
    }

    /// The size a request of `bytes` is rounded up to: at most 1/8 more, so that buffers of
    /// nearby sizes (a last, smaller batch) share a class.
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes >= minimumBytes else { return bytes }
        let step = (1 << (Int.bitWidth - 1 - bytes.leadingZeroBitCount)) / 8
        return (bytes + step - 1) / step * step
    }

    /// A buffer of `sizeClass(bytes)` bytes, aligned to `alignment`, reused when one is cached.
    static func allocate(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let size = sizeClass(bytes)
        if size >= minimumBytes, let reused = state.withLock({ state -> Buffer? in
            guard let buffer = state.free[size]?.popLast() else { return nil }
            state.bytes -= size
            return buffer
        }) {
            return reused.pointer
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: alignment)
    }

    /// Takes back a buffer from ``allocate(bytes:alignment:)`` of the same `bytes`.
    static func release(_ buffer: UnsafeMutableRawPointer, bytes: Int) {
        let size = sizeClass(bytes)
        guard size >= minimumBytes else { return buffer.deallocate() }
        let evicted = state.withLock { state in
            state.free[size, default: []].append(Buffer(pointer: buffer))
            state.bytes += size
            return evict(&state)
        }
        evicted.forEach { $0.pointer.deallocate() }
    }

    /// Removes buffers, largest classes first, until the cache is within its limit.
    private static func evict(_ state: inout State) -> [Buffer] {
        var evicted: [Buffer] = []
        while state.bytes > state.limit, let size = state.free.keys.max() {
            let buffer = state.free[size]!.removeLast()
            if state.free[size]!.isEmpty { state.free[size] = nil }
            state.bytes -= size
            evicted.append(buffer)
        }
        return evicted
    }
}
