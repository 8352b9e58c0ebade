import ArgumentParser
import MNISTReport
import Datasets
import Distributed
import Foundation
import Layers
import MNISTServer
import ONNX
import Tensor

@main
struct MNISTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist",
        abstract: "Train, evaluate and use a convolutional network on the MNIST digits.",
        subcommands: [Train.self, Evaluate.self, Predict.self, Serve.self, Export.self],
        defaultSubcommand: Train.self)
}

/// The data sets `--dataset` names.
enum DatasetName: String, CaseIterable, ExpressibleByArgument {
    /// MNIST's handwritten digits.
    case mnist
    /// Fashion-MNIST's clothes (`keras.datasets.fashion_mnist`).
    case fashion

    var type: any IDXImageDataset.Type {
        switch self {
        case .mnist: MNIST.self
        case .fashion: FashionMNIST.self
        }
    }
    /// As the report's title and the messages name it.
    var title: String { self == .mnist ? "MNIST" : "Fashion-MNIST" }
    /// The default `--output` folder.
    var outputFolder: String { self == .mnist ? "mnist-output" : "fashion-mnist-output" }
}

/// A data set's two splits and its class names, as the subcommands use them.
struct LoadedDataset {
    let name: DatasetName
    let train: LabeledImages
    let test: LabeledImages
    let classNames: [String]
}

/// Where the data comes from, shared by the subcommands.
struct DataOptions: ParsableArguments {
    @Option(help: "The data set: mnist (handwritten digits) or fashion (Fashion-MNIST: clothes in 10 classes).")
    var dataset: DatasetName = .mnist
    @Option(help: """
        Folder with the four IDX files (.gz or not). Default: $MNIST_DIR, then ~/.cache/swift-layers/mnist; \
        for fashion $FASHION_MNIST_DIR, ~/.cache/swift-layers/fashion-mnist, then /usr/share/datasets/fashion-mnist.
        """)
    var dataDir: String?
    @Flag(help: "Do not download the data set when it is not found.") var noDownload = false

    func load() throws -> LoadedDataset {
        let type = dataset.type
        let folder: URL
        do {
            folder = try type.locate(explicit: dataDir)
        } catch let error as DatasetError {
            let cache = type.cacheFolder()
            let files = type.fileNames
            let howToFix = """
                Put the four files (\(files.trainImages).gz, \(files.trainLabels).gz, \(files.testImages).gz, \
                \(files.testLabels).gz) in \(cache.path), set \(type.environmentVariable), or pass --data-dir.
                """
            guard !noDownload else { throw CommandError("\(dataset.title) not found: \(error)\n\(howToFix)") }
            print("\(dataset.title) not found (\(error)); downloading it into \(cache.path)")
            do {
                try type.download(to: cache, timeout: 60, progress: { print($0); fflush(nil) })
            } catch let failure as DatasetError {
                throw CommandError("\(failure)\n\(howToFix)")
            }
            folder = cache
        }
        print("Loading \(dataset.title) from \(folder.path)")
        let loaded = try type.load(from: folder)
        return LoadedDataset(name: dataset, train: loaded.train, test: loaded.test, classNames: type.classNames)
    }
}

