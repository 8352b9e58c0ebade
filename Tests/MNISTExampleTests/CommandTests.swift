import ArgumentParser
import Datasets
import Foundation
import Layers
import MNISTServer
import MNISTTestSupport
import Tensor
import Testing
@testable import MNISTExample

@Suite("mnist recipes")
struct RecipeTests {
    @Test("each recipe builds a 10-class model and takes a finite training step", arguments: Recipe.allCases)
    func buildsAndTrains(recipe: Recipe) throws {
        let model = try recipe.makeModel(seed: 1, augment: true)
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        #expect(model.outputShape == [10])
        var generator = RandomGenerator(seed: 2)
        let x = try Tensor.uniform([8, 28, 28, 1], using: &generator)
        let y = try Tensor.oneHot((0..<8).map { $0 % 10 }, classes: 10)
        let logs = try model.trainOnBatch(x: x, y: y)
        #expect(logs[.loss].map(\.isFinite) == true)
        #expect(Recipe(modelName: model.name) == recipe)
    }

    @Test("the weight counts are those of the README")
    func parameterCounts() throws {
        #expect(try Recipe.reference.makeModel(seed: 1, augment: false).parameterCountAfterBuild == 34_826)
        #expect(try Recipe.best.makeModel(seed: 1, augment: false).parameterCountAfterBuild == 326_826)
        #expect(try Recipe.resnet.makeModel(seed: 1, augment: false).parameterCountAfterBuild == 196_266)
        #expect(try Recipe.lstm.makeModel(seed: 1, augment: false).parameterCountAfterBuild == 147_722)
    }

    @Test("a model name that no recipe made has no recipe")
    func unknownNames() {
        #expect(Recipe(modelName: "sequential") == nil)
        #expect(Recipe(modelName: "mnist_fancy") == nil)
    }
}

@Suite("mnist command line")
struct CommandLineTests {
    /// The message the command prints for these arguments, or nil when they parse.
    func parseError(_ arguments: [String]) -> String? {
        do {
            _ = try MNISTCommand.parseAsRoot(arguments)
            return nil
        } catch {
            return MNISTCommand.message(for: error)
        }
    }

    @Test("bad flags are reported with what was expected and what was found", arguments: [
        (["train", "--epochs", "0"], "--epochs must be positive, found 0"),
        (["train", "--batch-size=-3"], "--batch-size must be positive, found -3"),
        (["train", "--validation-split", "1"], "--validation-split must be in [0, 1), found 1.0"),
        (["train", "--threads", "0"], "--threads must be at least 1, found 0"),
        (["train", "--recipe", "fancy"], "'fancy'"),
        (["train", "--epochs", "ten"], "'ten'"),
        (["train", "--dataset", "cifar"], "'cifar'"),
        (["predict", "--model", "m.safetensors"], "Missing expected argument '<images> ...'"),
        (["serve", "--model", "m.safetensors", "--port", "70000"], "--port must be between 0 and 65535, found 70000"),
        (["serve", "--model", "m.safetensors", "--threads", "0"], "--threads must be at least 1, found 0"),
        (["serve"], "Missing expected argument '--model <model>'"),
        (["serve", "--model", "m.safetensors", "--max-connections", "0"], "--max-connections must be at least 1, found 0"),
        (["serve", "--model", "m.safetensors", "--idle-timeout", "0"], "--idle-timeout must be a positive number of seconds, found 0.0"),
        (["serve", "--model", "m.safetensors", "--prediction-queue=-1"], "--prediction-queue must be at least 0, found -1"),
        (["serve", "--model", "m.safetensors", "--max-in-flight-bytes", "1000"],
         "--max-in-flight-bytes (1000) must be at least --max-body-bytes (5242880)"),
        (["export", "--model", "m.safetensors"], "Missing expected argument '--onnx <onnx>'"),
    ])
    func badFlags(arguments: [String], expected: String) throws {
        let message = try #require(parseError(arguments))
        #expect(message.contains(expected), "\(message)")
    }

