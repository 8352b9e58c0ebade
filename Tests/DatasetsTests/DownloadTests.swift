import Foundation
import Testing
import Datasets

/// A static file server on 127.0.0.1 (Python's http.server on a free port), for the tests.
final class LoopbackServer {
    let process = Process()
    let port: Int

    init(serving folder: URL) throws {
        let script = """
        import http.server, socketserver, sys, functools
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
        handler.log_message = lambda *args: None
        with socketserver.TCPServer(("127.0.0.1", 0), handler) as server:
            print(server.server_address[1], flush=True)
            server.serve_forever()
        """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, folder.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(10), let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty { line.append(byte) }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown)
        }
        self.port = port
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    deinit {
        // SIGKILL: a child of the test process may inherit SIGTERM as ignored and never exit.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("MNIST download", .serialized)
struct DownloadTests {
    static let hasPython = (try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", "pass"]))
        .map { process in process.waitUntilExit(); return process.terminationStatus == 0 } ?? false

    /// Two mirrors on loopback: `good` serves the right bytes, `bad` serves corrupted ones.
    func mirrors() throws -> (good: URL, bad: URL, checksums: [String: String], cleanup: () -> Void) {
        let good = try temporaryFolder(), bad = try temporaryFolder()
        let payload = Data("the real file".utf8)
        try payload.write(to: good.appendingPathComponent("a.gz"))
        try Data("a corrupted copy".utf8).write(to: bad.appendingPathComponent("a.gz"))
        // md5("the real file"), computed independently with Python's hashlib.
        return (good, bad, ["a.gz": "c91ce17b7fe60b751ae5d52850e86c66"], {
            try? FileManager.default.removeItem(at: good)
            try? FileManager.default.removeItem(at: bad)
        })
    }

    @Test("a checksum mismatch is deleted and reported, and the next mirror is used",
          .enabled(if: hasPython, "python3 is needed for the loopback file server"))
    func fallsBackToTheNextMirror() throws {
        let (good, bad, checksums, cleanup) = try mirrors()
        defer { cleanup() }
        let badServer = try LoopbackServer(serving: bad), goodServer = try LoopbackServer(serving: good)
        let target = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: target) }
        var lines: [String] = []
        try MNISTDownloader.download(to: target, mirrors: [badServer.url, goodServer.url], checksums: checksums) { lines.append($0) }
        #expect(try Data(contentsOf: target.appendingPathComponent("a.gz")) == Data("the real file".utf8))
        #expect(lines.contains { $0.contains("checksum mismatch") && $0.contains("deleted") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path) == ["a.gz"], "no partial or bad file is left")
    }

    @Test("when every mirror fails the error lists each attempt and nothing is left behind",
          .enabled(if: hasPython, "python3 is needed for the loopback file server"))
    func allMirrorsFail() throws {
        let (_, bad, checksums, cleanup) = try mirrors()
        defer { cleanup() }
        let badServer = try LoopbackServer(serving: bad)
        let target = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: target) }
        // The second mirror is a closed port on loopback: connection refused at once.
        let closed = URL(string: "http://127.0.0.1:9/")!
        let error = #expect(throws: DatasetError.self) {
            try MNISTDownloader.download(to: target, mirrors: [badServer.url, closed], checksums: checksums, timeout: 5) { _ in }
        }
        guard case let .downloadFailed(file, reasons) = error else {
            Issue.record("expected downloadFailed, got \(String(describing: error))")
            return
        }
        #expect(file == "a.gz" && reasons.count == 2)
        #expect(reasons[0].contains("checksum") && reasons[1].contains("127.0.0.1:9"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty)
    }

    @Test("files already present are kept, whatever their checksum (a user's own copy)")
    func keepsExistingFiles() throws {
        let target = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: target) }
        try Data("my copy".utf8).write(to: target.appendingPathComponent("a.gz"))
        try MNISTDownloader.download(to: target, mirrors: [URL(string: "http://127.0.0.1:9/")!], checksums: ["a.gz": "0"]) { _ in }
        #expect(try Data(contentsOf: target.appendingPathComponent("a.gz")) == Data("my copy".utf8))
    }
}
