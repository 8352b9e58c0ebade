import Tensor

/// NHWC images enlarged by whole factors, as Keras's `UpSampling2D`: `[h, w, c]` becomes
/// `[h · size.height, w · size.width, c]`, by repeating pixels (`.nearest`, Keras's default) or
/// interpolating between them (`.bilinear`, TensorFlow's half-pixel centres). Runs on
/// ``UpSample2DKernel``.
///
/// ```swift
/// UpSampling2D(size: 2)                            // 7x7 → 14x14, each pixel a 2x2 block
/// UpSampling2D(size: 2, interpolation: .bilinear)  // 7x7 → 14x14, smooth
/// ```
public struct UpSampling2D: SerializableLayer {
    public var name = ""
    /// The factors of height and width.
    public let size: Size2D
    /// How new pixels are made.
    public let interpolation: UpSample2DKernel.Interpolation
    private var kernel: UpSample2DKernel?
    private var output = Tensor([])
    private var inputGradient = Tensor([])

    /// Enlarges images by `size`.
    public init(size: Size2D = 2, interpolation: UpSample2DKernel.Interpolation = .nearest) {
        self.size = size
        self.interpolation = interpolation
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        var check = HyperparameterCheck(Self.typeName)
        check.require(size.isPositive, "size", size, "expected positive factors")
        try check.throwIfInvalid()
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
        }
        let kernel = try wrappingTensorErrors {
            try UpSample2DKernel(imageShape: inputShape, factors: (size.height, size.width), interpolation: interpolation)
        }
        self.kernel = kernel
        return kernel.outputShape
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard let kernel else { throw LayersError.notReady(operation: "\(name) forward", reason: "the layer is not built") }
        try wrappingTensorErrors { try kernel.forward(input, into: &output) }
        return output
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let kernel else { throw LayersError.notReady(operation: "\(name) backward", reason: "the layer is not built") }
        try wrappingTensorErrors { try kernel.backward(outputGradient: outputGradient, into: &inputGradient) }
        return inputGradient
    }

    // MARK: Saving

    public struct Configuration: Codable {
        var size: Size2D
        var interpolation: UpSample2DKernel.Interpolation
    }
    public var configuration: Configuration { Configuration(size: size, interpolation: interpolation) }
    public init(configuration c: Configuration) { self.init(size: c.size, interpolation: c.interpolation) }
}
