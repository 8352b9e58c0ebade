import Foundation
import Tensor

/// The MNIST database of handwritten digits (LeCun, Cortes, Burges), as
/// `keras.datasets.mnist` gives it: 60,000 training and 10,000 test images.
///
/// ```swift
/// let mnist = try MNIST.load(from: MNIST.locate())
/// mnist.train.images   // [60000, 28, 28, 1], Float32 in [0, 1]
/// mnist.train.labels   // [Int], 0...9
/// ```
public struct MNIST: Sendable {
    /// Images and labels of one split.
    public struct Split: Sendable {
        /// `[N, 28, 28, 1]`, pixel intensities scaled to `[0, 1]`.
        public let images: Tensor
        /// The digit of each image.
        public let labels: [Int]
        /// The labels one-hot encoded, `[N, 10]`.
        public var oneHotLabels: Tensor { try! Tensor.oneHot(labels, classes: 10) }
        /// The labels as a `[N]` tensor of class indices (for sparse losses).
        public var labelTensor: Tensor { Tensor(labels.map(Float.init)) }
        /// The number of samples.
        public var count: Int { labels.count }
    }

    /// The 60,000 training images.
    public let train: Split
    /// The 10,000 test images.
    public let test: Split

    /// The file names of the four IDX files (each may also end in `.gz`).
    public static let fileNames = (
        trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
        testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte")

    /// The folder to read MNIST from, in order: `explicit`, the `MNIST_DIR` environment
    /// variable, the user's cache folder (`$XDG_CACHE_HOME/swift-layers/mnist` or
    /// `~/.cache/swift-layers/mnist`); the first that holds the four files.
    /// - Throws: ``DatasetError/missingFile(folder:expected:)`` naming every place tried
    ///   and the files expected there.
    public static func locate(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        var candidates: [URL] = []
        if let explicit { candidates.append(URL(fileURLWithPath: explicit)) }
        if let fromEnvironment = environment["MNIST_DIR"], !fromEnvironment.isEmpty { candidates.append(URL(fileURLWithPath: fromEnvironment)) }
        candidates.append(cacheFolder(environment: environment))
        for folder in candidates where hasAllFiles(in: folder) { return folder }
        throw DatasetError.missingFile(
            folder: candidates.map(\.path).joined(separator: ", "),
            expected: [fileNames.trainImages, fileNames.trainLabels, fileNames.testImages, fileNames.testLabels].map { $0 + "[.gz]" })
    }

    /// The per-user cache folder for MNIST.
    public static func cacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSTemporaryDirectory()).appendingPathComponent(".cache")
        return base.appendingPathComponent("swift-layers").appendingPathComponent("mnist")
    }

    /// Loads the four files from `folder`, checking their dimensions and that they agree.
    /// - Throws: ``DatasetError`` naming the file and what is wrong.
    public static func load(from folder: URL) throws -> MNIST {
        let train = try loadSplit(images: fileNames.trainImages, labels: fileNames.trainLabels, in: folder)
        let test = try loadSplit(images: fileNames.testImages, labels: fileNames.testLabels, in: folder)
        return MNIST(train: train, test: test)
    }

    private static func hasAllFiles(in folder: URL) -> Bool {
        [fileNames.trainImages, fileNames.trainLabels, fileNames.testImages, fileNames.testLabels]
            .allSatisfy { (try? file($0, in: folder)) != nil }
    }

    /// `name.gz` or `name` in `folder`.
    private static func file(_ name: String, in folder: URL) throws -> URL {
        for candidate in [name + ".gz", name] {
            let url = folder.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DatasetError.missingFile(folder: folder.path, expected: [name + ".gz", name])
    }

    private static func loadSplit(images: String, labels: String, in folder: URL) throws -> Split {
        let imageFile = try IDXFile(contentsOf: try file(images, in: folder))
        let labelFile = try IDXFile(contentsOf: try file(labels, in: folder))
        guard imageFile.dimensions.count == 3, imageFile.dimensions[1] == 28, imageFile.dimensions[2] == 28 else {
            throw DatasetError.inconsistent("\(images): expected images of [count, 28, 28], found \(imageFile.dimensions)")
        }
        guard labelFile.dimensions.count == 1 else {
            throw DatasetError.inconsistent("\(labels): expected labels of [count], found \(labelFile.dimensions)")
        }
        guard imageFile.dimensions[0] == labelFile.dimensions[0] else {
            throw DatasetError.inconsistent("\(images) has \(imageFile.dimensions[0]) images but \(labels) has \(labelFile.dimensions[0]) labels")
        }
        if let bad = labelFile.bytes.first(where: { $0 > 9 }) {
            throw DatasetError.inconsistent("\(labels) has the label \(bad); expected digits 0 to 9")
        }
        let tensor = try Tensor(shape: [imageFile.dimensions[0], 28, 28, 1], scalars: imageFile.bytes.lazy.map { Float($0) / 255 })
        return Split(images: tensor, labels: labelFile.bytes.map(Int.init))
    }
}
