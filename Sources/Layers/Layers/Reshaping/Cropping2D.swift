import Tensor

/// Rows and columns cut from the edges of NHWC images, as Keras's `Cropping2D`: `[h, w, c]`
/// becomes `[h - top - bottom, w - left - right, c]`.
///
/// ```swift
/// Cropping2D(cropping: 2)                                            // 32x32 → 28x28
/// Cropping2D(cropping: Margins2D(top: 1, bottom: 0, left: 1, right: 0))  // 29x29 → 28x28
/// ```
public struct Cropping2D: SerializableLayer {
    public var name = ""
    /// The rows and columns removed on each side.
    public let cropping: Margins2D
    private var inputShape: [Int] = []

    /// Crops `cropping` from each side of each image.
    public init(cropping: Margins2D = 0) { self.cropping = cropping }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        var check = HyperparameterCheck(Self.typeName)
        check.require(cropping.isValid, "cropping", cropping, "expected margins between 0 and 65536")
        try check.throwIfInvalid()
        let (height, width) = inputShape.count == 3
            ? (inputShape[0] - cropping.top - cropping.bottom, inputShape[1] - cropping.left - cropping.right) : (0, 0)
        guard inputShape.count == 3, height > 0, width > 0 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels) larger than the cropping \(cropping)",
                                    received: inputShape)
        }
        return [height, width, inputShape[2]]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try wrappingTensorErrors {
            inputShape = input.shape
            return try input.slice([0..<input.shape[0], cropping.top..<(input.shape[1] - cropping.bottom),
                                    cropping.left..<(input.shape[2] - cropping.right)])
        }
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try wrappingTensorErrors {
            var inputGradient = try Tensor.zeros(inputShape)
            try inputGradient.write(outputGradient, at: [0, cropping.top, cropping.left])
            return inputGradient
        }
    }

    // MARK: Saving

    public struct Configuration: Codable { var cropping: Margins2D }
    public var configuration: Configuration { Configuration(cropping: cropping) }
    public init(configuration: Configuration) { self.init(cropping: configuration.cropping) }
}
