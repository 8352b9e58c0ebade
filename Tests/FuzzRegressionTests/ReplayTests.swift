import Foundation
import FuzzHarnesses
import Testing

/// The fuzz harnesses' inputs, replayed through the same code without libFuzzer: every seed
/// must be accepted (so the fuzzer starts from valid files), and every committed finding
/// (Fuzz/Regressions/<harness>/<name>.accepted or .rejected) must now get that verdict
/// without a crash.
@Suite("Fuzz corpora and findings")
struct ReplayTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func files(_ kind: String, _ harness: FuzzHarness) -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(harness.rawValue)
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    @Test("every seed is a valid input the harness accepts", arguments: FuzzHarness.allCases)
    func seeds(_ harness: FuzzHarness) throws {
        let seeds = Self.files("Corpus", harness)
        #expect(seeds.count >= 2, "Fuzz/Corpus/\(harness.rawValue) has seeds")
        for seed in seeds {
            #expect(harness.run(try Data(contentsOf: seed)), "\(seed.lastPathComponent) is accepted")
        }
    }

    /// Every committed finding, as (harness, file): `Fuzz/Regressions/<harness>/<name>.accepted`
    /// or `.rejected`, the verdict the fixed harness must give.
    static let findings: [Finding] = FuzzHarness.allCases.flatMap { harness in
        files("Regressions", harness).map { Finding(harness: harness, file: $0) }
    }

    struct Finding: CustomTestStringConvertible, Sendable {
        let harness: FuzzHarness
        let file: URL
        var testDescription: String { "\(harness.rawValue)/\(file.lastPathComponent)" }
    }

    @Test("the committed findings are found, and each is named with its verdict")
    func findingsArePresent() {
        // One finding is committed (a 1x166 PGM); an empty list would make the replay below vacuous.
        #expect(Self.findings.count >= 1)
        for finding in Self.findings {
            #expect(["accepted", "rejected"].contains(finding.file.pathExtension),
                    "\(finding.testDescription) ends in .accepted or .rejected")
        }
    }

    @Test("every committed finding now gets its verdict instead of a crash", arguments: findings)
    func finding(_ finding: Finding) throws {
        let accepted = finding.harness.run(try Data(contentsOf: finding.file))
        #expect(accepted == (finding.file.pathExtension == "accepted"), "\(finding.testDescription)")
    }
}
