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

    /// The outputs ONNX Runtime computes for `input` with the model in `file`.
    public static func outputs(of file: URL, input: Tensor) throws -> Tensor {
        let folder = file.deletingLastPathComponent()
        let inputFile = folder.appendingPathComponent(UUID().uuidString + ".input")
        let outputFile = folder.appendingPathComponent(UUID().uuidString + ".output")
        defer { for url in [inputFile, outputFile] { try? FileManager.default.removeItem(at: url) } }
        try input.scalars.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: inputFile)
        let sampleShape = input.shape.dropFirst().map(String.init).joined(separator: ",")
        let script = PackageFolder.root.appendingPathComponent("Tests/ONNX/run_onnx.py").path
        let result = try runChildProcess([python, script, file.path, inputFile.path, outputFile.path, sampleShape])
        guard result.status == 0 else { throw RunnerError(message: result.errors) }
        struct Answer: Decodable { let shape: [Int] }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(result.output.utf8))
        let data = try Data(contentsOf: outputFile)
        let scalars = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return try Tensor(shape: answer.shape, scalars: scalars)
    }

    public struct RunnerError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "run_onnx.py failed: \(message)" }
    }
}
