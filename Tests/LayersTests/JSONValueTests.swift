import Foundation
import Layers
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("every kind of JSON value decodes as itself: bools stay bools, numbers numbers, strings strings")
    func decodesEveryKind() throws {
        let text = #"[true, false, 1, 0, -2.5, 1e300, "1", "true", "", null, {}, [], {"a": [true, 1, {"b": null}]}]"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value == .array([
            .bool(true), .bool(false), .number(1), .number(0), .number(-2.5), .number(1e300),
            .string("1"), .string("true"), .string(""), .null, .object([:]), .array([]),
            .object(["a": .array([.bool(true), .number(1), .object(["b": .null])])]),
        ]))
        #expect(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)) == value)
    }
}
