import Foundation

/// A minimal SVG document builder: elements are appended as escaped XML.
struct SVG {
    let width, height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        elements.append(#"<rect x="\#(f(x))" y="\#(f(y))" width="\#(f(width))" height="\#(f(height))" fill="\#(fill)"\#(stroke.map { #" stroke="\#($0)""# } ?? "")/>"#)
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1) {
        elements.append(#"<line x1="\#(f(x1))" y1="\#(f(y1))" x2="\#(f(x2))" y2="\#(f(y2))" stroke="\#(stroke)" stroke-width="\#(f(width))"/>"#)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, dashed: Bool = false) {
        let list = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        elements.append(#"<polyline points="\#(list)" fill="none" stroke="\#(stroke)" stroke-width="\#(f(width))"\#(dashed ? #" stroke-dasharray="6 4""# : "")/>"#)
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String) {
        elements.append(#"<circle cx="\#(f(x))" cy="\#(f(y))" r="\#(f(radius))" fill="\#(fill)"/>"#)
    }

    mutating func text(_ content: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
                       fill: String = "#222", bold: Bool = false, vertical: Bool = false) {
        let rotation = vertical ? #" transform="rotate(-90 \#(f(x)) \#(f(y)))""# : ""
        elements.append(#"<text x="\#(f(x))" y="\#(f(y))" font-size="\#(f(size))" text-anchor="\#(anchor)" fill="\#(fill)"\#(bold ? #" font-weight="bold""# : "")\#(rotation)>\#(escape(content))</text>"#)
    }

    /// The document, with a white background.
    var document: String {
        #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="Helvetica, Arial, sans-serif">"#
            + "\n" + #"<rect width="100%" height="100%" fill="white"/>"# + "\n"
            + elements.joined(separator: "\n") + "\n</svg>\n"
    }

    private func f(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// `text` with the five XML special characters escaped.
func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        .replacingOccurrences(of: "'", with: "&apos;")
}