    @Test("good flags parse; train is the default subcommand")
    func goodFlags() throws {
        #expect(parseError(["--recipe", "best", "--epochs", "2", "--no-augment"]) == nil)
        let command = try MNISTCommand.parseAsRoot(["--recipe", "best"])
        let train = try #require(command as? MNISTCommand.Train)
        #expect(train.recipe == .best && train.epochs == nil && train.augment)
    }

    @Test("resuming runs to the recipe's default last epoch and refuses a finished run")
    func resumeEpochs() throws {
        let model = try Recipe.reference.makeModel(seed: 1, augment: false)
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy)
        var generator = RandomGenerator(seed: 2)
        let x = try Tensor.uniform([16, 28, 28, 1], using: &generator)
        let y = try Tensor.oneHot((0..<16).map { $0 % 10 }, classes: 10)
        try model.fit(x: x, y: y, batchSize: 8, epochs: 2, verbose: .silent)

        let defaults = try #require(try MNISTCommand.parseAsRoot(["train", "--recipe", "best"]) as? MNISTCommand.Train)
        #expect(try defaults.epochsToRun(resuming: model, from: "checkpoint") == Recipe.reference.defaultEpochs)
        let more = try #require(try MNISTCommand.parseAsRoot(["train", "--epochs", "3"]) as? MNISTCommand.Train)
        #expect(try more.epochsToRun(resuming: model, from: "checkpoint") == 3)
        let finished = try #require(try MNISTCommand.parseAsRoot(["train", "--epochs", "2"]) as? MNISTCommand.Train)
        #expect {
            try finished.epochsToRun(resuming: model, from: "checkpoint")
        } throws: { error in
            "\(error)" == "checkpoint has completed 2 epochs already; pass --epochs with a larger total"
        }
    }
}

@Suite("mnist train --dataset fashion", .serialized)
struct FashionDatasetCommandTests {
    /// An uncompressed IDX file of unsigned bytes.
    func idx(_ dimensions: [Int], _ bytes: [UInt8]) -> Data {
        var data = Data([0, 0, 8, UInt8(dimensions.count)])
        for dimension in dimensions { withUnsafeBytes(of: UInt32(dimension).bigEndian) { data.append(contentsOf: $0) } }
        return data + bytes
    }

    @Test("--dataset fashion parses, and its output folder defaults to fashion-mnist-output")
    func parses() throws {
        let train = try #require(try MNISTCommand.parseAsRoot(["train", "--dataset", "fashion"]) as? MNISTCommand.Train)
        #expect(train.data.dataset == .fashion && train.output == nil && train.data.dataset.outputFolder == "fashion-mnist-output")
        let mnist = try #require(try MNISTCommand.parseAsRoot(["train"]) as? MNISTCommand.Train)
        #expect(mnist.data.dataset == .mnist && mnist.data.dataset.outputFolder == "mnist-output")
    }

    @Test("train --dataset fashion trains, saves and reports with Fashion-MNIST's class names")
    func trainsAndReports() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fashion-\(UUID().uuidString)")
        let output = data.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        var generator = RandomGenerator(seed: 7)
        func pixels(_ count: Int) -> [UInt8] { (0..<(count * 784)).map { _ in UInt8(generator.next() >> 56) } }
        let names = FashionMNIST.fileNames
        try idx([40, 28, 28], pixels(40)).write(to: data.appendingPathComponent(names.trainImages))
        try idx([40], (0..<40).map { UInt8($0 % 10) }).write(to: data.appendingPathComponent(names.trainLabels))
        try idx([20, 28, 28], pixels(20)).write(to: data.appendingPathComponent(names.testImages))
        try idx([20], (0..<20).map { UInt8(9 - $0 % 10) }).write(to: data.appendingPathComponent(names.testLabels))

