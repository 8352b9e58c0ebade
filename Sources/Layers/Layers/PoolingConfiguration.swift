import Tensor

/// The hyper-parameters both 2-D pooling layers share, checked once, and the building of
/// their kernel for an input shape.
struct PoolingConfiguration: Sendable {
    let poolSize: Size2D
    let strides: Size2D?
    let padding: Padding
    private var check: HyperparameterCheck

    init(_ layer: String, poolSize: Size2D, strides: Size2D?, padding: Padding) {
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
        check = HyperparameterCheck(layer)
        check.require(poolSize.isPositive, "poolSize", poolSize, "expected positive sizes")
        check.require(strides?.isPositive ?? true, "strides", strides.map(\.description) ?? "nil", "expected positive strides")
    }

    /// The kernel for `[height, width, channels]` inputs, made by `make(inputShape, poolSize, strides, padding)`.
    /// - Throws: the hyper-parameter error, or an input error naming the layer.
    func makeKernel<Kernel>(
        layer name: String, inputShape: [Int],
        _ make: ([Int], (height: Int, width: Int), (height: Int, width: Int)?, Padding) throws -> Kernel
    ) throws -> Kernel {
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
