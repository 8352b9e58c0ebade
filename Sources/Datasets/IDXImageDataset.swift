import Foundation

/// An image-classification data set shipped as MNIST ships: four IDX files (training and test
/// images and labels, each `.gz` or not) in one folder. ``MNIST`` and ``FashionMNIST`` are
/// such sets; a conforming type says where its files are and what its classes are called, and
/// gets ``locate(explicit:environment:)``, ``load(from:)`` and ``download(to:timeout:progress:)``.
public protocol IDXImageDataset: Sendable {
    /// The data set's name, as Keras's `keras.datasets` module names it (`mnist`, `fashion_mnist`).
    static var name: String { get }
    /// The folder under the user's cache folder (`~/.cache/swift-layers/<folderName>`).
    static var folderName: String { get }
    /// The environment variable naming a folder with the files (`MNIST_DIR`).
    static var environmentVariable: String { get }
    /// Folders a system package installs the files into, searched after the cache folder.
    static var systemFolders: [String] { get }
    /// The name of each class, by label.
    static var classNames: [String] { get }
    /// The shape of one image, `[rows, columns, channels]`.
    static var imageShape: [Int] { get }
    /// The official mirrors, tried in order.
    static var mirrors: [URL] { get }
    /// The official MD5 checksum of each gzip file.
    static var checksums: [String: String] { get }

    /// The training split.
    var train: LabeledImages { get }
    /// The test split.
    var test: LabeledImages { get }
    /// The data set from its two splits.
    init(train: LabeledImages, test: LabeledImages)
}

extension IDXImageDataset {
    /// The file names of the four IDX files (each may also end in `.gz`).
    public static var fileNames: (trainImages: String, trainLabels: String, testImages: String, testLabels: String) {
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    }

    /// The number of classes.
    public static var classCount: Int { classNames.count }

    /// The folder to read the data set from, in order: `explicit`, the folder the
    /// ``environmentVariable`` names, the user's cache folder (``cacheFolder(environment:)``),
    /// then the ``systemFolders``; the first that holds the four files.
    /// - Throws: ``DatasetError/missingFile(folder:expected:)`` naming every place tried and
    ///   the files expected there.
    public static func locate(
        explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> URL {
        var candidates: [URL] = []
        if let explicit { candidates.append(URL(fileURLWithPath: explicit)) }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            candidates.append(URL(fileURLWithPath: fromEnvironment))
        }
        candidates.append(cacheFolder(environment: environment))
        candidates += systemFolders.map { URL(fileURLWithPath: $0) }
        for folder in candidates where hasAllFiles(in: folder) { return folder }
        throw DatasetError.missingFile(
            folder: candidates.map(\.path).joined(separator: ", "), expected: allFileNames.map { $0 + "[.gz]" })
    }

    /// The per-user cache folder: `$XDG_CACHE_HOME/swift-layers/<folderName>`, or
    /// `~/.cache/swift-layers/<folderName>`.
    public static func cacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSTemporaryDirectory()).appendingPathComponent(".cache")
        return base.appendingPathComponent("swift-layers").appendingPathComponent(folderName)
    }

    /// Loads the four files from `folder`, checking their dimensions, labels and that they agree.
    /// - Throws: ``DatasetError`` naming the file and what is wrong.
    public static func load(from folder: URL) throws -> Self {
        func split(_ images: String, _ labels: String) throws -> LabeledImages {
            try LabeledImages(imagesFile: try file(images, in: folder), labelsFile: try file(labels, in: folder),
                              classCount: classCount, expectedImageShape: imageShape)
        }
        return Self(train: try split(fileNames.trainImages, fileNames.trainLabels),
                    test: try split(fileNames.testImages, fileNames.testLabels))
    }

    /// Downloads every file missing from `folder` from the official ``mirrors`` and checks it
    /// against its official checksum (see ``MNISTDownloader/download(to:mirrors:checksums:timeout:progress:)``).
    public static func download(to folder: URL, timeout: TimeInterval = 60, progress: (String) -> Void = { print($0) }) throws {
        try MNISTDownloader.download(to: folder, mirrors: mirrors, checksums: checksums, timeout: timeout, progress: progress)
    }

    private static var allFileNames: [String] {
        [fileNames.trainImages, fileNames.trainLabels, fileNames.testImages, fileNames.testLabels]
    }

    private static func hasAllFiles(in folder: URL) -> Bool {
        allFileNames.allSatisfy { (try? file($0, in: folder)) != nil }
    }

    /// `name.gz` or `name` in `folder`.
    private static func file(_ name: String, in folder: URL) throws -> URL {
        for candidate in [name + ".gz", name] {
            let url = folder.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DatasetError.missingFile(folder: folder.path, expected: [name + ".gz", name])
    }
}
