import Foundation

/// Pictures of a training run, as SVG documents.
public enum Charts {
    /// One line of a chart.
    public struct Series: Sendable {
        public let name: String
        public let values: [Double]
        public let color: String
        public let dashed: Bool

        public init(name: String, values: [Double], color: String, dashed: Bool = false) {
            self.name = name
            self.values = values
            self.color = color
            self.dashed = dashed
        }
    }

    /// A line chart of per-epoch values (epochs numbered from 1), with axes, ticks and a legend.
    public static func lineChart(title: String, yLabel: String, series: [Series]) -> String {
        let (width, height) = (640.0, 400.0)
        let (left, right, top, bottom) = (78.0, 20.0, 62.0, 50.0)
        var svg = SVG(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, size: 16, anchor: "middle", bold: true)
        let all = series.flatMap(\.values).filter(\.isFinite)
        let count = series.map(\.values.count).max() ?? 0
        guard let low = all.min(), let high = all.max(), count > 0 else {
            svg.text("no data", x: width / 2, y: height / 2, anchor: "middle")
            return svg.document
        }
        let ticks = niceTicks(low: low, high: high)
        let (yMin, yMax) = (ticks.values.first!, ticks.values.last!)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ epoch: Int) -> Double { left + (count == 1 ? plotWidth / 2 : plotWidth * Double(epoch) / Double(count - 1)) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - (value - yMin) / (yMax - yMin)) }

        for value in ticks.values {
            svg.line(x1: left, y1: y(value), x2: width - right, y2: y(value), stroke: "#e5e5e5")
            svg.text(String(format: "%.\(ticks.decimals)f", value), x: left - 8, y: y(value) + 4, size: 11, anchor: "end", fill: "#555")
        }
        let step = Swift.max(1, count / 10)
        for epoch in stride(from: 0, to: count, by: step) {
            svg.text(String(epoch + 1), x: x(epoch), y: height - bottom + 18, size: 11, anchor: "middle", fill: "#555")
        }
        svg.line(x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, stroke: "#333")
        svg.line(x1: left, y1: top, x2: left, y2: top + plotHeight, stroke: "#333")
        svg.text("epoch", x: left + plotWidth / 2, y: height - 12, size: 12, anchor: "middle")
        svg.text(yLabel, x: 18, y: top + plotHeight / 2, size: 12, anchor: "middle", vertical: true)

        for (index, line) in series.enumerated() {
            let points = line.values.enumerated().filter { $0.element.isFinite }.map { (x($0.offset), y($0.element)) }
            svg.polyline(points, stroke: line.color, dashed: line.dashed)
            for point in points { svg.circle(x: point.0, y: point.1, radius: 2.5, fill: line.color) }
            // The legend sits in a row between the title and the plot, so it never covers a curve.
            let legendX = left + Double(index) * 130
            svg.line(x1: legendX, y1: 42, x2: legendX + 24, y2: 42, stroke: line.color, width: 3)
            svg.text(line.name, x: legendX + 30, y: 46, size: 12)
        }
        return svg.document
    }

    /// Round axis values covering `low...high`, as a person would label the axis: a step of
    /// 1, 2, 2.5 or 5 times a power of ten giving four to eight ticks, and the decimals
    /// that step needs.
    static func niceTicks(low: Double, high: Double) -> (values: [Double], decimals: Int) {
        let span = high > low ? high - low : Swift.max(abs(high), 1) * 0.1
        let magnitude = pow(10, (log10(span / 5)).rounded(.down))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { span / $0 <= 6 } ?? 10 * magnitude
        // The tolerance keeps 1.0 / 0.025 = 40.000000000000001 from adding a tick.
        let first = (low / step + 1e-9).rounded(.down), last = Swift.max((high / step - 1e-9).rounded(.up), first + 1)
        let values = stride(from: first, through: last, by: 1).map { $0 * step }
        let decimals = (0...8).first { abs((step * pow(10, Double($0))).rounded() - step * pow(10, Double($0))) < 1e-6 } ?? 8
        return (values, decimals)
    }

    /// The confusion matrix as a heat map: rows are true classes, columns predictions; cells
    /// off the diagonal are red with intensity by count, the diagonal is green.
    /// Named classes label the rows with their names (`0 T-shirt/top`) and the columns with labels.
    public static func confusionMatrix(_ matrix: ConfusionMatrix, title: String = "Confusion matrix (test set)") -> String {
        let named = matrix.hasNamedClasses
        let cell = 46.0, left = named ? 150.0 : 70.0, top = 70.0
        let size = Double(matrix.classes) * cell
        var svg = SVG(width: left + size + 30, height: top + size + 40)
        svg.text(title, x: left + size / 2, y: 24, size: 16, anchor: "middle", bold: true)
        svg.text(named ? "predicted class" : "predicted digit", x: left + size / 2, y: 48, size: 12, anchor: "middle")
        svg.text("true", x: 24, y: top + size / 2, size: 12, anchor: "middle")
        let largestError = Swift.max(1, matrix.counts.enumerated().flatMap { row in row.element.enumerated().filter { $0.offset != row.offset }.map(\.element) }.max() ?? 1)
        for row in 0..<matrix.classes {
            let rowTitle = named ? "\(row) \(matrix.classNames[row])" : String(row)
            svg.text(rowTitle, x: left - 10, y: top + Double(row) * cell + cell / 2 + 5, size: 13, anchor: "end")
            svg.text(String(row), x: left + Double(row) * cell + cell / 2, y: top - 8, size: 13, anchor: "middle")
            for column in 0..<matrix.classes {
                let count = matrix.counts[row][column]
                let fill: String
                if row == column {
                    fill = "#c8e6c9"
                } else if count == 0 {
                    fill = "#fafafa"
                } else {
                    let strength = 0.25 + 0.75 * Double(count) / Double(largestError)
                    fill = String(format: "rgb(255,%d,%d)", Int(235 - 190 * strength), Int(235 - 190 * strength))
                }
                svg.rect(x: left + Double(column) * cell, y: top + Double(row) * cell, width: cell, height: cell, fill: fill, stroke: "#ddd")
                svg.text(String(count), x: left + Double(column) * cell + cell / 2, y: top + Double(row) * cell + cell / 2 + 4,
                         size: count > 999 ? 11 : 12, anchor: "middle", fill: count == 0 ? "#bbb" : "#222")
            }
        }
        return svg.document
    }

    /// A misclassified test image with what the model said.
    public struct Mistake: Sendable {
        /// 28·28 intensities in `[0, 1]`, row-major.
        public let pixels: [Float]
        public let truth: Int
        public let predicted: Int
        public let confidence: Float

        public init(pixels: [Float], truth: Int, predicted: Int, confidence: Float) {
            self.pixels = pixels
            self.truth = truth
            self.predicted = predicted
            self.confidence = confidence
        }
    }

    /// A grid of misclassified images (dark ink on white), each captioned
    /// "true → predicted (confidence)", with the classes' names on two lines when given.
    public static func mistakes(_ mistakes: [Mistake], classNames: [String]? = nil, columns: Int = 8) -> String {
        let scale = 3.0, tile = 28 * scale, gap = 14.0, caption = classNames == nil ? 18.0 : 32.0
        let rows = (mistakes.count + columns - 1) / columns
        var svg = SVG(width: Double(columns) * (tile + gap) + gap, height: 40 + Double(Swift.max(rows, 1)) * (tile + caption + gap))
        svg.text("Most confident mistakes on the test set (true → predicted)", x: svg.width / 2, y: 24, size: 15, anchor: "middle", bold: true)
        for (index, mistake) in mistakes.enumerated() {
            let originX = gap + Double(index % columns) * (tile + gap)
            let originY = 40 + Double(index / columns) * (tile + caption + gap)
            svg.rect(x: originX, y: originY, width: tile, height: tile, fill: "white", stroke: "#ccc")
            for (position, value) in mistake.pixels.enumerated() where value > 0.05 {
                let shade = Int(255 * (1 - Double(Swift.min(value, 1))))
                svg.rect(x: originX + Double(position % 28) * scale, y: originY + Double(position / 28) * scale,
                         width: scale, height: scale, fill: "rgb(\(shade),\(shade),\(shade))")
            }
            let confidence = "(\(Int((mistake.confidence * 100).rounded()))%)"
            if let classNames, classNames.indices.contains(mistake.truth), classNames.indices.contains(mistake.predicted) {
                svg.text(classNames[mistake.truth], x: originX + tile / 2, y: originY + tile + 13, size: 10, anchor: "middle",
                         fill: "#b71c1c")
                svg.text("→ \(classNames[mistake.predicted]) \(confidence)", x: originX + tile / 2, y: originY + tile + 26,
                         size: 10, anchor: "middle", fill: "#b71c1c")
            } else {
                svg.text("\(mistake.truth) → \(mistake.predicted) \(confidence)",
                         x: originX + tile / 2, y: originY + tile + 14, size: 12, anchor: "middle", fill: "#b71c1c")
            }
        }
        return svg.document
    }
}
