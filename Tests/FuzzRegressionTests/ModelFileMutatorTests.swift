import Foundation
@testable import FuzzHarnesses
import Testing

/// The structure-aware harness's own pieces: its JSON writer must write what it read, and an
/// empty edit program must give back the seed file's content.
@Suite("Model file mutator")
struct ModelFileMutatorTests {
    @Test("JSON is written back with sorted keys and escapes, and parses to the same value")
    func jsonRoundTrip() throws {
        let text = #"""
            {"b": [1, -2, 2.5, 1e-9, 1e30, 9223372036854775807, true, false, null, [], {}],
             "a": "quote \" backslash \\ newline \n tab \t bell \u0007 e\u0301 \u00e9 \ud83d\ude00 slash /",
             "c": {"z": {"y": []}, "x": -0.5}}
            """#
        let value = try #require(EditableJSON(parsing: Data(text.utf8)))
        let written = Data(value.text)
        #expect(EditableJSON(parsing: written) == value)
        let small = try #require(EditableJSON(parsing: Data(#"{"b": [1, 2.5, true, null], "a": "x\"y\u0001"}"#.utf8)))
        #expect(String(decoding: small.text, as: UTF8.self) == #"{"a":"x\"y\u0001","b":[1,2.5,true,null]}"#)
        #expect(value.count == 18)
    }

    @Test("an empty edit program gives back each seed's header and weights, the same bytes every time")
    func unchangedSeeds() throws {
        let folder = ReplayTests.fuzzFolder.appendingPathComponent("Corpus/FuzzModelFile")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.count >= 2)
        for (index, name) in names.enumerated() {
            let seed = try Data(contentsOf: folder.appendingPathComponent(name))
            let file = try #require(ModelFileMutator.file(from: Data([UInt8(index)])))
            #expect(try Self.content(of: file) == Self.content(of: seed), "\(name)")
            #expect(ModelFileMutator.file(from: Data([UInt8(index)])) == file)
        }
    }

    /// A model file's header (the model's configuration parsed from its metadata) and its weights.
    static func content(of file: Data) throws -> EditableJSON {
        let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard case var .object(header)? = EditableJSON(parsing: file.subdata(in: 8..<(8 + length))),
              case var .object(metadata)? = header["__metadata__"], case let .string(model)? = metadata["model"]
        else { throw CocoaError(.fileReadCorruptFile) }
        metadata["model"] = EditableJSON(parsing: Data(model.utf8))
        header["__metadata__"] = .object(metadata)
        header["(weights)"] = .string(file.subdata(in: (8 + length)..<file.count).base64EncodedString())
        return .object(header)
    }
}
