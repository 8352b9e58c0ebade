import Foundation
import Testing
@testable import Layers
import Tensor

/// The README's forward-only `Scale` (CustomLayerTests), made saveable.
extension Scale: SerializableLayer {
    struct Configuration: Codable {}
    var configuration: Configuration { Configuration() }
    init(configuration: Configuration) {}
}

/// A fresh temporary folder, removed afterwards.
func withTemporaryFolder<R>(_ body: (URL) throws -> R) throws -> R {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swift-layers-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder)
}

/// `model` saved to a temporary file and loaded again, with the file's `format_version`.
func savedAndLoaded(_ model: Model) throws -> (formatVersion: String?, loaded: Model) {
    try withTemporaryFolder { folder in
        let path = folder.appendingPathComponent("model.safetensors").path
        try model.save(to: path)
        let file = try SafeTensors.decode(try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        return (file.metadata["format_version"], try Model.load(from: path))
    }
}

@Suite("Saving and loading", .serialized)
struct PersistenceTests {
    let images = randomTensor([6, 28, 28, 1], seed: 3).map { abs($0) }

    func trainedReferenceCNN() throws -> Sequential {
        let model = referenceCNN(seed: 5, augmentation: true)
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        try model.trainOnBatch(x: images, y: Tensor.oneHot([0, 1, 2, 3, 4, 5], classes: 10))
        return model
    }

    @Test("predictions are bit-equal after a round trip, optimizer and state included")
    func roundTrip() throws {
        try withTemporaryFolder { folder in
            let model = try trainedReferenceCNN()
            let path = folder.appendingPathComponent("model.safetensors").path
            try model.save(to: path)
            let loaded = try Model.load(from: path)
            #expect(try loaded.predict(images) == model.predict(images))
            #expect(loaded.weights == model.weights)
            #expect(try loaded.summary() == model.summary())
            #expect(loaded.step == 1 && loaded.loss == .categoricalCrossentropy && loaded.metrics == [.accuracy])
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"], "no temporary file left")
        }
    }

    @Test("BatchNormalization's moving statistics and a custom layer survive the round trip")
    func batchNormalizationAndCustomLayer() throws {
        LayerRegistry.register(Scale.self)
        try withTemporaryFolder { folder in
            let model = Sequential(seed: 2) {
                Input(shape: [4])
                Dense(units: 6, activation: .elu(alpha: 0.5), kernelRegularizer: .l2(1e-3))
                BatchNormalization(momentum: 0.9)
                Scale()
                LeakyReLU(alpha: 0.2)
                Dense(units: 2, activation: .softmax)
            }
            try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), loss: .sparseCategoricalCrossentropy)
            let x = randomTensor([16, 4], seed: 4)
            try model.fit(x: x, y: Tensor(shape: [16], scalars: (0..<16).map { Float($0 % 2) }), batchSize: 4, epochs: 2, verbose: .silent)
            let path = folder.appendingPathComponent("custom.safetensors").path
            try model.save(to: path)
            let loaded = try Model.load(from: path)
            #expect(try loaded.predict(x) == model.predict(x))
            #expect(loaded.layers[2].parameters.map(\.name) == ["gamma", "beta", "moving_mean", "moving_variance"])
            #expect(loaded.layers[2].parameters[2].value == model.layers[2].parameters[2].value)
        }
    }

    @Test("3 epochs, save, load, 3 more epochs give the weights of 6 epochs straight, bit for bit")
    func resumeIsExact() throws {
        let (x, labels) = SyntheticData.blobs(samples: 96, classes: 3, seed: 8)
        let y = try Tensor.oneHot(labels, classes: 3)
        func makeModel() throws -> Sequential {
            let model = Sequential(seed: 21) {
                Input(shape: [2])
                Dense(units: 12, activation: .relu)
                Dropout(rate: 0.25)
                Dense(units: 3, activation: .softmax)
            }
            try model.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossentropy, metrics: [.accuracy])
            return model
        }
        let straight = try makeModel()
        let straightHistory = try straight.fit(x: x, y: y, batchSize: 16, epochs: 6, validationSplit: 0.25, verbose: .silent)

        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("checkpoint.safetensors").path
            let first = try makeModel()
            try first.fit(x: x, y: y, batchSize: 16, epochs: 3, validationSplit: 0.25,
                          callbacks: [ModelCheckpoint(path: path)], verbose: .silent)
            let resumed = try Model.load(from: path)
            #expect(resumed.epochsCompleted == 3)
            let resumedHistory = try resumed.fit(x: x, y: y, batchSize: 16, epochs: 6, validationSplit: 0.25, initialEpoch: 3, verbose: .silent)
            #expect(resumed.weights == straight.weights)
            #expect(resumedHistory[.valLoss] == Array(straightHistory[.valLoss].suffix(3)))
        }
    }

    @Test("ModelCheckpoint with saveBestOnly writes only improvements; {epoch} names files")
    func checkpointBestOnly() throws {
        try withTemporaryFolder { folder in
            let model = Sequential(seed: 1) { Input(shape: [1]); Dense(units: 1) }
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
            let checkpoint = ModelCheckpoint(path: folder.appendingPathComponent("m-{epoch}.safetensors").path, saveBestOnly: true)
            try checkpoint.onTrainBegin(model: model)
            for (epoch, loss) in [Float(1), 0.5, 0.7, 0.4].enumerated() {
                try checkpoint.onEpochEnd(epoch, logs: [.valLoss: loss], model: model)
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            #expect(files == ["m-1.safetensors", "m-2.safetensors", "m-4.safetensors"])
            #expect(checkpoint.best == 0.4)
        }
    }

    @Test("a failed save leaves the previous file intact and no temporary file")
    func failedSaveKeepsOldFile() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("model.safetensors").path
            let model = try trainedReferenceCNN()
            try model.save(to: path)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            struct DiskFull: Error {}
            #expect(throws: ModelFileError.self) {
                try AtomicFile.write(Data("new content".utf8), to: path) { throw DiskFull() }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
            let missingFolder = folder.appendingPathComponent("no/such/folder/model.safetensors").path
            let error = #expect(throws: ModelFileError.self) { try model.save(to: missingFolder) }
            #expect(error?.description.contains("does not exist") == true)
        }
    }

    // MARK: Bad files

    /// A valid file's bytes, and its header as a mutable JSON object.
    func validFile() throws -> (data: Data, header: [String: Any], payload: Data) {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("m.safetensors").path
            try trainedReferenceCNN().save(to: path)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let length = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as! [String: Any]
            return (data, header, data.subdata(in: 8 + length..<data.count))
        }
    }

    /// A file made of a header (re-encoded) and a payload.
    func file(header: [String: Any], payload: Data) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: header)
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        return data + json + payload
    }

    /// Loads `bytes` from a file; returns the error's description.
    func loadError(_ bytes: Data) throws -> String {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("bad.safetensors").path
            try bytes.write(to: URL(fileURLWithPath: path))
            do {
                _ = try Model.load(from: path)
                return "loaded"
            } catch let error as ModelFileError {
                return error.description.replacingOccurrences(of: path, with: "FILE")
            }
        }
    }

    func editing(_ header: [String: Any], _ key: String, _ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var header = header
        var entry = header[key] as! [String: Any]
        edit(&entry)
        header[key] = entry
        return header
    }

    func editingModel(_ header: [String: Any], _ edit: (inout [String: Any]) -> Void) throws -> [String: Any] {
        var header = header
        var metadata = header["__metadata__"] as! [String: String]
        var model = try JSONSerialization.jsonObject(with: Data(metadata["model"]!.utf8)) as! [String: Any]
        edit(&model)
        metadata["model"] = String(decoding: try JSONSerialization.data(withJSONObject: model), as: UTF8.self)
        header["__metadata__"] = metadata
        return header
    }

    @Test("every kind of bad file gives a typed error that says what is wrong")
    func badFiles() throws {
        let (data, header, payload) = try validFile()
        #expect(try loadError(data) == "loaded")
        #expect(try loadError(Data()) == "FILE is not a valid model file: the file has 0 bytes; it must start with an 8-byte header length")
        #expect(try loadError(data.prefix(40)).contains("runs past the end of the file"))
        #expect(try loadError(data.prefix(data.count / 2)).contains("data_offsets outside"))
        var longHeader = data
        longHeader.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(try loadError(longHeader).contains("header length 4294967295 runs past the end"))
        #expect(try loadError(data.prefix(data.count - 4)).contains("data_offsets outside"))
        var garbage = data
        garbage.replaceSubrange(8..<12, with: Array("{{{{".utf8))
        #expect(try loadError(garbage).contains("the header is not a JSON object"))

        let overlapping = editing(header, "conv2d/bias") { $0["data_offsets"] = [0, 128] }
        #expect(try loadError(file(header: overlapping, payload: payload)).contains("overlap"))
        let pastEnd = editing(header, "dense/bias") { $0["data_offsets"] = [payload.count - 8, payload.count + 32] }
        #expect(try loadError(file(header: pastEnd, payload: payload)).contains("data_offsets outside"))
        let halfPrecision = editing(header, "dense/bias") { $0["dtype"] = "F16" }
        #expect(try loadError(file(header: halfPrecision, payload: payload)) == "FILE is not a valid model file: tensor 'dense/bias' has dtype F16; expected F32")
        let hugeShape = editing(header, "dense/bias") { $0["shape"] = [1 << 40, 1 << 40] }
        #expect(try loadError(file(header: hugeShape, payload: payload)).contains("has no valid shape"))
        let wrongShape = editing(header, "dense/bias") { $0["shape"] = [5, 2] }
        #expect(try loadError(file(header: wrongShape, payload: payload)) == "FILE: the weights do not fit the architecture: 'dense/bias' must have shape [10], the file has [5, 2]")
        var missing = header
        missing["dense/bias"] = nil
        #expect(try loadError(file(header: missing, payload: payload)).contains("the tensor 'dense/bias' is missing"))

        let unknownType = try editingModel(header) { model in
            var layers = model["layers"] as! [[String: Any]]
            layers[3]["type"] = "Conv3D"
            model["layers"] = layers
        }
        #expect(try loadError(file(header: unknownType, payload: payload)).contains("unknown layer type 'Conv3D'; register it with LayerRegistry.register(Conv3D.self)"))
        let badConfiguration = try editingModel(header) { model in
            var layers = model["layers"] as! [[String: Any]]
            layers[2]["configuration"] = ["filters": "many"]  // layers: input, random_rotation, conv2d, ...
            model["layers"] = layers
        }
        let message = try loadError(file(header: badConfiguration, payload: payload))
        #expect(message.contains("the configuration of a Conv2D layer is invalid"), "\(message)")
        let hugeLayer = try editingModel(header) { model in
            var layers = model["layers"] as! [[String: Any]]
            var configuration = layers[layers.count - 1]["configuration"] as! [String: Any]
            configuration["units"] = 20_000_000  // a 128 GB kernel, if it were allocated
            layers[layers.count - 1]["configuration"] = configuration
            model["layers"] = layers
        }
        #expect(try loadError(file(header: hugeLayer, payload: payload)).contains("more than the file holds"))
        let hugeInput = try editingModel(header) { model in
            var layers = model["layers"] as! [[String: Any]]
            layers[0]["configuration"] = ["shape": [1 << 40, 1 << 40, 1]]
            model["inputShape"] = [1 << 40, 1 << 40, 1]
            model["layers"] = layers
        }
        #expect(try loadError(file(header: hugeInput, payload: payload)).contains("at most 2³¹ elements per sample"))
        var newer = header
        var metadata = header["__metadata__"] as! [String: String]
        metadata["format_version"] = "5"
        newer["__metadata__"] = metadata
        #expect(try loadError(file(header: newer, payload: payload)) == "FILE uses model format version 5, but this library reads versions up to 4; update SwiftLayers")
        metadata["model"] = "{not json"
        metadata["format_version"] = "2"
        newer["__metadata__"] = metadata
        #expect(try loadError(file(header: newer, payload: payload)).contains("invalid architecture"))
        var foreign = header
        foreign["__metadata__"] = ["format": "pt"]
        #expect(try loadError(file(header: foreign, payload: payload)).contains("no 'swift-layers-model' format metadata"))

        let missingFile = try withTemporaryFolder { folder in
            #expect(throws: ModelFileError.self) { try Model.load(from: folder.appendingPathComponent("none").path) }
        }
        _ = missingFile
    }

    /// A small model with every kind of layer state (convolution, batch normalisation, an
    /// augmentation layer's configuration, Adam's moments), so that 10,000 mutants load fast.
    func smallTrainedModel() throws -> Sequential {
        let model = Sequential(seed: 8) {
            Input(shape: [6, 6, 1])
            RandomZoom(heightFactor: 0.1)
            Conv2D(filters: 2, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Flatten()
            BatchNormalization()
            Dropout(rate: 0.2)
            Dense(units: 3, activation: .softmax)
        }
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        try model.trainOnBatch(x: randomTensor([4, 6, 6, 1], seed: 1), y: Tensor.oneHot([0, 1, 2, 0], classes: 3))
        return model
    }

    /// The bytes of ``smallTrainedModel()`` saved.
    func smallModelFile() throws -> Data {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("small.model").path
            try smallTrainedModel().save(to: path)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
    }

    @Test("a NaN weight and a negative moving variance are rejected, naming the tensor")
    func impossibleValues() throws {
        let data = try smallModelFile()
        let length = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as! [String: Any]
        func replacingFirstScalar(of tensor: String, with value: Float) -> Data {
            let offsets = (header[tensor] as! [String: Any])["data_offsets"] as! [Int]
            var bytes = data
            let start = 8 + length + offsets[0]
            bytes.replaceSubrange(start..<start + 4, with: withUnsafeBytes(of: value.bitPattern.littleEndian) { Data($0) })
            return bytes
        }
        #expect(try loadError(replacingFirstScalar(of: "dense/kernel", with: .nan)).contains("'dense/kernel' holds nan at index 0"))
        #expect(try loadError(replacingFirstScalar(of: "optimizer/m", with: -.infinity)).contains("'optimizer/m' holds -inf"))
        #expect(try loadError(replacingFirstScalar(of: "batch_normalization/moving_variance", with: -0.5))
            .contains("'batch_normalization/moving_variance' must not be negative, the file has -0.5 at index 0"))
    }

    @Test("seeded mutation: 10,000 flipped or truncated files load and predict finite numbers, or throw ModelFileError")
    func mutationFuzz() throws {
        let data = try smallModelFile()
        let payloadStart = 8 + Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let x = randomTensor([2, 6, 6, 1], seed: 3)
        var generator = RandomGenerator(seed: 2024)
        var outcomes = (loaded: 0, rejected: 0)
        let mutants = 10_000
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("fuzz.model").path
            for round in 0..<mutants {
                var bytes = data
                if round % 4 == 0 {
                    bytes = bytes.prefix(Int(generator.next() % UInt64(bytes.count)))
                } else {
                    // Flip 1-8 bytes: in the header (the structure), anywhere, or in the tensors' data.
                    let range = [0..<payloadStart, 0..<bytes.count, payloadStart..<bytes.count][round % 4 - 1]
                    for _ in 0..<(1 + Int(generator.next() % 8)) {
                        let index = range.lowerBound + Int(generator.next() % UInt64(range.count))
                        bytes[index] ^= UInt8(truncatingIfNeeded: 1 + generator.next() % 255)
                    }
                }
                try bytes.write(to: URL(fileURLWithPath: path))
                let model: Model
                do {
                    model = try Model.load(from: path)
                } catch is ModelFileError {
                    outcomes.rejected += 1
                    continue
                }
                // Whatever loaded must work: predict shaped outputs, finite unless a flipped
                // exponent made a weight so large that the products overflow (the original
                // weights are all below 10 in magnitude).
                let prediction = try model.predict(x)
                #expect(prediction.shape.first == 2, "round \(round)")
                if prediction.firstNonFinite != nil {
                    let largest = model.weights.map { $0.abs().scalars.max() ?? 0 }.max() ?? 0
                    #expect(largest > 1e6, "round \(round): non-finite predictions from weights no larger than \(largest)")
                }
                outcomes.loaded += 1
            }
        }
        #expect(outcomes.loaded + outcomes.rejected == mutants)
        #expect(outcomes.rejected > mutants / 4 && outcomes.loaded > mutants / 20, "\(outcomes)")
    }

    @Test("numpy reads the weights (skipped without python3 and numpy)",
          .enabled(if: PythonProbe.hasNumpy, "python3 with numpy is not installed"))
    func numpyReadsWeights() throws {
        try withTemporaryFolder { folder in
            let model = try trainedReferenceCNN()
            let path = folder.appendingPathComponent("model.safetensors").path
            try model.save(to: path)
            let script = """
            import json, struct, sys, numpy as np
            with open(sys.argv[1], "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(n))
                data = f.read()
            entry = header["conv2d_1/kernel"]
            begin, end = entry["data_offsets"]
            kernel = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
            print(kernel.shape, repr(float(kernel[2, 1, 31, 63])), repr(float(kernel.sum(dtype=np.float64))))
            """
            let output = try PythonProbe.run(script, arguments: [path])
            let kernel = model.layers.first { $0.name == "conv2d_1" }!.parameters[0].value
            let sum = kernel.scalars.reduce(0.0) { $0 + Double($1) }
            #expect(output.hasPrefix("(3, 3, 32, 64) \(Double(kernel[2, 1, 31, 63])) "), "\(output)")
            let pythonSum = Double(output.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines))!
            #expect(abs(pythonSum - sum) < 1e-9 * max(1, abs(sum)))
        }
    }
}

/// Runs python3 for the interoperability test.
enum PythonProbe {
    static let hasNumpy: Bool = (try? run("import numpy")) != nil

    static func run(_ script: String, arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Failed: Error {}
        guard process.terminationStatus == 0 else { throw Failed() }
        return String(decoding: output, as: UTF8.self)
    }
}
