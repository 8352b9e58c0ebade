import Datasets
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// `mnist serve`: the drawing page and a JSON prediction API over one loaded model.
///
/// - `GET /`: the page (self-contained: no CDN, works offline).
/// - `POST /api/predict`: a PNG or JPEG image (a photo or drawing of one digit, any size), or
///   JSON `{"pixels": [784 values]}` (a 28x28 MNIST-style image, light ink on black, row by row,
///   0 to 1). Answers `{"digit", "probabilities", "top", "input"}`.
/// - `GET /health`: `{"status": "ok", "model", "parameters"}`.
///
/// Errors are JSON `{"error", "status"}`: 400 for a malformed request, image or JSON, 413 for a
/// body over the limit, 422 for an image without a digit, 404 and 405 for a wrong path or
/// method, 503 with `Retry-After` when the server is too busy. ``ServerLimits`` bounds what
/// clients can cost it (connections, timeouts, bytes held, image size, predictions at once).
public struct DigitServer: Sendable {
    /// The largest request body accepted by default: 5 MB, room for a phone photo.
    public static let maximumBodySize = ServerLimits().maximumBodySize

    public let classifier: DigitClassifier
    public let limits: ServerLimits
    private let admission: AdmissionControl

    public init(classifier: DigitClassifier, limits: ServerLimits = ServerLimits()) {
        self.classifier = classifier
        self.limits = limits
        self.admission = AdmissionControl(limits: limits)
    }

    /// Serves until the task running it is cancelled (or, from ``runUntilSignal``, a signal).
    /// - Parameter onRunning: called with the bound port once the server accepts connections
    ///   (useful with port 0, which asks the system for a free one).
    public func run(host: String, port: Int, logLevel: Logger.Level = .notice,
                    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(host: host, port: port, logLevel: logLevel, onRunning: onRunning).run()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    public func runUntilSignal(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(host: host, port: port, logLevel: .notice, onRunning: onRunning).runService()
    }

    private func application(host: String, port: Int, logLevel: Logger.Level,
                             onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        var logger = Logger(label: "mnist-serve")
        logger.logLevel = logLevel
        let bodyTimeout = TimeAmount.nanoseconds(Int64(limits.bodyTimeout * 1e9))
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(bodyTimeout: bodyTimeout)],
            idleTimeout: .nanoseconds(Int64(limits.idleTimeout * 1e9)),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maximumHeaderSize,
                                            maxHeaderListSize: limits.maximumHeaderSize))
        return Application(
            router: router(),
            server: .http1(configuration: http),
            configuration: .init(address: .hostname(host, port: port), serverName: "mnist-serve",
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        let page = PackageResources.index_html
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(bytes: page)))
        }
        router.get("/health") { _, _ in
            try Self.json(["status": "ok", "model": classifier.modelName, "parameters": "\(classifier.parameterCount)"])
        }
        router.post("/api/predict") { request, context in
            try await predict(request)
        }
        // Every other method on these paths: 405 with the methods that would work.
        let allowed: [String: [HTTPRequest.Method]] = ["/": [.get], "/health": [.get], "/api/predict": [.post]]
        for (path, methods) in allowed {
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head, .options] where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError(.methodNotAllowed, "\(request.method) is not allowed on \(path); use \(methods.map(\.rawValue).joined(separator: " or "))",
                                   allowed: methods)
                }
            }
        }
        return router
    }

    private func predict(_ request: Request) async throws -> Response {
        let tooLarge = APIError(.contentTooLarge, "the request body is over the limit of \(limits.maximumBodySize) bytes")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maximumBodySize { throw tooLarge }
        // Every byte held counts against the server-wide budget until the answer is made.
        var body = ByteBuffer()
        defer { admission.releaseBytes(body.readableBytes) }
        do {
            for try await chunk in request.body {
                guard body.readableBytes + chunk.readableBytes <= limits.maximumBodySize else { throw tooLarge }
                guard admission.reserveBytes(chunk.readableBytes) else {
                    throw APIError(.serviceUnavailable, "the server is receiving too many uploads at once; try again shortly",
                                   retryAfter: limits.retryAfter)
                }
                body.writeImmutableBuffer(chunk)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "malformed request body: \(error)")
        }
        let data = Data(buffer: body), contentType = request.headers[.contentType]
        guard let answer = try await admission.runPrediction({ try self.answer(toPredictBody: data, contentType: contentType) })
        else {
            throw APIError(.serviceUnavailable, "the server is busy with other predictions; try again shortly",
                           retryAfter: limits.retryAfter)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: answer)))
    }

    /// The JSON answer of `POST /api/predict` for a request body, without HTTP (the fuzz
    /// harness calls it the way the route does).
    /// - Throws: an error with the HTTP status and message the route would answer with.
    public func answer(toPredictBody body: Data, contentType: String?) throws -> Data {
        guard !body.isEmpty else {
            throw APIError(.badRequest, "empty request body: send a PNG or JPEG image, or JSON {\"pixels\": [784 values]}")
        }
        let request = try PredictionRequest(body: body, contentType: contentType, maximumImagePixels: limits.maximumImagePixels)
        let prediction = try request.classify(with: classifier)
        return try JSONEncoder().encode(prediction.response())
    }

    static func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }
}
