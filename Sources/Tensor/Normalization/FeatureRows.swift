/// What the normalisation kernels share: a tensor seen as rows of `features` on its last
/// axis, with the checks of their sizes, epsilon and per-feature vectors.
struct FeatureRows: Sendable {
    /// The size of the last axis.
    let features: Int

    /// Rows of `features`, normalised with `epsilon`.
    /// - Throws: ``TensorError/invalidArgument(name:value:reason:)`` for a non-positive size or epsilon.
    init(features: Int, epsilon: Float) throws {
        guard features > 0 else {
            throw TensorError.invalidArgument(name: "features", value: "\(features)", reason: "expected a positive count")
        }
        guard epsilon > 0, epsilon.isFinite else {
            throw TensorError.invalidArgument(name: "epsilon", value: "\(epsilon)", reason: "expected a positive finite value")
        }
        self.features = features
    }

    /// The number of rows of `tensor`, whose last axis must be `features` long, with at least one row.
    func count(of tensor: Tensor, operation: String) throws -> Int {
        guard tensor.rank >= 1, tensor.shape.last == features else {
            throw TensorError.shapeMismatch(
                operation: operation + " (last axis)", expected: Array(tensor.shape.dropLast()) + [features], found: tensor.shape)
        }
        guard tensor.count > 0 else {
            throw TensorError.invalidShape(operation: operation, shape: tensor.shape, reason: "expected at least one row")
        }
        return tensor.count / features
    }

    /// Checks that each vector given is `[features]`.
    func requireFeatureVectors(_ vectors: [Tensor?], operation: String) throws {
        for case let vector? in vectors where vector.shape != [features] {
            throw TensorError.shapeMismatch(operation: operation + " (per-feature vector)", expected: [features], found: vector.shape)
        }
    }
}
