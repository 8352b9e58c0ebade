import Layers
import Tensor
import Testing

/// One plain SGD step with learning rate 1 moves each weight by minus its gradient, so the
/// step a model takes can be checked against finite differences of its loss: this covers
/// the whole backward chain, including the losses fused with a final softmax or sigmoid.
@Suite("Model gradients")
struct ModelGradientTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let activation: ActivationFunction
        let loss: Loss
        let testDescription: String
    }

    @Test("a training step follows the gradient of the loss", arguments: [
        Case(activation: .softmax, loss: .categoricalCrossentropy, testDescription: "softmax + categorical cross-entropy (fused)"),
        Case(activation: .sigmoid, loss: .binaryCrossentropy, testDescription: "sigmoid + binary cross-entropy (fused)"),
        Case(activation: .linear, loss: .categoricalCrossentropy(fromLogits: true), testDescription: "logits + categorical cross-entropy"),
        Case(activation: .tanh, loss: .meanSquaredError, testDescription: "tanh + mean squared error"),
    ])
    func stepFollowsGradient(_ c: Case) throws {
        try checkStep(Sequential(seed: 3) {
            Input(shape: [5, 5, 1])
            Conv2D(filters: 2, kernelSize: 3, activation: .tanh)
            Flatten()
            Dense(units: 3, activation: c.activation)
        }, loss: c.loss)
    }

    @Test("a separate Softmax layer is fused with the loss too")
    func softmaxLayer() throws {
        try checkStep(Sequential(seed: 3) {
            Input(shape: [5, 5, 1])
            Conv2D(filters: 2, kernelSize: 3, activation: .tanh)
            Flatten()
            Dense(units: 3)
            Softmax()
        }, loss: .categoricalCrossentropy)
    }

    /// An activated layer that forgets `backward(preActivationGradient:)`.
    struct ForgetfulSoftmax: ActivatedLayer {
        var name = ""
        var activation: ActivationFunction { .softmax }
        mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] { inputShape }
        mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try input.softmax() }
        mutating func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient }
    }

    @Test("an activated layer without backward(preActivationGradient:) is an error, not a wrong gradient")
    func forgottenFusedBackward() throws {
        let model = Sequential(seed: 3) {
            Input(shape: [4])
            Dense(units: 3)
            ForgetfulSoftmax()
        }
        try model.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        let x = try Tensor(shape: [2, 4], repeating: 0.5), y = try Tensor.oneHot([0, 2], classes: 3)
        #expect {
            try model.trainOnBatch(x: x, y: y)
        } throws: { error in
            "\(error)".contains("ForgetfulSoftmax conforms to ActivatedLayer, so it must implement backward(preActivationGradient:)")
        }
    }

    func checkStep(_ model: Model, loss lossFunction: Loss) throws {
        try model.compile(optimizer: SGD(learningRate: 1), loss: lossFunction)
        var generator = RandomGenerator(seed: 4)
        let x = try Tensor.uniform([4, 5, 5, 1], lowerBound: -1, upperBound: 1, using: &generator)
        let y = try Tensor.oneHot([0, 2, 1, 2], classes: 3)
        try checkTrainingStep(model, x: [x], y: [y])
    }
}

/// One step of `model` (compiled with `SGD(learningRate: 1)`) on the batch `x`, `y` moves
/// every weight by minus the finite-difference gradient of the loss `evaluate` reports.
func checkTrainingStep(_ model: Model, x: [Tensor], y: [Tensor]) throws {
    let before = model.weights
    func loss(_ weights: [Tensor]) throws -> Double {
        try model.setWeights(weights)
        return Double(try model.evaluate(x: x, y: y, batchSize: x[0].shape[0])[.loss]!)
    }
    var numeric: [[Float]] = []
    let h: Float = 1e-2
    for (index, weight) in before.enumerated() {
        var gradient: [Float] = []
        for element in 0..<weight.count {
            var plus = before, minus = before
            plus[index].withUnsafeMutableBufferPointer { $0[element] += h }
            minus[index].withUnsafeMutableBufferPointer { $0[element] -= h }
            gradient.append(Float((try loss(plus) - loss(minus)) / (2 * Double(h))))
        }
        numeric.append(gradient)
    }
    try model.setWeights(before)
    try model.trainOnBatch(x: x, y: y)
    for (index, weight) in model.weights.enumerated() {
        let step = zip(before[index].scalars, weight.scalars).map { $0 - $1 }
        let scale = max(1e-3, numeric[index].map(abs).max()!)
        let error = zip(step, numeric[index]).map { abs($0 - $1) }.max()!
        #expect(error / scale < 2e-2, "weight \(index): step \(step), finite differences \(numeric[index])")
    }
}
