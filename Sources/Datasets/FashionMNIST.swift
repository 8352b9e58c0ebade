import Foundation

/// Fashion-MNIST (Xiao, Rasul, Vollgraf, Zalando Research, 2017), as
/// `keras.datasets.fashion_mnist` gives it: 60,000 training and 10,000 test images of 28×28
/// grey clothing articles in 10 classes, in MNIST's four-file format.
///
/// ```swift
/// let fashion = try FashionMNIST.load(from: FashionMNIST.locate())
/// fashion.train.images            // [60000, 28, 28, 1], Float32 in [0, 1]
/// FashionMNIST.classNames[9]      // "Ankle boot"
/// ```
///
/// ``locate(explicit:environment:)`` looks in the explicit folder, `FASHION_MNIST_DIR`,
/// `~/.cache/swift-layers/fashion-mnist`, then `/usr/share/datasets/fashion-mnist`, where
/// Debian's and Ubuntu's `dataset-fashion-mnist` package installs the files.
/// ``download(to:timeout:progress:)`` fetches them from Keras's mirror, then Zalando's,
/// checked against the official MD5 checksums.
public struct FashionMNIST: IDXImageDataset {
    /// Images and labels of one split.
    public typealias Split = LabeledImages

    public static let name = "fashion_mnist"
    public static let folderName = "fashion-mnist"
    public static let environmentVariable = "FASHION_MNIST_DIR"
    /// Debian's `dataset-fashion-mnist` package.
    public static let systemFolders = ["/usr/share/datasets/fashion-mnist"]
    /// The classes by label, as Fashion-MNIST's README and Keras's documentation name them.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    /// The shape of one image, `[28, 28, 1]`.
    public static let imageShape = [28, 28, 1]
    /// Keras's mirror (`keras.datasets.fashion_mnist`), then Zalando's.
    public static let mirrors = [
        URL(string: "https://storage.googleapis.com/tensorflow/tf-keras-datasets/")!,
        URL(string: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")!,
    ]
    /// The MD5 checksums Fashion-MNIST's README publishes for the gzip files.
    public static let checksums = [
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    ]

    /// The 60,000 training images.
    public let train: Split
    /// The 10,000 test images.
    public let test: Split

    public init(train: Split, test: Split) {
        self.train = train
        self.test = test
    }
}
