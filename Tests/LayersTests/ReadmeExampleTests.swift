import Foundation
import Testing
import Layers
import Tensor

/// The README's example, verbatim between the markers (checked by `verbatim()`), so that it keeps compiling.
/// `xTrain`, `yTrain` (one-hot), `xTest` and `yTest` are MNIST-shaped tensors.
func readmeExample(xTrain: Tensor, yTrain: Tensor, xTest: Tensor, yTest: Tensor, epochs: Int) throws -> (Logs, Tensor) {
    // README example begins
    let model = Sequential(seed: 42) {
        Input(shape: [28, 28, 1])
        RandomRotation(0.05)
        RandomTranslation(height: 0.1, width: 0.1)
        Conv2D(filters: 32, kernelSize: 3, activation: .relu)
        MaxPooling2D(poolSize: 2)
        Conv2D(filters: 64, kernelSize: 3, activation: .relu)
        MaxPooling2D(poolSize: 2)
        Flatten()
        Dropout(rate: 0.5)
        Dense(units: 10, activation: .softmax)
    }
    try model.compile(optimizer: Adam(learningRate: 1e-3),
                      loss: .categoricalCrossentropy, metrics: [.accuracy])
    print(try model.summary())

    let history = try model.fit(x: xTrain, y: yTrain, batchSize: 128, epochs: epochs,
                                validationSplit: 0.1,
                                callbacks: [EarlyStopping(monitor: .valLoss, patience: 3,
                                                          restoreBestWeights: true),
                                            TerminateOnNaN()])
    print(history[.valAccuracy])

    let result = try model.evaluate(x: xTest, y: yTest)
    print("test accuracy:", result.accuracy ?? .nan)
    let probabilities = try model.predict(xTest)          // [N, 10]
    let digits = try probabilities.argmax(alongAxis: -1)  // [Int]
    // README example ends
    _ = digits
    return (result, probabilities)
}

/// The lines of the test file `testFile` between its `// README example begins` and `ends`
/// markers (one indentation level removed), and the README's lines from `first` to the end
/// of its code block: equal when the README shows the code the test runs.
func readmeCodeBlock(startingWith first: String, testFile: String) throws -> (test: [String], readme: [String]) {
    let thisFile = URL(fileURLWithPath: testFile)
    let readme = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("README.md")
    let readmeLines = try String(contentsOf: readme, encoding: .utf8).components(separatedBy: "\n")
    let start = try #require(readmeLines.firstIndex(of: first))
    let end = try #require(readmeLines[start...].firstIndex(of: "```"))
    let testLines = try String(contentsOf: thisFile, encoding: .utf8).components(separatedBy: "\n")
    let begin = try #require(testLines.firstIndex { $0.hasSuffix("// README example begins") })
    let finish = try #require(testLines.firstIndex { $0.hasSuffix("// README example ends") })
    return (testLines[(begin + 1)..<finish].map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : $0 }, Array(readmeLines[start..<end]))
}

@Suite("README example")
struct ReadmeExampleTests {
    @Test("the code between the markers above is the README's example, line for line")
    func verbatim() throws {
        // The README's example: from `let model = Sequential(seed: 42) {` to the end of its code block.
        let (example, readme) = try readmeCodeBlock(startingWith: "let model = Sequential(seed: 42) {", testFile: #filePath)
        #expect(example == readme)
    }

    @Test("the README's example runs on MNIST-shaped data")
    func runs() throws {
        let x = randomTensor([40, 28, 28, 1], seed: 1).map { abs($0) }
        let y = try Tensor.oneHot((0..<40).map { $0 % 10 }, classes: 10)
        let (result, probabilities) = try readmeExample(
            xTrain: x, yTrain: y, xTest: try x.slice(batch: 0..<8), yTest: try y.slice(batch: 0..<8), epochs: 1)
        #expect(result[.loss]!.isFinite && result[.accuracy] != nil)
        #expect(probabilities.shape == [8, 10])
        let rowSums = try probabilities.sum(alongAxis: 1).scalars
        #expect(rowSums.allSatisfy { abs($0 - 1) < 1e-4 })
    }
}
