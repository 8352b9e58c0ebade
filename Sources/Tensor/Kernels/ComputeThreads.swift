import Foundation
import Synchronization
#if !canImport(Accelerate)
internal import CBLAS
#endif

/// How many threads the library computes with: the blocks of a GEMM (each one
/// single-threaded BLAS call) and the batch-parallel loops of im2col, col2im, pooling and
/// batch normalisation.
///
/// The default is every core the process may use. Set a smaller count to leave cores
/// to other work, or 1 for runs that must repeat bit for bit across machines.
public enum ComputeThreads {
    private static let current = Atomic<Int>(ProcessInfo.processInfo.activeProcessorCount)

    /// The number of threads, at least 1.
    public static var count: Int {
        get { current.load(ordering: .relaxed) }
        set {
            let value = Swift.max(1, newValue)
            current.store(value, ordering: .relaxed)
        }
    }

    /// The BLAS library this build computes with, for benchmark reports.
    public static var blasDescription: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let config = openblas_get_config() else { return "OpenBLAS" }
        return "OpenBLAS \(String(cString: config)), called single-threaded on \(count) threads"
        #endif
    }
}