/// Prints the test results and writes the report (pictures, history, HTML) into `outputFolder`.
/// - Parameters:
///   - classNames: the classes' names for the tables and pictures (nil: MNIST's digits).
///   - title: the report's title.
func reportTestResults(model: Model, test: LabeledImages, classNames: [String]? = nil, title: String = "MNIST",
                       history: History?, outputFolder: URL) throws {
    let results = try model.evaluate(test, batchSize: 256)
    let probabilities = try model.predict(test, batchSize: 256)
    let predicted = try probabilities.argmax(alongAxis: -1)
    let matrix = ConfusionMatrix(truth: test.labels, predicted: predicted, classes: test.classCount, classNames: classNames)
    let testLoss = Double(results[.loss] ?? .nan)
    print(String(format: "\nTest accuracy: %.4f (%d of %d)   test loss: %.4f", matrix.accuracy, matrix.correct, matrix.total, testLoss))
    let kind = matrix.hasNamedClasses ? "class" : "digit"
    print("\nConfusion matrix (rows: true \(kind), columns: predicted \(kind))\n\(matrix.table)")
    print("\n\(matrix.report)")
    let text = "accuracy \(matrix.accuracy)\nloss \(testLoss)\n\n\(matrix.table)\n\n\(matrix.report)\n"
    try text.write(to: outputFolder.appendingPathComponent("test-report.txt"), atomically: true, encoding: .utf8)

    let scores = probabilities.scalars
    let imageSize = test.imageShape.reduce(1, *)
    let mistakes = predicted.indices.filter { predicted[$0] != test.labels[$0] }
        .map { index in (index, scores[index * test.classCount + predicted[index]]) }
        .sorted { $0.1 > $1.1 }
        .prefix(24)
        .map { index, confidence in
            Charts.Mistake(pixels: test.pixels[index * imageSize..<(index + 1) * imageSize].map { Float($0) / 255 },
                           truth: test.labels[index], predicted: predicted[index], confidence: confidence)
        }
    let curves = (history?.history ?? [:]).reduce(into: [String: [Double]]()) { result, entry in
        result[entry.key.rawValue] = entry.value.map(Double.init)
    }
    var report = TrainingReport(history: curves, matrix: matrix, testLoss: testLoss, mistakes: Array(mistakes),
                                summary: try model.summary())
    report.title = "\(title) — training report"
    try report.write(to: outputFolder)
    print("\nReport: \(outputFolder.appendingPathComponent(TrainingReport.fileNames.html).path)")
}

