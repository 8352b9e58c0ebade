import Foundation
import MNISTServer
import MNISTTestSupport
import Testing

/// `scripts/hostile-clients` against the real server on loopback, with small limits so that
/// every attack meets them within seconds: after each attack `/health` must answer within a
/// second and the server's descriptors and memory must come back near where they were.
@Suite("mnist serve: hostile clients", .serialized)
struct HostileClientTests {
    static let hasPython = (try? runChildProcess(["/usr/bin/env", "python3", "-c", "pass"], timeout: 30).status) == 0

    /// The figures of every attack, by name.
    func attack(_ limits: ServerLimits) async throws -> [String: [String: Any]] {
        try await RunningServer.with(try untrainedClassifier(), limits: limits) { server in
            let script = PackageFolder.root.appendingPathComponent("scripts/hostile-clients").path
            let run = try runChildProcess(["/usr/bin/env", "python3", script, "--port", "\(server.base.port!)",
                                           "--pid", "\(getpid())", "--scale", "small", "--json"], timeout: 900)
            #expect(run.status == 0, "hostile-clients failed: \(run.errors)")
            let results = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: results.map { ($0["attack"] as! String, $0) })
        }
    }

    @Test("slow and idle connections, oversized headers, uploads, stalled bodies, image bombs and smuggling",
          .enabled(if: hasPython, "python3 is needed to run scripts/hostile-clients"))
    func attacks() async throws {
        var limits = ServerLimits()
        limits.idleTimeout = 3
        limits.bodyTimeout = 2
        limits.maximumConnections = 100
        limits.maximumInFlightBytes = 8 << 20
        limits.maximumConcurrentPredictions = 2
        limits.predictionQueueLength = 2
        let results = try await attack(limits)
        for name in ["slow-headers", "idle-connections", "big-headers-then-close", "concurrent-uploads", "stalled-bodies",
                     "trickled-bodies", "png-bomb-64mp", "png-bomb-16mp", "jpeg-704-scans", "smuggling"] {
            let result = try #require(results[name], "\(name) ran")
            let before = try #require(result["before"] as? [String: Any]), after = try #require(result["after"] as? [String: Any])
            let health = try #require(after["health_s"] as? Double, "\(name): /health answers after the attack")
            #expect(health < 1, "\(name): /health took \(health) s after the attack")
            let (fdsBefore, fdsAfter) = (before["fds"] as! Int, after["fds"] as! Int)
            #expect(fdsAfter <= fdsBefore + 3, "\(name): \(fdsBefore) descriptors before, \(fdsAfter) after")
            let (rssBefore, rssAfter) = (before["rss_mb"] as! Double, after["rss_mb"] as! Double)
            #expect(rssAfter - rssBefore < 150, "\(name): \(rssBefore) MB resident before, \(rssAfter) MB after")
        }
        func outcome(_ name: String) -> [String: Any] { results[name]?["outcome"] as? [String: Any] ?? [:] }
        func statuses(_ name: String) -> [String: Int] { outcome(name)["statuses"] as? [String: Int] ?? [:] }
        for name in ["slow-headers", "idle-connections", "stalled-bodies", "trickled-bodies"] {
            let connections = outcome(name)["connections"] as? Int ?? -1
            #expect(connections > 0 && outcome(name)["closed_by_server"] as? Int == connections,
                    "\(name): the server closes every connection (\(outcome(name)))")
        }
        for name in ["slow-headers", "idle-connections", "stalled-bodies", "png-bomb-16mp", "jpeg-704-scans"] {
            // Twice as many idle connections as the cap: /health waits behind them for two idle timeouts.
            let bound = name == "idle-connections" ? 2 * limits.idleTimeout + 1 : 1
            let slowest = outcome(name)["slowest_health_s"] as? Double ?? .infinity
            #expect(slowest < bound, "\(name): /health took \(slowest) s during the attack")
        }
        #expect(statuses("big-headers-then-close") == ["400": 40])
        // The sockets of requests answered 400 for their headers are released at once, not at the idle timeout.
        let released = (results["big-headers-then-close"]?["after"] as? [String: Any])?["settle_s"] as? Double ?? .infinity
        #expect(released < 1, "descriptors came back \(released) s after the 400s")
        let trickled = outcome("trickled-bodies")["seconds"] as? Double ?? .infinity
        #expect(trickled < limits.bodyTimeout + 1.5, "a body trickled in is cut at the body timeout (\(trickled) s)")
        let uploads = statuses("concurrent-uploads")
        #expect(Set(uploads.keys).isSubset(of: ["400", "503"]) && uploads["503", default: 0] > 0, "\(uploads)")
        #expect(outcome("concurrent-uploads")["retry_after"] as? [String] == ["1"])
        let bombs = statuses("png-bomb-64mp")  // refused from the header; 503 when the prediction slots are taken
        #expect(Set(bombs.keys).isSubset(of: ["400", "503"]) && bombs["400", default: 0] > 0, "\(bombs)")
        #expect(Set(statuses("png-bomb-16mp").keys).isSubset(of: ["422", "503"]), "\(statuses("png-bomb-16mp"))")
        #expect(Set(statuses("jpeg-704-scans").keys).isSubset(of: ["400", "503"]), "\(statuses("jpeg-704-scans"))")
        let smuggling = outcome("smuggling")["statuses"] as? [String: Int] ?? [:]
        #expect(smuggling.count == 6 && smuggling.values.allSatisfy { $0 == 400 }, "\(smuggling)")
    }
}
