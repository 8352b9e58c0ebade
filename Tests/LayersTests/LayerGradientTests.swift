import Foundation
import Testing
import Layers
import Tensor

/// Inputs whose magnitude is at least 0.1, so that finite differences never straddle the
/// kink of ReLU-like activations.
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    randomTensor(shape, seed: seed).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
}

@Suite("Layer backward passes against finite differences")
struct LayerGradientTests {
    @Test("Dense", arguments: [ActivationFunction.linear, .tanh, .sigmoid, .softmax, .gelu(), .swish, .softplus])
    func dense(_ activation: ActivationFunction) throws {
        let check = try checkGradients(Dense(units: 4, activation: activation), sampleShape: [5], batch: 3)
        #expect(check.worst < 1e-2, "\(check)")
        #expect(check.parameters.keys.sorted() == ["bias", "kernel"])
    }

    @Test("Dense on the last axis of samples of rank 2 and 3: each vector as a rank-1 sample would be, and its gradients",
          arguments: [[4, 5], [2, 3, 5]])
    func denseOnLastAxis(_ sampleShape: [Int]) throws {
        var layer = Dense(units: 3, activation: .softmax)
        var context = BuildContext(generator: RandomGenerator(seed: 1))
        #expect(try layer.build(inputShape: sampleShape, context: &context) == sampleShape.dropLast() + [3])
        let x = randomTensor([2] + sampleShape, seed: 2)
        var forward = ForwardContext(training: false, generator: RandomGenerator(seed: 3))
        var flat = layer
        let y = try layer.forward(x, context: &forward)
        let rows = try flat.forward(try x.reshaped([-1, 5]), context: &forward)
        #expect(y.shape == [2] + sampleShape.dropLast() + [3] && y.scalars == rows.scalars)
        let check = try checkGradients(Dense(units: 3, activation: .tanh, useBias: sampleShape.count == 2), sampleShape: sampleShape)
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test("Dense without bias, with L2 on the kernel (the penalty is added by the model, not the layer)")
    func denseNoBias() throws {
        let check = try checkGradients(Dense(units: 3, useBias: false, kernelRegularizer: .l2(0.1)), sampleShape: [4])
        #expect(check.worst < 1e-2, "\(check)")
        #expect(check.parameters.keys.sorted() == ["kernel"])
    }

    @Test("Conv2D", arguments: [(Padding.valid, 1), (.same, 1), (.same, 2), (.valid, 2)])
    func conv2D(_ configuration: (Padding, Int)) throws {
        let layer = Conv2D(filters: 3, kernelSize: 3, strides: Size2D(configuration.1, configuration.1), padding: configuration.0)
        let check = try checkGradients(layer, sampleShape: [6, 5, 2])
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test("Conv2D with a fused ReLU", arguments: Conv2DKernel.Algorithm.allCases)
    func conv2DReLU(_ algorithm: Conv2DKernel.Algorithm) throws {
        // Inputs away from zero do not keep pre-activations away from zero, so use a step
        // small enough that no pre-activation crosses it for this seed.
        let layer = algorithm == .im2col ? Conv2D(filters: 2, kernelSize: Size2D(2, 3), activation: .relu)
            : Conv2D(filters: 2, kernelSize: 3, padding: .same, activation: .relu, algorithm: algorithm)
        let check = try checkGradients(layer, sampleShape: [5, 5, 2], step: 1e-3)
        #expect(check.worst < 2e-2, "\(check)")
    }

    @Test("Conv2D computed by Winograd", arguments: [Padding.valid, .same], [Conv2DKernel.Algorithm.winograd, .winograd4x4])
    func conv2DWinograd(_ padding: Padding, _ algorithm: Conv2DKernel.Algorithm) throws {
        let check = try checkGradients(Conv2D(filters: 3, kernelSize: 3, padding: padding, activation: .tanh, algorithm: algorithm),
                                       sampleShape: [6, 7, 2])
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test func maxPooling() throws {
        var generator = RandomGenerator(seed: 9)
        let distinct = try Tensor(shape: [2, 6, 6, 3], scalars: (0..<216).map { Float($0) * 0.05 }.shuffled(using: &generator))
        let check = try checkGradients(MaxPooling2D(poolSize: 2), sampleShape: [6, 6, 3], input: distinct)
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test func averagePooling() throws {
        let check = try checkGradients(AveragePooling2D(poolSize: 3, strides: 2, padding: .same), sampleShape: [7, 6, 2])
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test func globalAveragePooling() throws {
        let check = try checkGradients(GlobalAveragePooling2D(), sampleShape: [3, 4, 5])
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test func flattenAndReshape() throws {
        #expect(try checkGradients(Flatten(), sampleShape: [3, 2, 2]).worst < 1e-2)
        #expect(try checkGradients(Reshape([2, -1]), sampleShape: [12]).worst < 1e-2)
    }

    @Test func dropoutInTraining() throws {
        let check = try checkGradients(Dropout(rate: 0.4), sampleShape: [20])
        #expect(check.worst < 1e-2, "\(check)")
    }

    @Test("BatchNormalization", arguments: [true, false])
    func batchNormalization(training: Bool) throws {
        let check = try checkGradients(BatchNormalization(), sampleShape: [3, 3, 4], batch: 3, training: training)
        #expect(check.worst < 2e-2, "\(check)")
        #expect(check.parameters.keys.sorted() == ["beta", "gamma"])
    }

    @Test("Conv2D with activations that differentiate from their input or output",
          arguments: [ActivationFunction.gelu(approximate: true), .swish, .hardSigmoid])
    func convolutionActivations(_ activation: ActivationFunction) throws {
        let check = try checkGradients(Conv2D(filters: 3, kernelSize: 3, padding: .same, activation: activation),
                                       sampleShape: [5, 5, 2], step: 1e-3)
        #expect(check.worst < 1e-2, "\(check)")
    }

    /// The expected values are the closed forms computed in Python's double precision (math.erf, math.tanh, math.log1p).
    @Test("GELU, swish, softplus and hard sigmoid: values of the closed forms, Keras's names, saved and loaded")
    func newActivationValues() throws {
        let x = Tensor([-4, -1, 0, 1, 2.5])
        func values(_ function: ActivationFunction) throws -> [Float] {
            var y = x
            try function.apply(to: &y)
            return y.scalars
        }
        func close(_ a: [Float], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { abs(Double($0) - $1) < 2e-6 } }
        #expect(close(try values(.gelu()), [-1.2668497e-4, -0.15865525, 0, 0.84134475, 2.4844758]))
        #expect(close(try values(.gelu(approximate: true)), [-7.0245948e-5, -0.15880801, 0, 0.84119199, 2.4849157]))
        #expect(close(try values(.swish), [-0.07194484, -0.26894142, 0, 0.73105858, 2.3103545]))
        #expect(close(try values(.softplus), [0.01814993, 0.31326169, 0.69314718, 1.31326169, 2.5788897]))
        #expect(close(try values(.hardSigmoid), [0, 0.33333334, 0.5, 0.6666667, 0.9166667]))
        #expect([ActivationFunction.gelu(), .swish, .silu, .softplus, .hardSigmoid].map(\.name)
                == ["gelu", "silu", "silu", "softplus", "hard_sigmoid"])
        for function in [ActivationFunction.gelu(approximate: true), .swish, .softplus, .hardSigmoid] {
            let decoded = try JSONDecoder().decode(ActivationFunction.self, from: try JSONEncoder().encode(function))
            #expect(decoded == function)
        }
        #expect(throws: LayersError.self) { try ActivationFunction.swish.backward(output: x, outputGradient: x) }
    }

    @Test("activation layers", arguments: [
        ActivationFunction.relu, .leakyReLU(alpha: 0.2), .elu(alpha: 1), .sigmoid, .tanh, .softmax, .linear,
        .gelu(), .gelu(approximate: true), .swish, .softplus, .hardSigmoid,
    ])
    func activations(_ function: ActivationFunction) throws {
        let check = try checkGradients(Activation(function), sampleShape: [6], batch: 3, step: 1e-3,
                                       input: awayFromZero([3, 6], seed: 4))
        #expect(check.worst < 1e-2, "\(check)")
    }
}