extension MNISTCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model, report its test accuracy and save it (the default subcommand).")

        @OptionGroup var data: DataOptions
        @Option(help: "The model to train: reference (fast), best (most accurate), resnet (a residual network), lstm (bidirectional LSTMs over the rows) or vit (a vision transformer).") var recipe: Recipe = .reference
        @Option(help: "Epochs to train, the last epoch when resuming (default: 15 for reference and lstm, 20 for resnet, 30 for best and vit).") var epochs: Int?
        @Option(help: "Samples per optimisation step.") var batchSize = 128
        @Option(help: "Adam's initial learning rate, decayed along a cosine to 1% by the last epoch.") var learningRate: Float = 2e-3
        @Option(help: "Fraction of the training images held out for validation (the last ones).") var validationSplit: Float = 0.1
        @Option(help: "Seed for initialisation, shuffling, dropout and augmentation.") var seed: UInt64 = 42
        @Flag(inversion: .prefixedNo, help: "Random rotations and shifts (and zooms, for best) of the training images.") var augment = true
        @Option(help: "Folder for the model, history and report (default: mnist-output, fashion-mnist-output for fashion).")
        var output: String?
        @Option(help: "Compute threads (default: all cores).") var threads: Int?
        @Option(help: "Continue training from a checkpoint or saved model.") var resume: String?
        @Flag(help: "Train on every rank of an mpirun job (data parallel): --batch-size is split across the ranks, rank 0 prints and writes the files.")
        var distributed = false

        func validate() throws {
            if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive, found \(epochs)") }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, found \(batchSize)") }
            guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, found \(learningRate)") }
            guard validationSplit >= 0, validationSplit < 1 else { throw ValidationError("--validation-split must be in [0, 1), found \(validationSplit)") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, found \(threads)") }
        }

        /// The last epoch of a resumed run: `--epochs`, else the default of the model's recipe.
        func epochsToRun(resuming model: Model, from path: String) throws -> Int {
            let epochs = epochs ?? (Recipe(modelName: model.name) ?? recipe).defaultEpochs
            guard epochs > model.epochsCompleted else {
                throw CommandError("\(path) has completed \(model.epochsCompleted) epochs already; pass --epochs with a larger total")
            }
            return epochs
        }

        func run() throws {
            let world = distributed ? try Communicator.world() : nil
            do {
                try train(world: world)
            } catch {
                // One rank's error ends the whole job, said once, instead of leaving the others waiting.
                if let world, world.size > 1 { world.abort("\(error)") }
                throw error
            }
        }

        func train(world: Communicator?) throws {
            if let threads { ComputeThreads.count = threads }
            let first = (world?.rank ?? 0) == 0
            func print(_ text: String) { if first { Swift.print(text) } }
            let outputFolder = URL(fileURLWithPath: output ?? data.dataset.outputFolder)
            try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
            let dataset = try data.load()

            let model: Model
            let epochs: Int
            if let resume {
                model = try Model.load(from: resume)
                guard model.optimizer != nil else {
                    throw CommandError("\(resume) has no optimizer state; it was saved with includeOptimizer: false")
                }
                epochs = try epochsToRun(resuming: model, from: resume)
                print("Resuming from \(resume) after epoch \(model.epochsCompleted)")
            } else {
                epochs = self.epochs ?? recipe.defaultEpochs
                model = try recipe.makeModel(seed: seed, augment: augment)
                // Cosine decay over the whole run: the last epochs fine-tune at a small rate.
                let trainingSamples = Int(Float(dataset.train.count) * (1 - validationSplit))
                let steps = epochs * ((trainingSamples + batchSize - 1) / batchSize)
                let schedule = try CosineDecay(initialLearningRate: learningRate, decaySteps: steps, alpha: 0.01)
                try model.compile(optimizer: Adam(learningRate: learningRate, schedule: schedule),
                                  loss: .categoricalCrossentropy, metrics: [.accuracy])
            }
            print(try model.summary())
            print(ComputeThreads.blasDescription)
            if let world {
                model.dataParallelism = world
                print("Data parallel over \(world.size) ranks: \(batchSize) samples per step, about \(batchSize / world.size) on each rank")
            }

            let checkpoint = outputFolder.appendingPathComponent("checkpoint.safetensors").path
            // Only rank 0 writes files; every rank stops on NaN (they hold the same numbers).
            let callbacks: [any Callback] = (first ? [
                CSVLogger(path: outputFolder.appendingPathComponent("history.csv").path, append: resume != nil),
                ModelCheckpoint(path: checkpoint),
            ] : []) + [TerminateOnNaN()]
            let started = Date()
            let history = try model.fit(
                dataset.train, batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                initialEpoch: model.epochsCompleted, callbacks: callbacks, verbose: first ? .auto : .silent)
            let minutes = Date().timeIntervalSince(started) / 60
            print(String(format: "Trained in %.1f minutes", minutes))
            guard first else { return }

            let modelPath = outputFolder.appendingPathComponent("model.safetensors").path
            try model.save(to: modelPath)
            print("Saved the model to \(modelPath)")
            try reportTestResults(model: model, test: dataset.test, classNames: dataset.classNames, title: dataset.name.title,
                                  history: history, outputFolder: outputFolder)
        }
    }

    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report the test accuracy of a saved model.")

        @OptionGroup var data: DataOptions
        @Option(help: "The saved model.") var model: String
        @Option(help: "Folder for the report (default: mnist-output, fashion-mnist-output for fashion).") var output: String?

        func run() throws {
            let outputFolder = URL(fileURLWithPath: output ?? data.dataset.outputFolder)
            try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
            let loaded = try Model.load(from: model)
            let dataset = try data.load()
            if loaded.loss == nil {
                try loaded.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
            }
            try reportTestResults(model: loaded, test: dataset.test, classNames: dataset.classNames, title: dataset.name.title,
                                  history: nil, outputFolder: outputFolder)
        }
    }
}

extension MNISTCommand {
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify your own digit images: photos of paper or drawings (PNG, JPEG or PGM, any size).")

        @Option(help: "The saved model.") var model: String
        @Flag(help: "Also write each image as the model sees it, 28x28, to <image>.mnist.png.") var savePreprocessed = false
        @Argument(help: "Image files.") var images: [String]

        func run() throws {
            let classifier = try DigitClassifier(contentsOf: model)
            var failures = 0
            for path in images {
                do {
                    print("\(path): \(try classify(path, with: classifier).summary)")
                } catch {
                    failures += 1
                    print("\(path): error: \(error)")
                }
            }
            if failures > 0 { throw ExitCode(1) }
        }

