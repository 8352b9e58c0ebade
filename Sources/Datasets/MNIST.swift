import Foundation

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
/// A split keeps its images as the file's bytes and is a ``SampleSource`` (see
/// ``LabeledImages``). ``locate(explicit:environment:)`` looks in `--data-dir`-style explicit
/// folders, `MNIST_DIR` and `~/.cache/swift-layers/mnist`.
public struct MNIST: IDXImageDataset {
    /// Images and labels of one split.
    public typealias Split = LabeledImages

    public static let name = "mnist"
    public static let folderName = "mnist"
    public static let environmentVariable = "MNIST_DIR"
    public static let systemFolders: [String] = []
    /// The digits `0` to `9`.
    public static let classNames = (0...9).map(String.init)
    /// The shape of one image, `[28, 28, 1]`.
    public static let imageShape = [28, 28, 1]
    public static var mirrors: [URL] { MNISTDownloader.mirrors }
    public static var checksums: [String: String] { MNISTDownloader.checksums }

    /// The 60,000 training images.
    public let train: Split
    /// The 10,000 test images.
    public let test: Split

    public init(train: Split, test: Split) {
        self.train = train
        self.test = test
    }
}
