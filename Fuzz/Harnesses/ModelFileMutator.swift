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
    /// The valid files the edits start from. Kept as byte arrays: LeakSanitizer did not see
    /// `Data` held in a static as reachable, and reported it as leaked.
    static let seeds: [[UInt8]] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Corpus/FuzzModelFile")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
        return names.compactMap { (try? Data(contentsOf: folder.appendingPathComponent($0))).map { [UInt8]($0) } }
    }()

    /// Values an edit may put anywhere in the JSON: edges of every range a loader checks.
    nonisolated(unsafe) static let interesting: [Any] = [
        0, 1, 2, 3, 7, 28, -1, -2, 255, 65_536, 1 << 31, -(1 << 31), Int(Int32.max) * 4, Int.max, 0.5, -0.5, 1e-9, 1e30,
        "", "F32", "F16", "I64", "U8", "BOOL", "Dense", "Conv2D", "LSTM", "MultiHeadAttention", "Input", "Flatten",
        "relu", "softmax", "same", "valid", "causal", "2", "3", "4", "99", true, false, NSNull(), [Any](), [String: Any](),
    ]

    /// The most edits one input makes; its further bytes are ignored. A few edits reach every
    /// check, and a cap keeps each input fast (hundreds of edits took milliseconds).
    static let maximumEdits = 32

    /// The model file `program` describes, or nil when it cannot be written (no seeds).
    static func file(from program: Data) -> Data? {
        guard !seeds.isEmpty else { return nil }
        var bytes = Array(program).makeIterator()
        let seed = Data(seeds[Int(bytes.next() ?? 0) % seeds.count])
        guard var (header, payload) = parse(seed) else { return nil }
        // The model's configuration (JSON inside the metadata) is parsed once, edited, and written back once.
        var model = (header["__metadata__"] as? [String: String])?["model"]?.data(using: .utf8)
            .flatMap { try? JSONSerialization.jsonObject(with: $0, options: .fragmentsAllowed) }
        var edits = 0
        while edits < maximumEdits, let opcode = bytes.next() {
            edit(opcode, &header, &model, &payload, &bytes)
            edits += 1
        }
        if let model, var metadata = header["__metadata__"] as? [String: String] {
            // An edit may leave a bare value at the top: written as a fragment (without the option, a trap).
            guard let edited = try? JSONSerialization.data(withJSONObject: model, options: [.sortedKeys, .fragmentsAllowed])
            else { return nil }
            metadata["model"] = String(decoding: edited, as: UTF8.self)
            header["__metadata__"] = metadata
        }
        return write(header, payload)
    }

    private static func parse(_ file: Data) -> ([String: Any], Data)? {
        guard file.count >= 8 else { return nil }
        let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length <= file.count - 8,
              let header = try? JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + length))) as? [String: Any]
        else { return nil }
        return (header, file.subdata(in: (8 + length)..<file.count))
    }

    private static func write(_ header: [String: Any], _ payload: Data) -> Data? {
        guard let json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else { return nil }
        var file = Data((0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
        file.append(json)
        file.append(payload)
        return file
    }

    private static func edit(_ opcode: UInt8, _ header: inout [String: Any], _ model: inout Any?, _ payload: inout Data,
                             _ bytes: inout IndexingIterator<[UInt8]>) {
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
            var entry: Any = header[name] as Any
            mutate(&entry, choice: operand(), action: operand(), value: operand())
            header[name] = entry
        case 3:
            // The file's metadata strings (format, version).
            guard var metadata = header["__metadata__"] as? [String: String], !metadata.isEmpty else { return }
            let key = metadata.keys.sorted()[operand() % metadata.count]
            if key != "model" { metadata[key] = "\(interesting[operand() % interesting.count])" }
            header["__metadata__"] = metadata
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
            default: if !payload.isEmpty { payload[payload.startIndex + amount % payload.count] ^= UInt8(operand() | 1) }
            }
        }
    }

    /// Replaces, removes or duplicates the `choice`-th value of `json` (counted depth first).
    private static func mutate(_ json: inout Any, choice: Int, action: Int, value: Int) {
        var remaining = choice % max(1, count(json))
        visit(&json, &remaining) { node in
            switch action % 4 {
            case 0, 1: node = interesting[value % interesting.count]
            case 2:
                if var array = node as? [Any], !array.isEmpty {
                    array.remove(at: value % array.count)
                    node = array
                } else if var object = node as? [String: Any], !object.isEmpty {
                    object[object.keys.sorted()[value % object.count]] = nil
                    node = object
                }
            default:
                if var array = node as? [Any], !array.isEmpty {
                    array.insert(array[value % array.count], at: value % array.count)
                    node = array
                } else if let number = node as? Int {
                    node = number &* (value % 2 == 0 ? 2 : -1)   // wraps: Int.max doubled is an edge too
                }
            }
        }
    }

    private static func count(_ json: Any) -> Int {
        if let array = json as? [Any] { return 1 + array.map(count).reduce(0, +) }
        if let object = json as? [String: Any] { return 1 + object.values.map(count).reduce(0, +) }
        return 1
    }

    /// Calls `change` on the node `remaining` counts down to; true once it has.
    @discardableResult
    private static func visit(_ json: inout Any, _ remaining: inout Int, _ change: (inout Any) -> Void) -> Bool {
        if remaining == 0 {
            change(&json)
            return true
        }
        remaining -= 1
        if var array = json as? [Any] {
            for index in array.indices where visit(&array[index], &remaining, change) {
                json = array
                return true
            }
        } else if var object = json as? [String: Any] {
            for key in object.keys.sorted() {
                var child = object[key]!
                if visit(&child, &remaining, change) {
                    object[key] = child
                    json = object
                    return true
                }
            }
        }
        return false
    }
}
