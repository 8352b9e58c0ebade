import Tensor

/// The shared behaviour of the geometric augmentation layers: in training, each image gets
/// a random affine transform (drawn from the model's seeded generator) and is resampled
/// bilinearly with zeros outside (`Tensor`'s `AffineResampleKernel`); at inference they pass the
/// input through unchanged.
public protocol RandomAffineLayer: Layer {
    /// The resampling kernel, made by `build`; it keeps the last training pass's transforms.
    var resampler: AffineResampleKernel? { get set }
    /// Whether the last forward pass transformed its input (training) or passed it through.
    var transformedLastInput: Bool { get set }
    /// The hyper-parameters' first error, if any; thrown by `build`.
    var hyperparameterError: LayersError? { get }
    /// A random transform for an image of `height x width`.
    func randomTransform(height: Int, width: Int, using generator: inout RandomGenerator) -> AffineTransform
}

extension RandomAffineLayer {
    /// No hyper-parameter error, for layers without hyper-parameters to check.
    public var hyperparameterError: LayersError? { nil }

    /// The transforms of the last training forward pass (empty after an inference pass).
    public var lastTransforms: [AffineTransform] { transformedLastInput ? resampler?.transforms ?? [] : [] }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        if let hyperparameterError { throw hyperparameterError }
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape,
                                    hint: "augmentation layers take images; put them right after Input")
        }
        resampler = try AffineResampleKernel(imageShape: inputShape)
        return inputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        transformedLastInput = context.training
        guard context.training else { return input }
        guard resampler != nil else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        let (height, width) = (input.shape[1], input.shape[2])
        let transforms = (0..<input.shape[0]).map { _ in
            randomTransform(height: height, width: width, using: &context.generator)
        }
        var output = Tensor([])
        try resampler!.forward(input, transforms: transforms, into: &output)
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard transformedLastInput, let resampler else { return outputGradient }
        var inputGradient = Tensor([])
        try resampler.backward(outputGradient: outputGradient, into: &inputGradient)
        return inputGradient
    }
}

/// A uniform sample in `[lower, upper]`.
func uniform(_ lower: Float, _ upper: Float, _ generator: inout RandomGenerator) -> Float {
    lower + (upper - lower) * generator.nextUnitFloat()
}

extension HyperparameterCheck {
    /// Records an augmentation factor outside `[0, limit]`.
    mutating func requireFactor(_ value: Float, _ argument: String, upTo limit: Float = 1) {
        require(value >= 0 && value <= limit, argument, value, "expected a value in [0, \(limit)]")
    }
}
