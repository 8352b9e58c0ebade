import Tensor

/// Flattens each sample to one axis: `[N, H, W, C]` becomes `[N, H·W·C]` (no copy).
public struct Flatten: Layer {
    public var name = ""
    private var inputShape: [Int] = []

    /// A flattening layer.
    public init() {}

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        [inputShape.reduce(1, *)]
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        inputShape = input.shape
        return try input.reshaped([input.shape.first ?? 0, -1])
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.reshaped(inputShape)
    }
}

// MARK: Saving

extension Flatten: SerializableLayer {
    public var configuration: EmptyConfiguration { EmptyConfiguration() }
    public init(configuration: EmptyConfiguration) { self.init() }
}
