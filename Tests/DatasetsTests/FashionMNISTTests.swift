import Foundation
import Testing
import Datasets

/// A data set of the tests' own: three classes in MNIST's four files, its system folder set by each test.
private struct ScratchDataset: IDXImageDataset {
    nonisolated(unsafe) static var systemFolder = "/nonexistent"
    static let name = "scratch"
    static let folderName = "scratch"
    static let environmentVariable = "SCRATCH_DIR"
    static var systemFolders: [String] { [systemFolder] }
    static let classNames = ["a", "b", "c"]
    static let imageShape = [28, 28, 1]
    static let mirrors: [URL] = []
    static let checksums: [String: String] = [:]
    let train: LabeledImages
    let test: LabeledImages
}

/// Checks that `D.locate` tries, in order, an explicit folder, `D.environmentVariable`, the
/// cache folder, then `systemFolder` (a folder of `D.systemFolders`), and that its error names
/// each place when none holds the files; `write` puts the four files into a folder.
func checkLocateOrder<D: IDXImageDataset>(_ type: D.Type, systemFolder: URL?, write: (URL) throws -> Void) throws {
    let explicit = try temporaryFolder(), fromEnvironment = try temporaryFolder(), cache = try temporaryFolder()
    defer { for folder in [explicit, fromEnvironment, cache] { try? FileManager.default.removeItem(at: folder) } }
    let environment = [D.environmentVariable: fromEnvironment.path, "XDG_CACHE_HOME": cache.path]
    let error = #expect(throws: DatasetError.self) { try D.locate(explicit: explicit.path, environment: environment) }
    for place in [explicit.path, fromEnvironment.path, "swift-layers/\(D.folderName)"] + [systemFolder?.path].compactMap({ $0 }) {
        #expect("\(error!)".contains(place), "the error names \(place)")
    }
    if let systemFolder {
        try write(systemFolder)
        #expect(try D.locate(explicit: explicit.path, environment: environment).path == systemFolder.path)
    }
    let cached = cache.appendingPathComponent("swift-layers/\(D.folderName)")
    try FileManager.default.createDirectory(at: cached, withIntermediateDirectories: true)
    try write(cached)
    #expect(try D.locate(explicit: explicit.path, environment: environment).path == cached.path)
    try write(fromEnvironment)
    #expect(try D.locate(explicit: explicit.path, environment: environment).path == fromEnvironment.path)
    try write(explicit)
    #expect(try D.locate(explicit: explicit.path, environment: environment).path == explicit.path)
}

@Suite("Fashion-MNIST and other IDX data sets", .serialized)
struct FashionMNISTTests {
    /// Writes the four files of a small data set of 28×28 images with labels `0..<classes`.
    func writeFolder(_ folder: URL, count: Int = 4, classes: Int = 3) throws {
        let names = MNIST.fileNames
        try gzipped(idxBytes([count, 28, 28])).write(to: folder.appendingPathComponent(names.trainImages + ".gz"))
        try gzipped(idxBytes([count], data: (0..<count).map { UInt8($0 % classes) }))
            .write(to: folder.appendingPathComponent(names.trainLabels + ".gz"))
        try idxBytes([count, 28, 28]).write(to: folder.appendingPathComponent(names.testImages))
        try idxBytes([count], data: (0..<count).map { UInt8($0 % classes) }).write(to: folder.appendingPathComponent(names.testLabels))
    }

