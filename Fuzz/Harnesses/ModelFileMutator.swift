import Foundation

/// Structure-aware inputs for the model-file loader: the fuzzer's bytes are a program of edits
/// applied to a valid model file (one of Fuzz/Corpus/FuzzModelFile), which is written back as a
/// well-formed container (a correct header length, valid JSON). Every input therefore gets
/// past the container and JSON parsers to what they feed: the tensor table (dtypes, shapes,
/// offsets), the model's configuration (layer types, hyper-parameters, the graph's nodes) and
/// the weights' sizes, which random bytes almost never reach.
///
/// The first byte picks the file; then each edit is an opcode byte followed by operand bytes
/// (missing operands read as 0).
enum ModelFileMutator {
    /// One of the valid files the edits start from, parsed.
    private struct Seed: Sendable {
        var header: [String: EditableJSON]
        /// The model's configuration (JSON inside the header's metadata).
        var model: EditableJSON?
        var payload: Data
    }

    /// The valid files the edits start from, read and parsed once (parsing them for each input
    /// was the harness's largest cost once the JSON was written by hand).
    private static let seeds: [Seed] = LeakSanitizer.ignoringAllocations {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Corpus/FuzzModelFile")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
        return names.compactMap { name in
            guard let file = try? Data(contentsOf: folder.appendingPathComponent(name)),
                  let (header, payload) = parse(file) else { return nil }
            let model = metadata(header)?["model"].flatMap { EditableJSON(parsing: Data($0.utf8)) }
            return Seed(header: header, model: model, payload: payload)
        }
    }

    /// Values an edit may put anywhere in the JSON: edges of every range a loader checks.
    static let interesting: [EditableJSON] = [
        0, 1, 2, 3, 7, 28, -1, -2, 255, 65_536, 1 << 31, -(1 << 31), Int(Int32.max) * 4, Int.max,
    ].map(EditableJSON.integer) + [0.5, -0.5, 1e-9, 1e30].map(EditableJSON.double) + [
        "", "F32", "F16", "I64", "U8", "BOOL", "Dense", "Conv2D", "LSTM", "MultiHeadAttention", "Input", "Flatten",
        "relu", "softmax", "same", "valid", "causal", "2", "3", "4", "99",
    ].map(EditableJSON.string) + [.bool(true), .bool(false), .null, .array([]), .object([:])]

    /// The most edits one input makes; its further bytes are ignored. A few edits reach every
    /// check, and a cap keeps each input fast (hundreds of edits took milliseconds).
    static let maximumEdits = 32

    /// The model file `program` describes, or nil when there are no seeds. The model's
    /// configuration is edited as JSON and written back into the metadata once.
    static func file(from program: Data) -> Data? {
        guard !seeds.isEmpty else { return nil }
        var bytes = Array(program).makeIterator()
        var file = seeds[Int(bytes.next() ?? 0) % seeds.count]
        var edits = 0
        while edits < maximumEdits, let opcode = bytes.next() {
            edit(opcode, &file.header, &file.model, &file.payload, &bytes)
            edits += 1
        }
        if let model = file.model, var strings = metadata(file.header) {
            strings["model"] = String(decoding: model.text, as: UTF8.self)
            file.header["__metadata__"] = .object(strings.mapValues(EditableJSON.string))
        }
        return write(file.header, file.payload)
    }

    /// The metadata's strings, or nil when an edit left something else there.
    private static func metadata(_ header: [String: EditableJSON]) -> [String: String]? {
        guard case let .object(members)? = header["__metadata__"] else { return nil }
        var strings: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(string) = value else { return nil }
            strings[key] = string
        }
        return strings
    }

    private static func parse(_ file: Data) -> ([String: EditableJSON], Data)? {
        guard file.count >= 8 else { return nil }
        let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length <= file.count - 8,
              case let .object(header)? = EditableJSON(parsing: file.subdata(in: 8..<(8 + length))) else { return nil }
        return (header, file.subdata(in: (8 + length)..<file.count))
    }

    private static func write(_ header: [String: EditableJSON], _ payload: Data) -> Data {
        let json = EditableJSON.object(header).text
        var file = Data((0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
        file.append(contentsOf: json)
        file.append(payload)
        return file
    }

    private static func edit(_ opcode: UInt8, _ header: inout [String: EditableJSON], _ model: inout EditableJSON?,
                             _ payload: inout Data, _ bytes: inout IndexingIterator<[UInt8]>) {
        func operand() -> Int { Int(bytes.next() ?? 0) }
        let tensorNames = header.keys.filter { $0 != "__metadata__" }.sorted()
        switch opcode % 6 {
        case 0, 1:
            // Anywhere in the model's configuration.
            guard var configuration = model else { return }
            mutate(&configuration, choice: operand(), action: operand(), value: operand())
            model = configuration
        case 2:
            // A tensor's entry: its dtype, shape or offsets.
            guard !tensorNames.isEmpty else { return }
            let name = tensorNames[operand() % tensorNames.count]
            guard var entry = header[name] else { return }
            mutate(&entry, choice: operand(), action: operand(), value: operand())
            header[name] = entry
        case 3:
            // The file's metadata strings (format, version).
            guard var strings = metadata(header), !strings.isEmpty else { return }
            let key = strings.keys.sorted()[operand() % strings.count]
            if key != "model" { strings[key] = interesting[operand() % interesting.count].description }
            header["__metadata__"] = .object(strings.mapValues(EditableJSON.string))
        case 4:
            // Tensors removed, duplicated under another name, or renamed.
            guard !tensorNames.isEmpty else { return }
            let name = tensorNames[operand() % tensorNames.count], other = tensorNames[operand() % tensorNames.count]
            switch operand() % 3 {
            case 0: header[name] = nil
            case 1: header[name + "_copy"] = header[name]
            default: (header[name], header[other]) = (header[other], header[name])
            }
        default:
            // The weights' bytes: cut short, extended, or a byte changed.
            let amount = operand() << 2
            switch operand() % 3 {
            case 0: payload = payload.prefix(max(0, payload.count - amount))
            case 1: payload.append(Data(count: amount))
            default:
                if !payload.isEmpty { payload[payload.startIndex + amount % payload.count] ^= UInt8(operand() | 1) }
            }
        }
    }

    /// Replaces, removes or duplicates the `choice`-th value of `json` (counted depth first).
    private static func mutate(_ json: inout EditableJSON, choice: Int, action: Int, value: Int) {
        var remaining = choice % max(1, json.count)
        json.visit(&remaining) { node in
            switch (action % 4, node) {
            case (0, _), (1, _): node = interesting[value % interesting.count]
            case (2, var .array(elements)) where !elements.isEmpty:
                elements.remove(at: value % elements.count)
                node = .array(elements)
            case (2, var .object(members)) where !members.isEmpty:
                members[members.keys.sorted()[value % members.count]] = nil
                node = .object(members)
            case (3, var .array(elements)) where !elements.isEmpty:
                elements.insert(elements[value % elements.count], at: value % elements.count)
                node = .array(elements)
            case let (3, .integer(number)):
                node = .integer(number &* (value % 2 == 0 ? 2 : -1))   // wraps: Int.max doubled is an edge too
            default: break
            }
        }
    }
}
