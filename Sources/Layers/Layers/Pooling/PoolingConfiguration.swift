import Tensor

/// The hyper-parameters both 2-D pooling layers take, as they are saved, and the building
/// of their kernel for an input shape.
public struct PoolingConfiguration: Codable, Sendable, Equatable {
    /// The window's height and width.
    public var poolSize: Size2D
    /// The step between windows; nil means `poolSize`, as in Keras.
    public var strides: Size2D?
    /// `.valid` or `.same`.
    public var padding: Padding

    /// Pooling with a `poolSize` window.
    public init(poolSize: Size2D, strides: Size2D?, padding: Padding) {
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
    }

    /// The kernel for `[height, width, channels]` inputs, made by `make(inputShape, poolSize, strides, padding)`.
    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for a bad
    ///   hyper-parameter, or an input error naming the layer.
    func makeKernel<Kernel>(
        layerType: String, name: String, inputShape: [Int],
        _ make: ([Int], (height: Int, width: Int), (height: Int, width: Int)?, Padding) throws -> Kernel
    ) throws -> Kernel {
        var check = HyperparameterCheck(layerType)
        check.require(poolSize.isPositive, "poolSize", poolSize, "expected positive sizes")
        check.require(strides?.isPositive ?? true, "strides", strides.map(\.description) ?? "nil", "expected positive strides")
        try check.throwIfInvalid()
        guard inputShape.count == 3 else {
            throw incompatibleInput(name, expected: "(None, height, width, channels)", received: inputShape)
        }
        do {
            return try make(inputShape, (poolSize.height, poolSize.width), strides.map { ($0.height, $0.width) }, padding)
        } catch let error as TensorError {
            throw incompatibleInput(name, expected: "images at least \(poolSize.height)x\(poolSize.width)",
                                    received: inputShape, hint: "use padding: .same or a smaller pool (\(error))")
        }
    }
}

/// The hyper-parameters both 1-D pooling layers take, as they are saved, and the building of
/// their kernel: a 2-D pooling kernel over each sequence as an image one row high.
public struct Pooling1DConfiguration: Codable, Sendable, Equatable {
    /// The window's length in steps.
    public var poolSize: Int
    /// The step between windows; nil means `poolSize`, as in Keras.
    public var strides: Int?
    /// `.valid` or `.same`.
    public var padding: Padding

    /// Pooling with a `poolSize` window.
    public init(poolSize: Int, strides: Int?, padding: Padding) {
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
    }

    /// The kernel for `[steps, channels]` inputs, made by `make(inputShape, poolSize, strides, padding)`.
    /// - Throws: ``LayersError/invalidArgument(layer:argument:value:reason:)`` for a bad
    ///   hyper-parameter, or an input error naming the layer.
    func makeKernel<Kernel>(
        layerType: String, name: String, inputShape: [Int],
        _ make: ([Int], (height: Int, width: Int), (height: Int, width: Int)?, Padding) throws -> Kernel
    ) throws -> Kernel {
        var check = HyperparameterCheck(layerType)
        check.require((1...65536).contains(poolSize), "poolSize", poolSize, "expected a positive integer")
        check.require(strides.map { (1...65536).contains($0) } ?? true, "strides", strides.map(String.init) ?? "nil",
                      "expected a positive integer")
        check.require(padding != .causal, "padding", "causal", "expected .valid or .same")
        try check.throwIfInvalid()
        guard inputShape.count == 2 else {
            throw incompatibleInput(name, expected: "(None, steps, channels)", received: inputShape)
        }
        do {
            return try make([1] + inputShape, (1, poolSize), strides.map { (1, $0) }, padding)
        } catch let error as TensorError {
            throw incompatibleInput(name, expected: "sequences of at least \(poolSize) steps", received: inputShape,
                                    hint: "use padding: .same or a smaller pool (\(error))")
        }
    }
}

extension Tensor {
    /// `[N, steps, channels]` as `[N, 1, steps, channels]` (the same scalars): sequences as
    /// images one row high, for the 2-D kernels.
    func sequencesAsImages() throws -> Tensor {
        try wrappingTensorErrors { try reshaped([shape[0], 1] + shape.dropFirst()) }
    }

    /// The inverse of ``sequencesAsImages()``: `[N, 1, steps, channels]` as `[N, steps, channels]`.
    func imagesAsSequences() throws -> Tensor {
        try wrappingTensorErrors { try reshaped([shape[0]] + shape.dropFirst(2)) }
    }
}
