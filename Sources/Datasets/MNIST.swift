import Foundation
import Layers
import Tensor

/// The MNIST database of handwritten digits (LeCun, Cortes, Burges), as
/// `keras.datasets.mnist` gives it: 60,000 training and 10,000 test images.
///
/// ```swift
/// let mnist = try MNIST.load(from: MNIST.locate())
/// mnist.train.images   // [60000, 28, 28, 1], Float32 in [0, 1]
/// mnist.train.labels   // [Int], 0...9
/// try model.fit(mnist.train, batchSize: 128, validationSplit: 0.1)   // batches scaled from bytes
/// ```
///
/// A split keeps its images as the file's bytes (47 MB for the training images instead of
/// 188 MB as Float32) and is a ``SampleSource``: `fit` and `evaluate` read it a batch at a
/// time, scaled to `[0, 1]` with one-hot targets. ``Split/images`` makes the whole Float32
/// tensor when it is asked for.
public struct MNIST: Sendable {
    /// Images and labels of one split.
    public struct Split: Sendable {
        /// The images' pixels, 784 bytes per image (row by row, 0 is white paper, 255 ink).
        public let pixels: [UInt8]
        /// The digit of each image.
        public let labels: [Int]
        /// `[N, 28, 28, 1]`, pixel intensities scaled to `[0, 1]`; made from ``pixels`` on each
        /// access (4 bytes per pixel: keep it in a variable, or train on the split itself).
        public var images: Tensor { try! Tensor(gatheringRows: 0..<count, of: pixels, rowShape: MNIST.imageShape, scale: 1.0 / 255) }
        /// The labels one-hot encoded, `[N, 10]`.
        public var oneHotLabels: Tensor { try! Tensor.oneHot(labels, classes: 10) }
        /// The labels as a `[N]` tensor of class indices (for sparse losses).
        public var labelTensor: Tensor { Tensor(labels.map(Float.init)) }
        /// The number of samples.
        public var count: Int { labels.count }
    }

    /// The shape of one image, `[28, 28, 1]`.
    public static let imageShape = [28, 28, 1]

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
        return Split(pixels: imageFile.bytes, labels: labelFile.bytes.map(Int.init))
    }
}

extension MNIST.Split: SampleSource {
    /// The images at `indices` scaled to `[0, 1]`, `[n, 28, 28, 1]`, and their labels one-hot, `[n, 10]`.
    public func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
        (try Tensor(gatheringRows: indices, of: pixels, rowShape: MNIST.imageShape, scale: 1.0 / 255),
         try Tensor.oneHot(indices.map { labels[$0] }, classes: 10))
    }
}
