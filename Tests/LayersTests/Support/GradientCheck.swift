import Layers
import Tensor

/// A seeded tensor with entries in [-1, 1).
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return try! Tensor.uniform(shape, lowerBound: -1, upperBound: 1, using: &generator)
}

/// The largest absolute difference relative to max(1, the reference's largest magnitude).
func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    precondition(actual.shape == expected.shape, "shapes \(actual.shape) and \(expected.shape) differ")
    let scale = max(1, expected.scalars.map(abs).max() ?? 0)
    return (zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0) / scale
}

/// Σ a ⊙ b in Double.
func dot(_ a: Tensor, _ b: Tensor) -> Double {
    zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// The result of checking a layer's backward pass against central finite differences of
/// L = Σ forward(x) ⊙ r: the worst relative error for the input and for each parameter.
struct GradientCheck {
    var input: Float
    var parameters: [String: Float]

    var worst: Float { ([input] + parameters.values).max()! }
}

/// Builds `layer` for samples shaped `sampleShape`, runs forward and backward on a batch,
/// and compares dL/dx and every trainable parameter's gradient with finite differences.
/// The forward pass always gets the same random generator, so that dropout masks and
/// augmentation repeat between the probes. For inputs that are indices (`differentiableInput`
/// false), the input "error" is the largest magnitude of dL/dx, which must be zero.
func checkGradients<L: Layer>(
    _ layer: L, sampleShape: [Int], batch: Int = 2, training: Bool = true, step: Float = 1e-2,
    input: Tensor? = nil, differentiableInput: Bool = true, seed: UInt64 = 1
) throws -> GradientCheck {
    var layer = layer
    var buildContext = BuildContext(generator: RandomGenerator(seed: seed))
    _ = try layer.build(inputShape: sampleShape, context: &buildContext)
    let x = input ?? randomTensor([batch] + sampleShape, seed: seed + 1)
    func run(_ layer: inout L, _ x: Tensor) throws -> Tensor {
        var context = ForwardContext(training: training, generator: RandomGenerator(seed: seed + 2))
        return try layer.forward(x, context: &context)
    }
    var probe = layer
    let y = try run(&layer, x)
    let r = randomTensor(y.shape, seed: seed + 3)
    let dx = try layer.backward(r)

    func numeric(_ at: Tensor, _ loss: (Tensor) throws -> Double) rethrows -> Tensor {
        try numericGradient(of: loss, at: at, step: step)
    }

    var check = GradientCheck(input: dx.scalars.map(abs).max() ?? 0, parameters: [:])
    if differentiableInput {
        let numericInput = try numeric(x) { try dot(run(&probe, $0), r) }
        check.input = relativeError(dx, numericInput)
    }
    for (index, parameter) in layer.parameters.enumerated() where parameter.trainable {
        let numericParameter = try numeric(parameter.value) { value in
            var copy = probe
            var position = 0
            copy.forEachParameter { p in
                if position == index { p.value = value }
                position += 1
            }
            return dot(try run(&copy, x), r)
        }
        check.parameters[parameter.name] = relativeError(parameter.gradient, numericParameter)
    }
    return check
}

/// Central differences of `loss` with respect to every element of `at`.
func numericGradient(of loss: (Tensor) throws -> Double, at: Tensor, step: Float = 1e-2) rethrows -> Tensor {
    var scalars = at.scalars
    var result = [Float](repeating: 0, count: scalars.count)
    for index in scalars.indices {
        let original = scalars[index]
        scalars[index] = original + step
        let plus = try loss(try! Tensor(shape: at.shape, scalars: scalars))
        scalars[index] = original - step
        let minus = try loss(try! Tensor(shape: at.shape, scalars: scalars))
        scalars[index] = original
        result[index] = Float((plus - minus) / (2 * Double(step)))
    }
    return try! Tensor(shape: at.shape, scalars: result)
}
