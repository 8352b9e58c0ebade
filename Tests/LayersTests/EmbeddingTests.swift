import Testing
import Layers
import Tensor

@Suite("Embedding")
struct EmbeddingTests {
    func built(inputDim: Int = 5, outputDim: Int = 2, steps: Int = 3) throws -> Sequential {
        let model = Sequential(seed: 3) { Input(shape: [steps]); Embedding(inputDim: inputDim, outputDim: outputDim) }
        try model.compile(optimizer: SGD(learningRate: 1), loss: .meanSquaredError)
        return model
    }

    @Test("each index becomes its row of the table; the table starts uniform in ±0.05 (Keras's default)")
    func lookUp() throws {
        let model = try built()
        let table = model.weights[0]
        #expect(table.shape == [5, 2] && table.scalars.allSatisfy { abs($0) <= 0.05 } && Set(table.scalars).count == 10)
        let output = try model.predict(try Tensor(shape: [2, 3], scalars: [4, 0, 4, 1, 2, 3]))
        #expect(output.shape == [2, 3, 2])
        let rows = [4, 0, 4, 1, 2, 3].flatMap { Array(table.scalars[($0 * 2)..<($0 * 2 + 2)]) }
        #expect(output.scalars == rows)
    }

    @Test("one SGD step moves only the rows the batch names, a repeated row by the sum of its gradients")
    func sparseUpdate() throws {
        let model = try built()
        let before = model.weights[0].scalars
        let x = try Tensor(shape: [1, 3], scalars: [4, 0, 4])
        let y = try Tensor.ones([1, 3, 2])
        let output = try model.predict(x)
        try model.trainOnBatch(x: x, y: y)
        let after = model.weights[0].scalars
        // MSE over 6 values: dL/dy = 2(y − t)/6, and SGD with rate 1 subtracts it.
        let gradient = zip(output.scalars, y.scalars).map { 2 * ($0 - $1) / 6 }
        for row in 0..<5 {
            let positions = [4, 0, 4].enumerated().filter { $0.element == row }.map(\.offset)
            for column in 0..<2 {
                let expected = before[row * 2 + column] - positions.map { gradient[$0 * 2 + column] }.reduce(0, +)
                #expect(abs(after[row * 2 + column] - expected) < 1e-6, "row \(row), column \(column)")
            }
        }
    }

    @Test("an index that is not a whole number in 0..<inputDim is an error naming it and its position",
          arguments: [(Float(2.5), "2.5"), (-1, "-1.0"), (5, "5.0"), (1e9, "1e+09")])
    func badIndex(_ bad: Float, _ shown: String) throws {
        let model = try built()
        #expect { try model.predict(try Tensor(shape: [1, 3], scalars: [0, bad, 1])) } throws: { error in
            "\(error)".contains("embedding: expected whole-number indices in 0..<5, found \(shown) at position 1 "
                                + "of an input of shape [1, 3]")
        }
    }
}