    @Test("locate tries the explicit folder, the environment variable, the cache, then the system folders")
    func locateOrder() throws {
        let system = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: system) }
        ScratchDataset.systemFolder = system.path
        try checkLocateOrder(ScratchDataset.self, systemFolder: system) { try writeFolder($0) }
    }

    @Test("a data set's labels are checked against its class count")
    func classCount() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeFolder(folder, count: 4, classes: 3)
        let loaded = try ScratchDataset.load(from: folder)
        #expect(loaded.train.oneHotLabels.shape == [4, 3] && loaded.train.labels == [0, 1, 2, 0])
        #expect(try loaded.train.batch(at: [2]).y.scalars == [0, 0, 1])
        try writeFolder(folder, count: 4, classes: 4)
        #expect(throws: DatasetError.inconsistent("train-labels-idx1-ubyte.gz has the label 3; expected 0 to 2 (3 classes)")) {
            try ScratchDataset.load(from: folder)
        }
    }

    @Test("any pair of IDX files loads: one channel or several, shapes and counts checked")
    func genericPair() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = folder.appendingPathComponent("images.idx"), labels = folder.appendingPathComponent("labels.idx")
        let pixels = (0..<(2 * 4 * 3 * 3)).map { UInt8($0) }
        try idxBytes([2, 4, 3, 3], data: pixels).write(to: images)
        try idxBytes([2], data: [1, 0]).write(to: labels)
        let split = try LabeledImages(imagesFile: images, labelsFile: labels, classCount: 2)
        #expect(split.imageShape == [4, 3, 3] && split.count == 2 && split.labels == [1, 0])
        #expect(split.images.shape == [2, 4, 3, 3] && split.images[1, 0, 0, 0] == 36.0 / 255)
        #expect(split.subset(1..<2).pixels == Array(pixels[36...]) && split.subset(1..<2).labels == [0])
        #expect(throws: DatasetError.inconsistent("images.idx: expected images of [count, 28, 28], found [2, 4, 3, 3]")) {
            try LabeledImages(imagesFile: images, labelsFile: labels, classCount: 2, expectedImageShape: [28, 28, 1])
        }
        try idxBytes([3], data: [0, 1, 1]).write(to: labels)
        #expect(throws: DatasetError.inconsistent("images.idx has 2 images but labels.idx has 3 labels")) {
            try LabeledImages(imagesFile: images, labelsFile: labels, classCount: 2)
        }
        try idxBytes([24]).write(to: images)
        #expect(throws: DatasetError.self) { try LabeledImages(imagesFile: images, labelsFile: labels, classCount: 2) }
        #expect(throws: DatasetError.inconsistent("3 labels need 9 pixels of images [1, 3, 1], found 8")) {
            try LabeledImages(pixels: Array(repeating: 0, count: 8), labels: [0, 0, 0], imageShape: [1, 3, 1], classCount: 1)
        }
    }

    static let debianFolder = FashionMNIST.systemFolders[0]
    static let hasDebianPackage = FileManager.default.fileExists(atPath: debianFolder + "/" + MNIST.fileNames.trainImages + ".gz")

    @Test("Fashion-MNIST from Debian's dataset-fashion-mnist: found, with Keras's counts, labels and class names",
          .enabled(if: hasDebianPackage, "Debian's dataset-fashion-mnist is not installed (scripts/setup installs it)"))
    func debianPackage() throws {
        let empty = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: empty) }
        let folder = try FashionMNIST.locate(environment: ["XDG_CACHE_HOME": empty.path])
        #expect(folder.path == Self.debianFolder)
        let fashion = try FashionMNIST.load(from: folder)
        #expect(fashion.train.images.shape == [60000, 28, 28, 1] && fashion.test.images.shape == [10000, 28, 28, 1])
        // keras.datasets.fashion_mnist.load_data(): y_train[:5] and y_test[:5].
        #expect(fashion.train.labels.prefix(5) == [9, 0, 0, 3, 0] && fashion.test.labels.prefix(5) == [9, 2, 1, 1, 6])
        #expect((0..<10).allSatisfy { label in fashion.train.labels.filter { $0 == label }.count == 6000 })
        #expect(FashionMNIST.classNames[fashion.train.labels[0]] == "Ankle boot" && FashionMNIST.classCount == 10)
        #expect(FashionMNIST.name == "fashion_mnist")
    }
}
