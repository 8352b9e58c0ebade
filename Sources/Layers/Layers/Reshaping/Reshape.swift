import Tensor

/// Gives each sample a new shape with the same number of elements (no copy); one
/// dimension may be -1 to be inferred: `Reshape([28, 28, 1])`.
public struct Reshape: Layer {
    public var name = ""
    /// The shape of one output sample, as given.
    public let targetShape: [Int]
    private var check = HyperparameterCheck("Reshape")
    private var resolvedShape: [Int] = []
    private var inputShape: [Int] = []

    /// A reshape to `targetShape` (per sample).
    public init(_ targetShape: [Int]) {
        self.targetShape = targetShape
        check.require(!targetShape.isEmpty && targetShape.allSatisfy { $0 > 0 || $0 == -1 }
                      && targetShape.filter { $0 == -1 }.count <= 1,
                      "targetShape", targetShape, "expected positive dimensions and at most one -1")
    }

    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        try check.throwIfInvalid()
        let count = inputShape.reduce(1, *)
        let known = targetShape.filter { $0 != -1 }.reduce(1, *)
        var resolved = targetShape
        if let free = targetShape.firstIndex(of: -1), count % known == 0 { resolved[free] = count / known }
        guard resolved.reduce(1, *) == count, !resolved.contains(-1) else {
            throw incompatibleInput(name, expected: "\(count) elements to fit \(targetShape)", received: inputShape)
        }
        resolvedShape = resolved
        return resolved
    }

    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        inputShape = input.shape
        return try input.reshaped([input.shape.first ?? 0] + resolvedShape)
    }

    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.reshaped(inputShape)
    }
}

// MARK: Saving

extension Reshape: SerializableLayer {
    public struct Configuration: Codable { var targetShape: [Int] }
    public var configuration: Configuration { Configuration(targetShape: targetShape) }
    public init(configuration: Configuration) { self.init(configuration.targetShape) }
}
