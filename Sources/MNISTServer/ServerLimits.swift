import Foundation

/// What `mnist serve` lets one client, and all of them together, cost it: every limit is a flag
/// of `mnist serve` with the default below, chosen so that a server on a small machine stays
/// up under hostile clients while a person drawing digits or uploading phone photos never
/// meets one.
public struct ServerLimits: Sendable, Equatable {
    /// The largest request body accepted (413 beyond it, told from `Content-Length` before
    /// reading when the client sends one): 5 MB, room for a phone photo.
    public var maximumBodySize = 5 << 20
    /// The request bytes held at once across all requests (503 with `Retry-After` beyond):
    /// 64 MB, so that many concurrent uploads cannot take the memory.
    public var maximumInFlightBytes = 64 << 20
    /// The largest image decoded, in pixels (16 megapixels: a 12-megapixel phone photo fits).
    /// Decoding costs about 12 bytes per pixel, so this bounds each prediction's memory.
    public var maximumImagePixels = 16 << 20
    /// Predictions (decoding included) run at once, each on a thread of its own; a request
    /// beyond them waits for at most ``predictionQueueLength`` others, else gets 503.
    public var maximumConcurrentPredictions = ProcessInfo.processInfo.activeProcessorCount
    /// Requests that may wait for a prediction slot before the server answers 503.
    public var predictionQueueLength = 4 * ProcessInfo.processInfo.activeProcessorCount
    /// Open connections; beyond them the server stops accepting until one closes (new ones
    /// wait in the kernel's backlog), so it never runs out of file descriptors.
    public var maximumConnections = 512
    /// Seconds a connection may stay without a complete request head, after it opens or after
    /// its last response: idle keep-alive connections and slowly sent headers are closed.
    public var idleTimeout = 10.0
    /// Seconds a request's body may take to arrive after its head; then the connection is closed.
    public var bodyTimeout = 30.0
    /// The largest request head (request line and header fields), in bytes (400 beyond it).
    public var maximumHeaderSize = 32 << 10
    /// Seconds a client is told to wait in `Retry-After` when the server is too busy.
    public var retryAfter = 1

    /// The defaults above.
    public init() {}

    /// The first limit that is not positive, said as the flag a user would fix.
    public func validationError() -> String? {
        let counts: [(String, Int)] = [
            ("--max-body-bytes", maximumBodySize), ("--max-in-flight-bytes", maximumInFlightBytes),
            ("--max-image-pixels", maximumImagePixels), ("--max-concurrent-predictions", maximumConcurrentPredictions),
            ("--max-connections", maximumConnections), ("--max-header-bytes", maximumHeaderSize),
        ]
        if let (flag, value) = counts.first(where: { $0.1 < 1 }) { return "\(flag) must be at least 1, found \(value)" }
        if predictionQueueLength < 0 { return "--prediction-queue must be at least 0, found \(predictionQueueLength)" }
        if maximumInFlightBytes < maximumBodySize {
            return "--max-in-flight-bytes (\(maximumInFlightBytes)) must be at least --max-body-bytes (\(maximumBodySize))"
        }
        let timeouts = [("--idle-timeout", idleTimeout), ("--body-timeout", bodyTimeout)]
        for (flag, seconds) in timeouts where !(seconds > 0 && seconds.isFinite) {
            return "\(flag) must be a positive number of seconds, found \(seconds)"
        }
        return nil
    }
}
