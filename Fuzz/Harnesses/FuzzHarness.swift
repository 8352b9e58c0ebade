import Datasets
import Foundation
import Layers
import MNISTServer
import Tensor

/// What each fuzz harness does with one input: every parser the library exposes to files or
/// requests, fed arbitrary bytes. Errors are the expected outcome; a crash, a hang or a leak is
/// a finding. `scripts/fuzz` runs these under libFuzzer (Fuzz/Main); `FuzzRegressionTests`
/// replays the seed corpora and every committed finding through the same functions.
public enum FuzzHarness: String, CaseIterable, Sendable {
    case images = "FuzzImages"
    case idx = "FuzzIDX"
    case modelFile = "FuzzModelFile"
    case modelStructure = "FuzzModelStructure"
    case predictRequest = "FuzzPredictRequest"

    /// Feeds `data` to the harness's parsers; whether they accepted it all the way (an image
    /// decoded, an IDX file parsed, a model loaded and predicted, a request answered).
    @discardableResult
    public func run(_ data: Data) -> Bool {
        switch self {
        case .images:
            // An image file (PNG, JPEG, PGM), then the digit preprocessing (which may find no digit).
            guard let image = try? GrayscaleImage(data: data, name: "fuzz") else { return false }
            _ = try? DigitPreprocessing.mnistStyle(image)
            return true
        case .idx:
            // An IDX file, gzip-compressed or not, as MNIST ships.
            let raw = Gzip.isCompressed(data) ? try? Gzip.decompress(data, limit: 16 << 20, path: "fuzz") : data
            return raw.flatMap { try? IDXFile(parsing: $0, path: "fuzz") } != nil
        case .modelFile:
            // A model file; a model that loads must also predict.
            guard let model = try? Model.load(data: data), let shape = model.inputShape,
                  shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? .max : $0 * $1 }) <= 1 << 16,
                  let zeros = try? Tensor.zeros([2] + shape) else { return false }
            return (try? model.predict(zeros)) != nil
        case .modelStructure:
            // A program of edits to a valid model file (ModelFileMutator), then loaded like one.
            return ModelFileMutator.file(from: data).map { Self.modelFile.run($0) } ?? false
        case .predictRequest:
            // The body of `POST /api/predict`, labelled as JSON and as an image.
            let answers = ["application/json", "image/png"].map {
                (try? Self.server.answer(toPredictBody: data, contentType: $0)) != nil
            }
            return answers.contains(true)
        }
    }

    /// A server over a small untrained model, as `mnist serve` would run one.
    private static let server: DigitServer = {
        let model = Sequential(seed: 1) {
            Input(shape: [28, 28, 1])
            Flatten()
            Dense(units: 10, activation: .softmax)
        }
        return DigitServer(classifier: try! DigitClassifier(model: model))
    }()
}
