import Foundation

/// A JSON value as `ModelFileMutator` edits it: read from `JSONSerialization`'s objects, and
/// written back by ``write(to:)`` with sorted keys. Writing with `JSONSerialization` (which
/// bridges every dictionary and sorts `AnyHashable` keys) took half of each input's time under
/// AddressSanitizer; editing Foundation's `Any` tree cost a dynamic cast per node.
enum EditableJSON: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int)
    case double(Double)
    case string(String)
    case array([EditableJSON])
    case object([String: EditableJSON])

    /// The value `JSONSerialization.jsonObject(with:)` returned, or nil for an object it never returns.
    init?(foundation value: Any) {
        switch value {
        case is NSNull: self = .null
        case let string as String: self = .string(string)
        case let number as NSNumber:
            switch UInt8(bitPattern: number.objCType.pointee) {
            case UInt8(ascii: "c"), UInt8(ascii: "B"): self = .bool(number.boolValue)
            case UInt8(ascii: "d"), UInt8(ascii: "f"): self = .double(number.doubleValue)
            default: self = .integer(number.intValue)
            }
        case let array as [Any]:
            var elements: [EditableJSON] = []
            for element in array {
                guard let element = EditableJSON(foundation: element) else { return nil }
                elements.append(element)
            }
            self = .array(elements)
        case let object as [String: Any]:
            var members: [String: EditableJSON] = [:]
            for (key, member) in object {
                guard let member = EditableJSON(foundation: member) else { return nil }
                members[key] = member
            }
            self = .object(members)
        default: return nil
        }
    }

    /// Parses JSON text (fragments allowed), or nil when it is not JSON.
    init?(parsing text: Data) {
        guard let value = try? JSONSerialization.jsonObject(with: text, options: .fragmentsAllowed) else { return nil }
        self.init(foundation: value)
    }

    /// The JSON text, keys sorted so that one program always makes the same file.
    var text: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4096)
        write(to: &bytes)
        return bytes
    }

    func write(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes += "null".utf8
        case let .bool(value): bytes += (value ? "true" : "false").utf8
        case let .integer(value): bytes += String(value).utf8
        case let .double(value): bytes += (value.isFinite ? "\(value)" : "null").utf8
        case let .string(value): Self.write(value, to: &bytes)
        case let .array(elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                element.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case let .object(members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.write(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                members[key]!.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private static func write(_ string: String, to bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A string's own characters; any other value's JSON text.
    var description: String {
        if case let .string(string) = self { string } else { String(decoding: text, as: UTF8.self) }
    }

    /// How many values this one holds, itself included (what ``ModelFileMutator`` counts edits in).
    var count: Int {
        switch self {
        case let .array(elements): 1 + elements.reduce(0) { $0 + $1.count }
        case let .object(members): 1 + members.values.reduce(0) { $0 + $1.count }
        default: 1
        }
    }

    /// Calls `change` on the value `remaining` counts down to, depth first (an object's members
    /// in key order); true once it has.
    @discardableResult
    mutating func visit(_ remaining: inout Int, _ change: (inout EditableJSON) -> Void) -> Bool {
        if remaining == 0 {
            change(&self)
            return true
        }
        remaining -= 1
        switch self {
        case var .array(elements):
            for index in elements.indices where elements[index].visit(&remaining, change) {
                self = .array(elements)
                return true
            }
        case var .object(members):
            for key in members.keys.sorted() where members[key]!.visit(&remaining, change) {
                self = .object(members)
                return true
            }
        default: break
        }
        return false
    }
}