        /// The prediction for the image at `path`; writes what the model saw with `--save-preprocessed`.
        func classify(_ path: String, with classifier: DigitClassifier) throws -> DigitPrediction {
            let prediction = try classifier.classify(try GrayscaleImage(contentsOf: URL(fileURLWithPath: path)))
            if savePreprocessed {
                try prediction.input.pngData().write(to: URL(fileURLWithPath: path + ".mnist.png"), options: .atomic)
            }
            return prediction
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a saved model over HTTP: a page to draw digits on, and a JSON prediction API.")

        @Option(help: "The saved model.") var model: String
        @Option(help: "The address to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
        @Option(help: "The port to listen on (0 picks a free one).") var port = 8080
        @Option(help: "Compute threads per prediction (default 1: concurrent requests use the cores).") var threads = 1
        @Option(help: "Open connections at most; more wait to be accepted.")
        var maxConnections = ServerLimits().maximumConnections
        @Option(help: "Seconds a connection may go without a complete request head (idle or slow) before it is closed.")
        var idleTimeout = ServerLimits().idleTimeout
        @Option(help: "Seconds a request body may take to arrive before the connection is closed.")
        var bodyTimeout = ServerLimits().bodyTimeout
        @Option(help: "The largest request head, in bytes (400 beyond).") var maxHeaderBytes = ServerLimits().maximumHeaderSize
        @Option(help: "The largest request body, in bytes (413 beyond).") var maxBodyBytes = ServerLimits().maximumBodySize
        @Option(help: "Request bytes held at once across all requests (503 beyond).")
        var maxInFlightBytes = ServerLimits().maximumInFlightBytes
        @Option(help: "The largest image decoded, in pixels (400 beyond).") var maxImagePixels = ServerLimits().maximumImagePixels
        @Option(help: "Predictions run at once (default: the core count).")
        var maxConcurrentPredictions = ServerLimits().maximumConcurrentPredictions
        @Option(help: "Requests that may wait for a prediction before the server answers 503 (default: 4 per core).")
        var predictionQueue = ServerLimits().predictionQueueLength

        /// The limits the flags set.
        var limits: ServerLimits {
            var limits = ServerLimits()
            limits.maximumConnections = maxConnections
            limits.idleTimeout = idleTimeout
            limits.bodyTimeout = bodyTimeout
            limits.maximumHeaderSize = maxHeaderBytes
            limits.maximumBodySize = maxBodyBytes
            limits.maximumInFlightBytes = maxInFlightBytes
            limits.maximumImagePixels = maxImagePixels
            limits.maximumConcurrentPredictions = maxConcurrentPredictions
            limits.predictionQueueLength = predictionQueue
            return limits
        }

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, found \(port)") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1, found \(threads)") }
            if let problem = limits.validationError() { throw ValidationError(problem) }
        }

        func run() async throws {
            ComputeThreads.count = threads
            let server = DigitServer(classifier: try DigitClassifier(contentsOf: model), limits: limits)
            let (host, port) = (host, port)
            do {
                try await server.runUntilSignal(host: host, port: port) { port in
                    print("Serving \(server.classifier.modelName) at http://\(host):\(port)/ (Ctrl-C to stop)")
                    fflush(nil)
                }
            } catch {
                throw CommandError("cannot serve on \(host):\(port): \(error)")
            }
        }
    }
}

extension MNISTCommand {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a saved model's inference graph as ONNX, for ONNX Runtime and other ONNX consumers.")

        @Option(help: "The saved model.") var model: String
        @Option(help: "The ONNX file to write.") var onnx: String

        func run() throws {
            let loaded = try Model.load(from: model)
            try loaded.exportONNX(to: onnx)
            print("Wrote \(onnx): input \"input\" [N, \((loaded.inputShape ?? []).map(String.init).joined(separator: ", "))], "
                  + "output \"output\" [N, \((loaded.outputShape ?? []).map(String.init).joined(separator: ", "))], ONNX opset \(Model.onnxOpset)")
        }
    }
}

extension Recipe: ExpressibleByArgument {}

/// A failure while running (not a usage mistake), printed without the usage line.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
