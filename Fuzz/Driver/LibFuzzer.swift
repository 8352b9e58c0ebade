import Foundation
import FuzzHarnesses

// libFuzzer's driver. SwiftPM links the harnesses as executables whose entry is
// `<Target>_main`, so libFuzzer's own `main` cannot be used: each harness calls this instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) private var current: FuzzHarness?

/// Runs libFuzzer with the command line, calling `harness` with each input.
public func runFuzzer(_ harness: FuzzHarness, _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    current = harness
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { bytes, size in
        current?.run(bytes.map { Data(bytes: $0, count: size) } ?? Data())
        return 0
    }
}
