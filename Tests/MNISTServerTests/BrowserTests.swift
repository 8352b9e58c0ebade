import Foundation
import MNISTServer
import MNISTTestSupport
import Testing

/// The page in a real browser: headless Chromium driven by Selenium (Tests/Browser/draw_digits.py)
/// draws digits with pointer events and reads what the page shows.
@Suite("mnist serve: the page in a browser", .serialized)
struct BrowserTests {
    /// The virtual environment `scripts/setup` makes, with Selenium.
    static let python = PackageFolder.python

    /// Why the browser test cannot run here, or nil when it can.
    static let missing: String? = {
        let fileManager = FileManager.default
        if !fileManager.isExecutableFile(atPath: "/usr/bin/chromium") || !fileManager.isExecutableFile(atPath: "/usr/bin/chromedriver") {
            return "no browser: install Debian's chromium and chromium-driver (scripts/setup does)"
        }
        if !fileManager.isExecutableFile(atPath: python) || (try? runChildProcess([python, "-c", "import selenium"], timeout: 60))?.status != 0 {
            return "no Selenium: scripts/setup makes .venv with it (python3 -m venv .venv && .venv/bin/pip install selenium)"
        }
        if TrainedDigitModel.mnistFolder == nil { return "MNIST is not available (set MNIST_DIR to a folder with the four IDX files)" }
        return nil
    }()

    @Test("drawing 7, 1, 0 and 4 on the canvas shows each digit, its top-3 bars and the 28x28 input",
          .enabled(if: missing == nil, Comment(rawValue: missing ?? "")))
    func drawDigits() async throws {
        let (model, _) = try TrainedDigitModel.shared()
        try await RunningServer.with(try DigitClassifier(model: model)) { server in
            let digits = ["7", "1", "0", "4"]
            let script = PackageFolder.root.appendingPathComponent("Tests/Browser/draw_digits.py").path
            let result = try runChildProcess([Self.python, script, server.base.absoluteString + "/"] + digits, timeout: 180)
            try #require(result.status == 0, "the browser script failed: \(result.errors)")
            let shown = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: [String: Any]])
            for digit in digits {
                let page = try #require(shown[digit], "no result for \(digit): \(result.output)")
                #expect(page["shown"] as? String == digit, "drew a \(digit), the page shows \(page)")
                let top = page["top"] as? [String] ?? []
                #expect(top.count == 3 && top.first?.hasPrefix(digit + " ") == true, "\(top)")
                #expect(page["input"] as? Bool == true, "the page shows the 28x28 image the model saw")
            }
        }
    }
}
