import Foundation
import NIOConcurrencyHelpers

/// The server's shared budgets: request bytes held across all requests, and prediction slots
/// with a bounded queue. A request that would go over either is refused at once (the route
/// answers 503 with `Retry-After`), so load is shed instead of queued without bound.
final class AdmissionControl: Sendable {
    private struct State {
        var bytesHeld = 0
        var predictionsRunning = 0
        var waiting: [CheckedContinuation<Bool, Never>] = []
    }

    let maximumBytes: Int
    let maximumPredictions: Int
    let queueLength: Int
    // NIO's lock is a pthread mutex, which ThreadSanitizer understands (it reported accesses
    // under the standard library's Mutex as races).
    private let state = NIOLockedValueBox(State())

    init(limits: ServerLimits) {
        maximumBytes = limits.maximumInFlightBytes
        maximumPredictions = limits.maximumConcurrentPredictions
        queueLength = limits.predictionQueueLength
    }

    /// Takes `count` bytes of the budget; false (and nothing taken) when they do not fit.
    func reserveBytes(_ count: Int) -> Bool {
        state.withLockedValue { state in
            guard state.bytesHeld + count <= maximumBytes else { return false }
            state.bytesHeld += count
            return true
        }
    }

    /// Gives back bytes taken with ``reserveBytes(_:)``.
    func releaseBytes(_ count: Int) {
        state.withLockedValue { $0.bytesHeld -= count }
    }

    /// Runs `work` on a thread of its own once a prediction slot is free, waiting behind at
    /// most `queueLength` others.
    /// - Returns: nil when the slots and the queue are full (nothing run).
    func runPrediction<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result? {
        // One decision under the lock: run now, wait in the queue (the slot is handed over by the
        // prediction that ends, its count staying taken), or refuse.
        let admitted: Bool = await withCheckedContinuation { continuation in
            let decision = state.withLockedValue { state -> Bool? in
                if state.predictionsRunning < maximumPredictions {
                    state.predictionsRunning += 1
                    return true
                }
                guard state.waiting.count < queueLength else { return false }
                state.waiting.append(continuation)
                return nil
            }
            if let decision { continuation.resume(returning: decision) }
        }
        guard admitted else { return nil }
        defer { endPrediction() }
        // Decoding and the forward pass are CPU-bound: off Swift's cooperative threads, so that
        // the server's other requests (`/health`, the page) are answered meanwhile.
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Swift.Result { try work() }) }
        }
    }

    private func endPrediction() {
        let next = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            if state.waiting.isEmpty {
                state.predictionsRunning -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: true)
    }
}
