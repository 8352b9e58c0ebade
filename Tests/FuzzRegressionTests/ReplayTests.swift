import Foundation
import FuzzHarnesses
import Testing

/// The fuzz harnesses' inputs, replayed through the same code without libFuzzer: every seed
/// must be accepted (so the fuzzer starts from valid files), and every committed finding
/// (Fuzz/Regressions/<harness>/) must now be handled without a crash.
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

    @Test("every committed finding is handled", arguments: FuzzHarness.allCases)
    func findings(_ harness: FuzzHarness) throws {
        for finding in Self.files("Regressions", harness) {
            // Reaching the next line is the test: the input once crashed or hung the harness.
            harness.run(try Data(contentsOf: finding))
        }
    }
}
