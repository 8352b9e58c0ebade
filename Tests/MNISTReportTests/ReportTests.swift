import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import MNISTReport
import Testing

/// Whether `data` is well-formed XML. On Linux, XMLParser.parse() returns true for
/// mismatched tags but sets `parserError`, so both are checked.
func isWellFormedXML(_ data: Data) -> Bool {
    let parser = XMLParser(data: data)
    return parser.parse() && parser.parserError == nil
}

@Suite("MNIST report")
struct ReportTests {
    @Test("confusion matrix counts and per-class scores")
    func confusionMatrix() {
        let matrix = ConfusionMatrix(truth: [0, 0, 1, 1, 2, 2], predicted: [0, 1, 1, 1, 2, 0], classes: 3)
        #expect(matrix.counts == [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        #expect(matrix.correct == 4 && matrix.total == 6)
        let zero = matrix.scores(of: 0)  // predicted 0 twice, right once; 2 true zeros
        #expect(zero.precision == 0.5 && zero.recall == 0.5 && zero.f1 == 0.5 && zero.support == 2)
        let one = matrix.scores(of: 1)   // predicted 1 three times, right twice; recall 1
        #expect(abs(one.precision - 2.0 / 3) < 1e-12 && one.recall == 1 && abs(one.f1 - 0.8) < 1e-12)
        #expect(matrix.table.contains("   1      0    2    0"))
        #expect(matrix.report.contains("macro"))
    }

    @Test("the report's SVGs parse as XML and the HTML references files that exist")
    func reportFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let matrix = ConfusionMatrix(truth: Array(0..<10) + [3], predicted: Array(0..<10) + [5], classes: 10)
        let mistake = Charts.Mistake(pixels: (0..<784).map { Float($0 % 28) / 27 }, truth: 3, predicted: 5, confidence: 0.93)
        let report = TrainingReport(
            history: ["loss": [0.5, 0.2, 0.1], "val_loss": [0.3, 0.15, 0.12], "accuracy": [0.8, 0.9, 0.95], "val_accuracy": [0.85, 0.92, 0.94]],
            matrix: matrix, testLoss: 0.1, mistakes: [mistake], summary: "Model: \"sequential\" <with> & special characters")
        try report.write(to: folder)

        let names = TrainingReport.fileNames
        for name in [names.loss, names.accuracy, names.confusion, names.mistakes] {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            #expect(isWellFormedXML(data), "\(name) is not well-formed XML")
            #expect(String(decoding: data, as: UTF8.self).contains("<svg"))
        }
        let html = try String(contentsOf: folder.appendingPathComponent(names.html), encoding: .utf8)
        let references = html.matches(of: /(?:src|href)="([^"]+)"/).map { String($0.1) }
        #expect(Set(references) == [names.loss, names.accuracy, names.confusion, names.mistakes, names.history])
        for reference in references {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(reference).path), "\(reference) is missing")
        }
        #expect(html.contains("&lt;with&gt; &amp; special"), "text must be escaped")
        #expect(html.contains("Test accuracy <b>90.91%</b> (10 of 11 digits)"))
        let history = try JSONDecoder().decode([String: [Double]].self, from: Data(contentsOf: folder.appendingPathComponent(names.history)))
        #expect(history["val_loss"] == [0.3, 0.15, 0.12])
    }

    @Test("chart axes get round ticks covering the data", arguments: [
        (0.8277, 0.9967, [0.80, 0.85, 0.90, 0.95, 1.00], 2),
        (0.0149, 0.6014, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 1),
        (0.012, 0.071, [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08], 2),
        (3.0, 17.0, [2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 17.5], 1),
        (40.0, 960.0, [0.0, 200.0, 400.0, 600.0, 800.0, 1000.0], 0),
        (0.9, 0.99, [0.90, 0.92, 0.94, 0.96, 0.98, 1.00], 2),
        (0.86, 1.0, [0.85, 0.875, 0.9, 0.925, 0.95, 0.975, 1.0], 3),
        (0.5, 0.5, [0.5, 0.52], 2),
    ])
    func niceTicks(low: Double, high: Double, expected: [Double], decimals: Int) {
        let ticks = Charts.niceTicks(low: low, high: high)
        #expect(ticks.values.count == expected.count && zip(ticks.values, expected).allSatisfy { abs($0 - $1) < 1e-9 }, "\(ticks.values)")
        #expect(ticks.decimals == decimals)
        #expect(ticks.values.first! <= low && ticks.values.last! >= high)
    }

    @Test("charts without data still produce a valid picture")
    func emptyChart() {
        let svg = Charts.lineChart(title: "Loss", yLabel: "loss", series: [])
        #expect(isWellFormedXML(Data(svg.utf8)) && svg.contains("no data"))
        #expect(!isWellFormedXML(Data("<svg><rect></svg>".utf8)), "the XML check must reject malformed documents")
    }
}

@Suite("Report with named classes")
struct NamedClassReportTests {
    static let names = ["T-shirt/top", "Trouser", "Bag & <strap>"]

    @Test("the tables show each class's name beside its label, aligned")
    func tables() {
        let matrix = ConfusionMatrix(truth: [0, 0, 1, 1, 2, 2], predicted: [0, 1, 1, 1, 2, 0], classes: 3, classNames: Self.names)
        #expect(matrix.hasNamedClasses)
        let rows = matrix.table.split(separator: "\n").map(String.init)
        #expect(rows[2] == " 0 T-shirt/top        1    1    0")
        #expect(rows[4] == " 2 Bag & <strap>      1    0    1")
        #expect(rows[1].count == rows[2].count, "the column labels line up with the counts")
        let report = matrix.report.split(separator: "\n").map(String.init)
        #expect(report[0] == "class" + String(repeating: " ", count: 14) + "precision   recall       f1  support")
        #expect(report[2] == "  1 Trouser" + String(repeating: " ", count: 8) + "   0.6667   1.0000   0.8000        2")
        #expect(report[4].hasPrefix("macro" + String(repeating: " ", count: 14) + "   0.7222"))
        // Names of the wrong count are ignored, and digits are not "named".
        #expect(!ConfusionMatrix(truth: [0], predicted: [0], classes: 3, classNames: ["a"]).hasNamedClasses)
    }

    @Test("the pictures name the classes and stay well-formed XML")
    func pictures() throws {
        let matrix = ConfusionMatrix(truth: [0, 1, 2], predicted: [0, 2, 2], classes: 3, classNames: Self.names)
        let heatMap = Charts.confusionMatrix(matrix)
        #expect(isWellFormedXML(Data(heatMap.utf8)) && heatMap.contains("predicted class") && heatMap.contains("0 T-shirt/top"))
        let mistake = Charts.Mistake(pixels: Array(repeating: 0.5, count: 784), truth: 1, predicted: 2, confidence: 0.9)
        let grid = Charts.mistakes([mistake], classNames: Self.names)
        #expect(isWellFormedXML(Data(grid.utf8)) && grid.contains(">Trouser<") && grid.contains("→ Bag &amp; &lt;strap&gt; (90%)"))
    }
}
