import Foundation
import Hummingbird

/// An error answered as JSON, `{"error": "...", "status": 400}`, with its HTTP status.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    /// For 405: the methods the path accepts.
    var allowed: [HTTPRequest.Method] = []
    /// For 503: the seconds to wait before trying again (`Retry-After`).
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ message: String, allowed: [HTTPRequest.Method] = [], retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.allowed = allowed
        self.retryAfter = retryAfter
    }

    private struct Body: Encodable { let error: String, status: Int }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let json = try JSONEncoder().encode(Body(error: message, status: status.code))
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if !allowed.isEmpty { headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ") }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// Turns every error a handler or the router throws into a JSON ``APIError``; anything
/// unexpected becomes a 500 that says what happened, never a dropped connection.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            let message = error.status == .notFound ? "no such path: \(request.uri.path)" : "\(error)"
            throw APIError(error.status, message)
        } catch {
            context.logger.error("internal error: \(error)")
            throw APIError(.internalServerError, "internal error: \(error)")
        }
    }
}
