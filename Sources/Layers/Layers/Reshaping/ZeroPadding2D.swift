import Tensor

/// Zero rows and columns around NHWC images, as Keras's `ZeroPadding2D`: `[h, w, c]` becomes
/// `[top + h + bottom, left + w + right, c]`.
///
/// ```swift
/// ZeroPadding2D(padding: 1)                                           // 28x28 → 30x30
/// ZeroPadding2D(padding: Margins2D(top: 0, bottom: 1, left: 0, right: 1))  // 27x27 → 28x28
/// ```
public struct ZeroPadding2D: SerializableLayer {
    public var name = ""
    /// The rows and columns added on each side.
    public let padding: Margins2D
    private var inputShape: [Int] = []

    /// Pads each image with `padding` zeros.
    public init(padding: Margins2D = 1) { self.padding = padding }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        var check = HyperparameterCheck(Self.typeName)
        check.require(padding.isValid, "padding", padding, "expected margins between 0 and 65536")
        try check.throwIfInvalid()
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
        }
        return [padding.top + inputShape[0] + padding.bottom, padding.left + inputShape[1] + padding.right, inputShape[2]]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try wrappingTensorErrors {
            inputShape = input.shape
            var output = try Tensor.zeros([input.shape[0], padding.top + input.shape[1] + padding.bottom,
                                           padding.left + input.shape[2] + padding.right, input.shape[3]])
            try output.write(input, at: [0, padding.top, padding.left])
            return output
        }
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try wrappingTensorErrors {
            try outputGradient.slice([0..<inputShape[0], padding.top..<(padding.top + inputShape[1]),
                                      padding.left..<(padding.left + inputShape[2])])
        }
    }

    // MARK: Saving

    public struct Configuration: Codable { var padding: Margins2D }
    public var configuration: Configuration { Configuration(padding: padding) }
    public init(configuration: Configuration) { self.init(padding: configuration.padding) }
}
