import Tensor

/// The mean over height and width of NHWC images: `[N, H, W, C]` becomes `[N, C]`.
public struct GlobalAveragePooling2D: Layer {
    public var name = ""
    private var inputShape: [Int] = []

    /// Global average pooling.
    public init() {}

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
        }
        return [inputShape[2]]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        inputShape = input.shape
        return try input.reshaped([input.shape[0], -1, input.shape[3]]).mean(alongAxis: 1)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        let (batch, pixels, channels) = (inputShape[0], inputShape[1] * inputShape[2], inputShape[3])
        let scale = 1 / Float(pixels)
        let dy = outputGradient.scalars
        var result = try Tensor.zeros(inputShape)
        result.withUnsafeMutableBufferPointer { dx in
            for n in 0..<batch {
                for p in 0..<pixels {
                    for c in 0..<channels { dx[(n * pixels + p) * channels + c] = dy[n * channels + c] * scale }
                }
            }
        }
        return result
    }
}

// MARK: Saving

extension GlobalAveragePooling2D: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
