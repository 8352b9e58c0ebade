import Foundation
import Testing
import Datasets
import Tensor

/// IDX bytes for unsigned-byte data of `dimensions`.
func idxBytes(_ dimensions: [Int], data: [UInt8]? = nil, magic: [UInt8]? = nil) -> Data {
    var bytes: [UInt8] = magic ?? [0, 0, 0x08, UInt8(dimensions.count)]
    for dimension in dimensions {
        bytes += [UInt8(dimension >> 24 & 0xFF), UInt8(dimension >> 16 & 0xFF), UInt8(dimension >> 8 & 0xFF), UInt8(dimension & 0xFF)]
    }
    bytes += data ?? (0..<dimensions.reduce(1, *)).map { UInt8($0 % 256) }
    return Data(bytes)
}

/// `data` compressed by the system's gzip.
func gzipped(_ data: Data) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-c"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(data)
    try input.fileHandleForWriting.close()
    let result = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return result
}

func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

@Suite("IDX and gzip")
struct IDXTests {
    @Test func parsesAValidFile() throws {
        let file = try IDXFile(parsing: idxBytes([2, 3, 4]), path: "t")
        #expect(file.dimensions == [2, 3, 4])
        #expect(file.bytes == (0..<24).map(UInt8.init))
    }

    @Test("corrupt IDX files give errors that name the file and the problem")
    func corruptFiles() throws {
        func message(_ data: Data) -> String {
            do {
                _ = try IDXFile(parsing: data, path: "f.idx")
                return "parsed"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(Data([0, 0])) == "f.idx is not a valid IDX file: the file has 2 bytes, fewer than the 4-byte magic number")
        #expect(message(idxBytes([2, 2], magic: [0x1F, 0x8B, 8, 2])).contains("wrong magic number 0x1F8B0802"))
        #expect(message(idxBytes([2, 2], magic: [0, 0, 0x0D, 2])).contains("data type 0x0D is not supported"))
        #expect(message(idxBytes([2, 2], magic: [0, 0, 8, 9])).contains("9 dimensions"))
        #expect(message(idxBytes([60000, 28, 28], data: [1, 2, 3])).contains("needing more data than the 3 bytes"))
        #expect(message(idxBytes([2, 3], data: [1, 2, 3, 4, 5])) == "f.idx is not a valid IDX file: dimensions [2, 3] need 6 bytes of data, the file has 5")
        #expect(message(idxBytes([2, 3], data: [UInt8](repeating: 0, count: 7))).contains("need 6 bytes of data, the file has 7"))
        #expect(message(Data([0, 0, 8, 3, 0, 0])).contains("the header needs 16 bytes"))
        // A header that lies about huge dimensions is rejected before any allocation.
        #expect(message(idxBytes([0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF], data: [])).contains("needing more data"))
    }

    @Test("gzip: round trip, damaged, truncated and oversized streams")
    func gzip() throws {
        let raw = idxBytes([10, 5])
        let compressed = try gzipped(raw)
        #expect(Gzip.isCompressed(compressed) && !Gzip.isCompressed(raw))
        #expect(try Gzip.decompress(compressed, limit: 1000, path: "g") == raw)
        var damaged = compressed
        damaged[damaged.count / 2] ^= 0xFF
        damaged[damaged.count / 2 + 1] ^= 0xFF
        #expect(throws: DatasetError.self) { try Gzip.decompress(damaged, limit: 1000, path: "g") }
        let truncated = compressed.prefix(compressed.count - 10)
        #expect(throws: DatasetError.badCompression(path: "g", reason: "the stream is truncated")) {
            try Gzip.decompress(truncated, limit: 1000, path: "g")
        }
        #expect(throws: DatasetError.badCompression(path: "g", reason: "it inflates to more than 20 bytes")) {
            try Gzip.decompress(compressed, limit: 20, path: "g")
        }
    }

    @Test("files are read compressed or not; unreadable files are reported")
    func readsFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let raw = idxBytes([3, 4])
        try raw.write(to: folder.appendingPathComponent("plain"))
        try gzipped(raw).write(to: folder.appendingPathComponent("packed.gz"))
        #expect(try IDXFile(contentsOf: folder.appendingPathComponent("plain")).bytes == IDXFile(contentsOf: folder.appendingPathComponent("packed.gz")).bytes)
        #expect(throws: DatasetError.self) { try IDXFile(contentsOf: folder.appendingPathComponent("missing")) }
    }
}

