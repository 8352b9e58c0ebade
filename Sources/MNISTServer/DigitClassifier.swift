import Datasets
import Foundation
import Layers
import Tensor

/// A saved model that reads one digit at a time: photos and drawings are brought to MNIST
/// style first. One instance serves concurrent requests; the model runs one image at a time
/// (a forward pass takes a fraction of a millisecond), while decoding and preprocessing,
/// the expensive part for photos, run in parallel.
public final class DigitClassifier: @unchecked Sendable {
    private let model: Model
    private let lock = NSLock()

    /// The model's name and weight count, for `/health`.
    public let modelName: String
    public let parameterCount: Int

    /// Loads the model at `path`.
    /// - Throws: the loader's error, or ``ServerError/unsuitableModel(_:)`` unless the model
    ///   maps 28x28x1 images to 10 classes.
    public convenience init(contentsOf path: String) throws {
        try self.init(model: try Model.load(from: path))
    }

    /// Serves `model`, which must map 28x28x1 images to 10 classes.
    public init(model: Model) throws {
        if !model.isBuilt { try model.build(inputShape: [28, 28, 1]) }
        guard model.inputShape == [28, 28, 1], model.outputShape == [10] else {
            throw ServerError.unsuitableModel(
                "expected a model from 28x28x1 images to 10 classes, found \(model.inputShape ?? []) to \(model.outputShape ?? [])")
        }
        self.model = model
        modelName = model.name
        parameterCount = model.parameterCount.total
    }

    /// Classifies a photo or drawing of one digit, any size, after MNIST-style preprocessing.
    /// - Throws: ``Datasets/DatasetError`` when no digit is found.
    public func classify(_ image: GrayscaleImage) throws -> DigitPrediction {
        try classify(mnistStyle: try DigitPreprocessing.mnistStyle(image))
    }

    /// Classifies a 28x28 image that is already MNIST style (light ink on black), as it is.
    public func classify(mnistStyle digit: GrayscaleImage) throws -> DigitPrediction {
        let input = try DigitPreprocessing.batch([digit])
        let probabilities = try lock.withLock { try model.predict(input) }.scalars
        return DigitPrediction(probabilities: probabilities, input: digit)
    }
}

/// Why the server cannot start.
public enum ServerError: Error, CustomStringConvertible {
    case unsuitableModel(String)

    public var description: String {
        switch self {
        case let .unsuitableModel(message): "unsuitable model: \(message)"
        }
    }
}