        var train = try #require(try MNISTCommand.parseAsRoot([
            "train", "--dataset", "fashion", "--data-dir", data.path, "--no-download", "--epochs", "1",
            "--batch-size", "20", "--output", output.path,
        ]) as? MNISTCommand.Train)
        try train.run()
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("model.safetensors").path))
        let text = try String(contentsOf: output.appendingPathComponent("test-report.txt"), encoding: .utf8)
        #expect(text.contains(" 9 Ankle boot ") && text.contains(" 0 T-shirt/top "), "\(text)")
        let html = try String(contentsOf: output.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<title>Fashion-MNIST — training report</title>") && html.contains(" of 20 images)"))
        let heatMap = try String(contentsOf: output.appendingPathComponent("confusion-matrix.svg"), encoding: .utf8)
        #expect(heatMap.contains("9 Ankle boot"))
    }
}

extension Model {
    /// The total weight count once built for MNIST images.
    var parameterCountAfterBuild: Int? {
        try? build(inputShape: [28, 28, 1])
        return isBuilt ? parameterCount.total : nil
    }
}

@Suite("mnist predict on photos", .serialized)
struct PredictPhotoTests {
    @Test("a phone-style JPEG photo of a written digit, rotated by its EXIF orientation, is classified correctly",
          .enabled(if: TrainedDigitModel.mnistFolder != nil, "MNIST is not available (set MNIST_DIR to a folder with the four IDX files)"))
    func photo() throws {
        let (model, mnist) = try TrainedDigitModel.shared()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let modelPath = folder.appendingPathComponent("model.safetensors").path
        try model.save(to: modelPath)
        let command = try #require(try MNISTCommand.parseAsRoot(["predict", "--model", modelPath, "--save-preprocessed", "x"])
            as? MNISTCommand.Predict)
        let classifier = try DigitClassifier(contentsOf: modelPath)
        for index in [0, 1, 2, 3, 4] {  // test digits 7, 2, 1, 0, 4
            let digit = mnist.test.pixels[index * 784..<(index + 1) * 784].map { Float($0) / 255 }
            let path = folder.appendingPathComponent("photo-\(index).jpg").path
            try SyntheticPhoto.jpeg(of: digit, seed: UInt64(index), orientation: index % 2 == 0 ? .right : .left).write(to: URL(fileURLWithPath: path))
            let prediction = try command.classify(path, with: classifier)
            #expect(prediction.top(1)[0].digit == mnist.test.labels[index], "\(path): \(prediction.summary)")
            let seen = try GrayscaleImage(contentsOf: URL(fileURLWithPath: path + ".mnist.png"))
            #expect(seen == prediction.input.quantized, "--save-preprocessed wrote what the model saw")
        }
    }
}

extension GrayscaleImage {
    /// The image as an 8-bit file would store it.
    var quantized: GrayscaleImage { try! GrayscaleImage(width: width, height: height, bytes: bytes()) }
}

@Suite("mnist export", .serialized, .enabled(if: ONNXRuntimeRunner.missing == nil, Comment(rawValue: ONNXRuntimeRunner.missing ?? "")))
struct ExportCommandTests {
    @Test("every recipe, saved and exported by `mnist export`, give predict's outputs in ONNX Runtime", arguments: Recipe.allCases)
    func recipe(_ recipe: Recipe) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A few steps on random digits move every weight, batch normalisation's statistics included.
        let model = try recipe.makeModel(seed: 3, augment: true)
        try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy)
        var generator = RandomGenerator(seed: 4)
        let x = try Tensor.uniform([32, 28, 28, 1], using: &generator)
        try model.fit(x: x, y: try Tensor.oneHot((0..<32).map { $0 % 10 }, classes: 10), batchSize: 16, epochs: 1, verbose: .silent)
        let modelPath = folder.appendingPathComponent("model.safetensors").path
        let onnxPath = folder.appendingPathComponent("model.onnx")
        try model.save(to: modelPath)
        var command = try MNISTCommand.parseAsRoot(["export", "--model", modelPath, "--onnx", onnxPath.path])
        try command.run()

        let input = try Tensor.uniform([6, 28, 28, 1], using: &generator)
        let expected = try Model.load(from: modelPath).predict(input)
        let actual = try ONNXRuntimeRunner.outputs(of: onnxPath, input: input)
        #expect(actual.shape == [6, 10])
        let difference = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference < 1e-5, "\(recipe): largest difference \(difference)")
    }
}
