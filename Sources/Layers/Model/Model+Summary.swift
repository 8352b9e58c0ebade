import Foundation
extension Model {
    /// A Keras-style table of the layers: name and type, output shape, parameter count,
    /// and the totals; then the algorithm each convolution computes with. Builds the model if
    /// its input shape is known.
    ///
    /// ```
    /// Model: "sequential"
    /// ┌─────────────────────────────┬────────────────────┬───────────┐
    /// │ Layer (type)                │ Output Shape       │   Param # │
    /// ├─────────────────────────────┼────────────────────┼───────────┤
    /// │ conv2d (Conv2D)             │ (None, 26, 26, 32) │       320 │
    /// ...
    /// ```
    /// - Throws: ``LayersError/notReady(operation:reason:)`` when the input shape is unknown,
    ///   or the build error of a layer that does not fit.
    public func summary() throws -> String {
        guard let inputShapes else {
            throw LayersError.notReady(operation: "summary",
                                       reason: "the input shape is unknown; start the model with Input(shape:) or call build(inputShape:)")
        }
        try build(inputShapes: inputShapes)
        // A graph other than a chain gets Keras's "Connected to" column: what each call reads.
        let connected = graph != .chain(layers.count)
        /// A value by its layer's name; a further output of a call (a final state) as `lstm[1]`.
        func source(_ value: Int) -> String {
            guard let node = graph.node(ofValue: value) else { return inputNames[value] }
            let name = layers[graph.nodes[node].layer].name, output = value - graph.value(ofNode: node)
            return output == 0 ? name : "\(name)[\(output)]"
        }
        func shapeText(_ shape: [Int]) -> String { "(None, " + shape.map(String.init).joined(separator: ", ") + ")" }
        var rows: [[String]] = []
        // Several inputs get a row each (Keras's InputLayer rows), so that "Connected to" names them.
        if graph.inputCount > 1 {
            rows = zip(inputNames, inputShapes).map { ["\($0) (Input)", shapeText($1), "0", "-"] }
        }
        for (index, layer) in layers.enumerated() where !(layer is Input) {
            let calls = graph.nodes.indices.filter { graph.nodes[$0].layer == index }
            let outputs = graph.values(ofNode: calls[0]).map { shapeText(self.shape(ofValue: $0)) }
            let shapes = outputs.count == 1 ? outputs[0] : "[" + outputs.joined(separator: ", ") + "]"
            var row = ["\(layer.name) (\(type(of: layer).typeName))", shapes, grouped(layer.parameterCount)]
            if connected {
                row.append(calls.map { graph.nodes[$0].inputs.map(source).joined(separator: ", ") }.joined(separator: "; "))
            }
            rows.append(row)
        }
        let header = ["Layer (type)", "Output Shape", "Param #"] + (connected ? ["Connected to"] : [])
        let widths = header.indices.map { column in ([header[column]] + rows.map { $0[column] }).map(\.count).max()! }
        func line(_ left: String, _ middle: String, _ right: String) -> String {
            left + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: middle) + right
        }
        func row(_ cells: [String]) -> String {
            "│ " + cells.indices.map { column in
                column == 2 ? String(repeating: " ", count: widths[2] - cells[2].count) + cells[2] : pad(cells[column], widths[column])
            }.joined(separator: " │ ") + " │"
        }
        let (total, trainable) = parameterCount
        var lines = ["Model: \"\(name)\"", line("┌", "┬", "┐"), row(header), line("├", "┼", "┤")]
        lines += rows.map(row)
        lines.append(line("└", "┴", "┘"))
        lines.append(" Total params: \(grouped(total)) (\(bytes(total * 4)))")
        lines.append(" Trainable params: \(grouped(trainable)) (\(bytes(trainable * 4)))")
        lines.append(" Non-trainable params: \(grouped(total - trainable)) (\(bytes((total - trainable) * 4)))")
        var convolutions: [String] = []
        for case let convolution as Conv2D in layers {
            if let algorithm = convolution.computedAlgorithm { convolutions.append("\(convolution.name) \(algorithm.rawValue)") }
        }
        if !convolutions.isEmpty { lines.append(" Convolution algorithms: " + convolutions.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: Swift.max(0, width - text.count))
}

/// 34826 → "34,826".
private func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var result = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(digit)
    }
    return result
}

private func bytes(_ count: Int) -> String {
    let units = ["B", "KB", "MB", "GB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return String(format: "%.2f", value) + " " + units[unit]
}
