import Foundation

/// The files of a training report, written into one folder: pictures as SVG, the history as
/// JSON, and `report.html` showing everything (it only references files in the same folder,
/// so it opens offline).
public struct TrainingReport: Sendable {
    /// Per-epoch values by Keras name (`loss`, `val_accuracy`, ...).
    public var history: [String: [Double]]
    public var matrix: ConfusionMatrix
    public var testLoss: Double
    public var mistakes: [Charts.Mistake]
    /// The model summary and anything else worth showing as text.
    public var summary: String
    public var title = "MNIST — training report"

    public init(history: [String: [Double]], matrix: ConfusionMatrix, testLoss: Double, mistakes: [Charts.Mistake], summary: String) {
        self.history = history
        self.matrix = matrix
        self.testLoss = testLoss
        self.mistakes = mistakes
        self.summary = summary
    }

    /// The names of the files ``write(to:)`` creates.
    public static let fileNames = (loss: "loss.svg", accuracy: "accuracy.svg", confusion: "confusion-matrix.svg",
                                   mistakes: "mistakes.svg", history: "history.json", html: "report.html")

    /// Writes the report's files into `folder` (which must exist), each atomically.
    public func write(to folder: URL) throws {
        let names = Self.fileNames
        let pictures = [
            (names.loss, Charts.lineChart(title: "Loss", yLabel: "loss", series: series("loss"))),
            (names.accuracy, Charts.lineChart(title: "Accuracy", yLabel: "accuracy", series: series("accuracy"))),
            (names.confusion, Charts.confusionMatrix(matrix)),
            (names.mistakes, Charts.mistakes(mistakes, classNames: matrix.hasNamedClasses ? matrix.classNames : nil)),
        ]
        for (name, document) in pictures {
            try document.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(history).write(to: folder.appendingPathComponent(names.history), options: .atomic)
        try html.write(to: folder.appendingPathComponent(names.html), atomically: true, encoding: .utf8)
    }

    private func series(_ key: String) -> [Charts.Series] {
        [Charts.Series(name: "training", values: history[key] ?? [], color: "#1565c0"),
         Charts.Series(name: "validation", values: history["val_" + key] ?? [], color: "#e65100", dashed: true)]
    }

    /// The HTML page.
    var html: String {
        let names = Self.fileNames
        let accuracy = String(format: "%.2f%%", matrix.accuracy * 100)
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escape(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
        h1 { margin-bottom: 0.2em; } .headline { font-size: 1.4em; }
        .row { display: flex; flex-wrap: wrap; gap: 16px; } img { max-width: 100%; border: 1px solid #eee; }
        pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
        </style>
        </head>
        <body>
        <h1>\(escape(title))</h1>
        <p class="headline">Test accuracy <b>\(accuracy)</b> (\(matrix.correct) of \(matrix.total) \(matrix.hasNamedClasses ? "images" : "digits")), test loss \(String(format: "%.4f", testLoss)).</p>
        <h2>Learning curves</h2>
        <div class="row"><img src="\(names.loss)" alt="loss per epoch"><img src="\(names.accuracy)" alt="accuracy per epoch"></div>
        <h2>Confusion matrix</h2>
        <img src="\(names.confusion)" alt="confusion matrix">
        <h2>Per-class scores</h2>
        <pre>\(escape(matrix.report))</pre>
        <h2>Mistakes</h2>
        <img src="\(names.mistakes)" alt="most confident mistakes">
        <h2>Model</h2>
        <pre>\(escape(summary))</pre>
        <p>History per epoch: <a href="\(names.history)">\(names.history)</a>.</p>
        </body>
        </html>

        """
    }
}
