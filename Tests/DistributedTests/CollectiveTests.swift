import Foundation
import Testing

/// The collectives under a real `mpirun`, started by the test as a subprocess. Skipped with a
/// reason only where Open MPI's launcher is not installed (`scripts/setup` installs it).
@Suite("MPI collectives under mpirun", .serialized)
struct CollectiveTests {
    static let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The self-test executable, built beside this test bundle.
    static var selfTest: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("DistributedSelfTest").path
    }

    /// Runs the self-test on `ranks` ranks; returns the exit status, the output and the seconds it took.
    func launch(ranks: Int, arguments: [String] = [], timeout: TimeInterval = 60) throws -> (Int32, String, TimeInterval) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.mpirun))
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", Self.selfTest] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let start = Date()
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, output, Date().timeIntervalSince(start))
    }

    @Test("broadcast, allreduce and a bad root on 1, 2 and 3 ranks", .enabled(if: mpirun != nil, "mpirun is not installed"),
          arguments: [1, 2, 3])
    func collectives(ranks: Int) throws {
        let (status, output, _) = try launch(ranks: ranks)
        #expect(status == 0, "\(output)")
        for rank in 0..<ranks { #expect(output.contains("rank \(rank) of \(ranks): ok"), "\(output)") }
    }

    @Test("data-parallel fit on 2 and 3 ranks (global batch 64) gives one process's weights after 20 steps, on every rank, for a chain, a residual graph and a model of two inputs and outputs",
          .enabled(if: mpirun != nil, "mpirun is not installed"), arguments: [2, 3])
    func dataParallelEquivalence(ranks: Int) throws {
        let (status, output, _) = try launch(ranks: ranks, arguments: ["equivalence"])
        #expect(status == 0, "\(output)")
        for rank in 0..<ranks {
            #expect(output.contains("rank \(rank) of \(ranks): ok, chain, 20 steps"), "\(output)")
            #expect(output.contains("rank \(rank) of \(ranks): ok, graph, 20 steps"), "\(output)")
            #expect(output.contains("rank \(rank) of \(ranks): ok, two inputs and outputs, 20 steps"), "\(output)")
            #expect(output.contains("rank \(rank) of \(ranks): ok, same model and logs with dropout"), "\(output)")
        }
    }

    @Test("a run checkpointed on 2 ranks resumes on 3 and on 1, and ends as one process's uninterrupted run",
          .enabled(if: mpirun != nil, "mpirun is not installed"))
    func resumeOnAnotherNumberOfRanks() throws {
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: checkpoint) }
        let (started, startOutput, _) = try launch(ranks: 2, arguments: ["resume-start", checkpoint])
        #expect(started == 0, "\(startOutput)")
        for ranks in [3, 1] {
            let (status, output, _) = try launch(ranks: ranks, arguments: ["resume-finish", checkpoint])
            #expect(status == 0, "\(output)")
            for rank in 0..<ranks { #expect(output.contains("rank \(rank) of \(ranks): ok, resumed after epoch 2"), "\(output)") }
        }
    }

    @Test("ranks that built different settings stop with the same clear error, none hangs",
          .enabled(if: mpirun != nil, "mpirun is not installed"))
    func mismatchedSettings() throws {
        let (status, output, seconds) = try launch(ranks: 2, arguments: ["mismatch"], timeout: 30)
        #expect(status != 0)
        #expect(seconds < 20, "the job took \(seconds) s")
        #expect(output.contains("rank 0: fit: the processes disagree on the model or its settings (process 0: same as process 0, another differs)"), "\(output)")
        #expect(output.contains("rank 1: fit: the processes disagree on the model or its settings (process 1: differs from process 0)"), "\(output)")
    }

    @Test("a rank whose data throws inside fit ends the whole job within seconds, saying why once",
          .enabled(if: mpirun != nil, "mpirun is not installed"))
    func throwingRankInFitEndsTheJob() throws {
        let (status, output, seconds) = try launch(ranks: 2, arguments: ["throwing"], timeout: 30)
        #expect(status != 0)
        #expect(seconds < 20, "the job took \(seconds) s")
        #expect(output.components(separatedBy: "rank 1 of 2: fit: batch 4 is unreadable").count - 1 == 1, "\(output)")
        #expect(!output.contains("FAILED"), "\(output)")
    }

    @Test("a rank killed from outside ends the whole job within seconds", .enabled(if: mpirun != nil, "mpirun is not installed"))
    func killedRankEndsTheJob() throws {
        let job = try RunningJob([try #require(Self.mpirun), "--allow-run-as-root", "--oversubscribe", "-np", "2",
                                  Self.selfTest, "killable"])
        #expect(job.waitFor("rank 1 pid ", seconds: 30), "\(job.output)")
        let pid = try #require(job.number(after: "rank 1 pid "), "\(job.output)")
        let killed = Date()
        kill(pid, SIGKILL)
        #expect(job.waitForExit(seconds: 30), "the job was still running 30 s after rank 1 was killed")
        #expect(job.status != 0)
        #expect(Date().timeIntervalSince(killed) < 20)
    }

    @Test("a rank that aborts ends the whole job within seconds, saying why once",
          .enabled(if: mpirun != nil, "mpirun is not installed"))
    func abortEndsTheJob() throws {
        let (status, output, seconds) = try launch(ranks: 2, arguments: ["abort"])
        #expect(status != 0)
        #expect(seconds < 20, "the job took \(seconds) s to end")
        #expect(output.components(separatedBy: "stopping the job on purpose").count - 1 == 1, "\(output)")
        #expect(!output.contains("still running"), "\(output)")
    }
}
