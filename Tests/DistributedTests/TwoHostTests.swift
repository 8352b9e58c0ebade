import Foundation
import MNISTTestSupport
import Testing

/// Data-parallel training across two "hosts": network namespaces joined by a veth link
/// (`scripts/two-hosts`), Open MPI's TCP transport over it, ranks on the second host started by
/// an agent that enters its namespace. Skipped with the reason where namespaces cannot be made
/// (they need root with CAP_NET_ADMIN; CI has it).
@Suite("MPI across two hosts joined by a network link", .serialized,
       .enabled(if: TwoHosts.unavailable == nil, "two hosts cannot be made here: \(TwoHosts.unavailable ?? "")"))
struct TwoHostTests {
    static let selfTest = CollectiveTests.selfTest

    /// A name for this test's hosts that no other test process uses.
    func hostsName(_ test: String) -> String { "swl\(getpid() % 100_000)\(test)" }

    @Test("a data-parallel fit across two hosts gives bit for bit the weights it gives on one, its gradients crossing the link")
    func twoHostsMatchOneHost() throws {
        let hosts = try TwoHosts(name: hostsName("f"))
        defer { hosts.remove() }
        let before = try hosts.bytesSent()
        let across = try runChildProcess(hosts.mpirunCommand(TwoHosts.placement(1, 1) + [Self.selfTest, "fingerprint"]),
                                         timeout: 120)
        let sent = try hosts.bytesSent() - before
        #expect(across.status == 0, "\(across.output)\(across.errors)")
        let alone = try CollectiveTests().launch(ranks: 2, arguments: ["fingerprint"], timeout: 120)
        #expect(alone.0 == 0, "\(alone.1)")

        func fingerprints(_ output: String) -> [String] {
            (0..<2).compactMap { rank in
                let marker = "rank \(rank) of 2: weights "
                guard let tail = output.components(separatedBy: marker).dropFirst().first else { return nil }
                return String(tail.prefix { $0.isHexDigit })
            }
        }
        let acrossPrints = fingerprints(across.output), alonePrints = fingerprints(alone.1)
        #expect(acrossPrints.count == 2 && Set(acrossPrints).count == 1, "\(across.output)")
        #expect(acrossPrints == alonePrints, "two hosts: \(across.output)\none host: \(alone.1)")

        // Each of the 20 steps averages every parameter's gradient: at least 4 bytes each way.
        let parameters = try #require(across.output.components(separatedBy: " parameters").first?
            .split(separator: " ").last.flatMap { Int($0) }, "\(across.output)")
        #expect(sent >= 20 * parameters * 4, "host a sent \(sent) bytes for 20 steps of \(parameters) gradients")
        print("two hosts: fingerprint \(acrossPrints.first ?? "?") as on one host; host a sent \(sent) bytes "
              + "for 20 steps of \(parameters) parameters")
    }

    /// Starts `until-stopped` on one rank per host and waits until both train; returns the job
    /// and the two ranks' process ids.
    func startTraining(on hosts: TwoHosts) throws -> (RunningJob, rank0: Int32, rank1: Int32) {
        let job = try RunningJob(hosts.mpirunCommand(TwoHosts.placement(1, 1) + [Self.selfTest, "until-stopped"]))
        #expect(job.waitFor("rank 0 pid ", seconds: 60) && job.waitFor("rank 1 pid ", seconds: 10), "\(job.output)")
        let rank0 = try #require(job.number(after: "rank 0 pid "), "\(job.output)")
        let rank1 = try #require(job.number(after: "rank 1 pid "), "\(job.output)")
        #expect(try hosts.processes(onHostB: true).contains(rank1), "rank 1 is not on host b")
        #expect(try hosts.processes(onHostB: false).contains(rank0), "rank 0 is not on host a")
        return (job, rank0, rank1)
    }

    /// Waits up to `seconds` for both hosts to have nothing running; whether they got there.
    func hostsEmpty(_ hosts: TwoHosts, within seconds: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try hosts.processes(onHostB: false).isEmpty, try hosts.processes(onHostB: true).isEmpty { return true }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        return false
    }

    /// Breaks the job with `fault` and returns the seconds until it ended (infinity when it
    /// still ran a minute later; it is then killed).
    func secondsUntilEnd(of job: RunningJob, after fault: () throws -> Void) throws -> TimeInterval {
        let start = Date()
        try fault()
        return job.waitForExit(seconds: 60) ? Date().timeIntervalSince(start) : .infinity
    }

    @Test("killing the rank on the other host mid-epoch ends every rank within seconds, saying which rank died")
    func killedRemoteRankEndsTheJob() throws {
        let hosts = try TwoHosts(name: hostsName("k"))
        defer { hosts.remove() }
        let (job, _, rank1) = try startTraining(on: hosts)
        let seconds = try secondsUntilEnd(of: job, after: { kill(rank1, SIGKILL) })
        #expect(seconds < 15, "the job ran \(seconds) s after rank 1 was killed: \(job.output)")
        #expect(job.status != 0)
        #expect(job.output.contains("process rank 1 with PID \(rank1) on node \(TwoHosts.addresses[1]) exited on signal 9"),
                "\(job.output)")
        #expect(try hostsEmpty(hosts, within: 10), "processes left on the hosts")
        print("two hosts: the job ended \(String(format: "%.1f", seconds)) s after rank 1 was killed")
    }

    @Test("taking the link down mid-epoch ends every rank on both hosts within seconds, saying the network is lost")
    func lostLinkEndsTheJob() throws {
        let hosts = try TwoHosts(name: hostsName("l"))
        defer { hosts.remove() }
        let (job, _, _) = try startTraining(on: hosts)
        let cut = Date()
        let seconds = try secondsUntilEnd(of: job, after: { try hosts.setLink(up: false) })
        #expect(seconds < 20, "the job ran \(seconds) s after the link went down: \(job.output)")
        #expect(job.status != 0)
        #expect(job.output.contains("ORTE has lost communication with a remote daemon"), "\(job.output)")
        // Host b is cut off: its daemon must notice by itself and end its rank.
        #expect(try hostsEmpty(hosts, within: 15), "processes left on the hosts")
        print("two hosts: the job ended \(String(format: "%.1f", seconds)) s after the link went down; "
              + "host b emptied \(String(format: "%.1f", Date().timeIntervalSince(cut))) s after")
    }

    @Test("a run checkpointed on two ranks (one per host) resumes on three (two and one) and ends as one process's")
    func resumeOnAnotherNumberOfRanks() throws {
        let hosts = try TwoHosts(name: hostsName("r"))
        defer { hosts.remove() }
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("two-hosts-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: checkpoint) }
        let start = try runChildProcess(hosts.mpirunCommand(TwoHosts.placement(1, 1) + [Self.selfTest, "resume-start", checkpoint]),
                                        timeout: 120)
        #expect(start.status == 0, "\(start.output)\(start.errors)")
        let finish = try runChildProcess(
            hosts.mpirunCommand(TwoHosts.placement(2, 1) + [Self.selfTest, "resume-finish", checkpoint]), timeout: 120)
        #expect(finish.status == 0, "\(finish.output)\(finish.errors)")
        for rank in 0..<3 {
            #expect(finish.output.contains("rank \(rank) of 3: ok, resumed after epoch 2"), "\(finish.output)\(finish.errors)")
        }
    }
}
