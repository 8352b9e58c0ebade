import Foundation
import MNISTTestSupport

/// Two "hosts" on this machine made by `scripts/two-hosts`: network namespaces `<name>-a`
/// (10.213.0.1) and `<name>-b` (10.213.0.2) joined by a veth link, with `mpirun` run from host a
/// and ranks started on host b by an agent that enters its namespace.
struct TwoHosts {
    static let addresses = ["10.213.0.1", "10.213.0.2"]
    static let script = PackageFolder.root.appendingPathComponent("scripts/two-hosts").path

    /// Why two hosts cannot be made here, or nil when they can.
    static let unavailable: String? = {
        guard CollectiveTests.mpirun != nil else { return "mpirun is not installed" }
        guard let check = try? runChildProcess([script, "check"], timeout: 30) else { return "scripts/two-hosts did not run" }
        return check.status == 0 ? nil : check.errors.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    let name: String

    /// Makes the two hosts; `remove()` them when done.
    init(name: String) throws {
        self.name = name
        _ = try? runChildProcess([Self.script, "down", name])   // left over from an interrupted run
        try Self.run(["up", name])
    }

    /// The `--host` argument placing `ranksOnA` ranks on host a, then `ranksOnB` on host b.
    static func placement(_ ranksOnA: Int, _ ranksOnB: Int) -> [String] {
        ["--host", "\(addresses[0]):\(ranksOnA),\(addresses[1]):\(ranksOnB)", "-np", "\(ranksOnA + ranksOnB)"]
    }

    /// The command that runs mpirun from host a with `arguments`.
    func mpirunCommand(_ arguments: [String]) -> [String] { [Self.script, "run", name] + arguments }

    /// Brings the link between the hosts up or down.
    func setLink(up: Bool) throws { try Self.run(["link", name, up ? "up" : "down"]) }

    /// The bytes host a has sent over the link since it was made.
    func bytesSent() throws -> Int {
        let output = try Self.run(["bytes", name])
        guard let bytes = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ScriptError(description: "two-hosts bytes printed '\(output)'")
        }
        return bytes
    }

    /// The process ids running in host b's namespace, or host a's.
    func processes(onHostB: Bool) throws -> [Int32] {
        let output = try runChildProcess(["/usr/sbin/ip", "netns", "pids", "\(name)-\(onHostB ? "b" : "a")"], timeout: 30)
        return output.output.split(whereSeparator: \.isNewline).compactMap { Int32($0) }
    }

    /// Stops what still runs on the hosts and removes them.
    func remove() { _ = try? Self.run(["down", name]) }

    struct ScriptError: Error, CustomStringConvertible { let description: String }

    @discardableResult
    private static func run(_ arguments: [String]) throws -> String {
        let result = try runChildProcess([script] + arguments, timeout: 60)
        guard result.status == 0 else {
            let command = arguments.joined(separator: " ")
            throw ScriptError(description: "two-hosts \(command) exited \(result.status): \(result.errors)")
        }
        return result.output
    }
}
