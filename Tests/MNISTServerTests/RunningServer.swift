import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Layers
import MNISTServer

/// A `DigitServer` on an ephemeral loopback port, for one test.
struct RunningServer {
    let base: URL
    private let task: Task<Void, any Error>

    /// Starts `classifier`'s server and waits until it accepts connections.
    static func start(_ classifier: DigitClassifier, limits: ServerLimits = ServerLimits()) async throws -> RunningServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = DigitServer(classifier: classifier, limits: limits)
        let task = Task {
            defer { continuation.finish() }  // a server that fails to start must not leave the test waiting
            try await server.run(host: "127.0.0.1", port: 0, logLevel: .critical) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw URLError(.cannotConnectToHost)
        }
        return RunningServer(base: URL(string: "http://127.0.0.1:\(port)")!, task: task)
    }

    /// Runs `body` with `classifier`'s server, then stops the server, whether `body` threw or not.
    static func with<Result>(_ classifier: DigitClassifier, limits: ServerLimits = ServerLimits(),
                             _ body: (RunningServer) async throws -> Result) async throws -> Result {
        let server = try await start(classifier, limits: limits)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// The status, headers and body of a request to `path`.
    func request(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws
        -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        let headers = Dictionary(uniqueKeysWithValues: http.allHeaderFields.map { ("\($0.key)".lowercased(), "\($0.value)") })
        return (http.statusCode, headers, data)
    }

    /// A request's JSON answer as a dictionary, with its status.
    func json(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws
        -> (status: Int, json: [String: Any]) {
        let (status, headers, data) = try await request(method, path, body: body, contentType: contentType)
        guard headers["content-type"]?.hasPrefix("application/json") == true,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw URLError(.cannotParseResponse, userInfo: [NSLocalizedDescriptionKey: "not JSON: \(String(decoding: data, as: UTF8.self))"])
        }
        return (status, object)
    }
}
