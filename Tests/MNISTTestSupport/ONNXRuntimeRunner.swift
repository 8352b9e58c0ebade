import Foundation
import Layers
import Tensor

/// Runs exported ONNX models in ONNX Runtime (through Tests/ONNX/run_onnx.py, which also runs
/// `onnx.checker`) with the Python environment `scripts/setup` makes in `.venv/`.
public enum ONNXRuntimeRunner {
    static let python = PackageFolder.python

    /// Why ONNX Runtime cannot be used here, or nil when it can.
    public static let missing: String? = {
        guard FileManager.default.isExecutableFile(atPath: python),
              (try? runChildProcess([python, "-c", "import onnx, onnxruntime, numpy"]))?.status == 0 else {
            return "no ONNX Runtime: scripts/setup makes .venv with onnx, onnxruntime and numpy"
        }
        return nil
    }()

    /// The outputs ONNX Runtime computes for `input` with the model in `file` (input `input`,
    /// output `output`).
    public static func outputs(of file: URL, input: Tensor) throws -> Tensor {
        try outputs(of: file, inputs: [("input", input)], outputNames: ["output"])[0]
    }

    /// The outputs named `outputNames` that ONNX Runtime computes for the named `inputs` with
    /// the model in `file`.
    public static func outputs(of file: URL, inputs: [(name: String, value: Tensor)], outputNames: [String]) throws -> [Tensor] {
        let folder = file.deletingLastPathComponent()
        func fresh(_ suffix: String) -> URL { folder.appendingPathComponent(UUID().uuidString + suffix) }
        let inputFiles = inputs.map { _ in fresh(".input") }, outputFiles = outputNames.map { _ in fresh(".output") }
        let specFile = fresh(".json")
        defer { for url in inputFiles + outputFiles + [specFile] { try? FileManager.default.removeItem(at: url) } }
        for (input, url) in zip(inputs, inputFiles) {
            try input.value.scalars.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: url)
        }
        struct Spec: Encodable {
            struct Item: Encodable { let name: String, file: String, shape: [Int]? }
            let inputs: [Item], outputs: [Item]
        }
        let spec = Spec(
            inputs: zip(inputs, inputFiles).map { .init(name: $0.name, file: $1.path, shape: Array($0.value.shape.dropFirst())) },
            outputs: zip(outputNames, outputFiles).map { .init(name: $0, file: $1.path, shape: nil) })
        try JSONEncoder().encode(spec).write(to: specFile)
        let script = PackageFolder.root.appendingPathComponent("Tests/ONNX/run_onnx.py").path
        let result = try runChildProcess([python, script, file.path, specFile.path])
        guard result.status == 0 else { throw RunnerError(message: result.errors) }
        struct Answer: Decodable { let shapes: [[Int]] }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(result.output.utf8))
        return try zip(answer.shapes, outputFiles).map { shape, url in
            let scalars = try Data(contentsOf: url).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return try Tensor(shape: shape, scalars: scalars)
        }
    }

    public struct RunnerError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "run_onnx.py failed: \(message)" }
    }
}
