import Foundation

/// LeakSanitizer's switch for values meant to live as long as the process.
enum LeakSanitizer {
    /// Runs `body` with leak detection off for what it allocates, when the process runs under
    /// LeakSanitizer (the AddressSanitizer builds of scripts/fuzz); elsewhere, just runs it.
    /// Swift keeps flags in the high bits of some references (a string's storage, an enum's
    /// payload), which LeakSanitizer's scan does not take for pointers: values held in a static
    /// would otherwise be reported as leaked.
    static func ignoringAllocations<T>(_ body: () -> T) -> T {
        typealias Switch = @convention(c) () -> Void
        guard let disable = dlsym(nil, "__lsan_disable"), let enable = dlsym(nil, "__lsan_enable") else {
            return body()
        }
        unsafeBitCast(disable, to: Switch.self)()
        defer { unsafeBitCast(enable, to: Switch.self)() }
        return body()
    }
}
