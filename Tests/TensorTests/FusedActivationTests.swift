import Testing
import Tensor

@Suite("Fused activations over whole tensors")
struct FusedActivationTests {
    @Test("NaN stays NaN through ReLU, in the vector body and in the tail alike")
    func nanPropagates() throws {
        let x = FusedActivation.relu(try Tensor(shape: [5], scalars: [.nan, -1, 2, -3, .nan]))
        #expect(x.scalars[0].isNaN && x.scalars[4].isNaN)
        #expect(Array(x.scalars[1...3]) == [0, 2, 0])
        #expect(ScalarActivation.relu(.nan).isNaN)
    }

    @Test("identity leaves tensors alone; mismatched shapes are an error")
    func identityAndShapes() throws {
        let x = randomTensor([7], seed: 3)
        #expect(FusedActivation.identity(x) == x)
        #expect(throws: TensorError.shapeMismatch(operation: "relu backward output gradient", expected: [7], found: [6])) {
            try FusedActivation.relu.backward(output: x, outputGradient: randomTensor([6], seed: 4))
        }
    }
}