@Suite("MNIST")
struct MNISTTests {
    /// Writes a small MNIST-like folder: `count` training and test images.
    func writeFolder(_ folder: URL, trainCount: Int = 5, testCount: Int = 3, labels: [UInt8]? = nil, compress: Bool = true) throws {
        let names = MNIST.fileNames
        func write(_ name: String, _ data: Data) throws {
            try (compress ? gzipped(data) : data).write(to: folder.appendingPathComponent(compress ? name + ".gz" : name))
        }
        try write(names.trainImages, idxBytes([trainCount, 28, 28]))
        try write(names.trainLabels, idxBytes([trainCount], data: labels ?? (0..<trainCount).map { UInt8($0 % 10) }))
        try write(names.testImages, idxBytes([testCount, 28, 28]))
        try write(names.testLabels, idxBytes([testCount], data: (0..<testCount).map { UInt8($0 % 10) }))
    }

    @Test("loads, scales to [0, 1] and shapes [N, 28, 28, 1]")
    func loadsSmallFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeFolder(folder, compress: false)
        let mnist = try MNIST.load(from: folder)
        #expect(mnist.train.images.shape == [5, 28, 28, 1] && mnist.test.count == 3)
        #expect(try mnist.train.images.max() <= 1 && mnist.train.images.min() >= 0)
        #expect(mnist.train.images[0, 0, 1, 0] == 1.0 / 255)
        #expect(mnist.train.oneHotLabels.shape == [5, 10] && mnist.train.labels == [0, 1, 2, 3, 4])
        // As a SampleSource: the images asked for, scaled from the bytes, with one-hot labels.
        let (x, y) = try mnist.train.batch(at: [3, 1])
        #expect(x == (try mnist.train.images.gathering(batch: [3, 1])))
        #expect(y == (try mnist.train.oneHotLabels.gathering(batch: [3, 1])))
        #expect(mnist.train.pixels.count == 5 * 784)
    }

    @Test("files that disagree are reported")
    func inconsistentFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeFolder(folder, labels: [1, 2, 3, 4, 12])
        #expect(throws: DatasetError.inconsistent("train-labels-idx1-ubyte.gz has the label 12; expected 0 to 9 (10 classes)")) {
            try MNIST.load(from: folder)
        }
        try idxBytes([4]).write(to: folder.appendingPathComponent(MNIST.fileNames.trainLabels + ".gz"))
        #expect(throws: DatasetError.inconsistent("train-images-idx3-ubyte.gz has 5 images but train-labels-idx1-ubyte.gz has 4 labels")) {
            try MNIST.load(from: folder)
        }
    }

    @Test("locate tries the explicit folder, MNIST_DIR, then the cache, and says where it looked")
    func locateOrder() throws {
        #expect(MNIST.environmentVariable == "MNIST_DIR" && MNIST.folderName == "mnist" && MNIST.systemFolders.isEmpty)
        try checkLocateOrder(MNIST.self, systemFolder: nil) { try writeFolder($0) }
    }

    static let realFolder = try? MNIST.locate()

    @Test("the real MNIST files load with the official counts",
          .enabled(if: realFolder != nil, "MNIST is not available (set MNIST_DIR to a folder with the four IDX files)"))
    func realFiles() throws {
        let mnist = try MNIST.load(from: try #require(Self.realFolder))
        #expect(mnist.train.images.shape == [60000, 28, 28, 1] && mnist.test.images.shape == [10000, 28, 28, 1])
        #expect(mnist.train.labels.prefix(8) == [5, 0, 4, 1, 9, 2, 1, 3])
        #expect(mnist.test.labels.prefix(5) == [7, 2, 1, 0, 4])
        #expect(Set(mnist.test.labels) == Set(0...9))
    }
}
