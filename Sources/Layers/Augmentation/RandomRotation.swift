import Tensor

/// Rotates each training image by a random angle in `[−factor, factor] · 2π` (Keras's
/// convention: `RandomRotation(0.05)` is up to ±18°), filling with zeros.
public struct RandomRotation: RandomAffineLayer {
    public var name = ""
    /// The largest rotation, as a fraction of a full turn.
    public let factor: Float
    public var resampler: AffineResampleKernel?
    public var transformedLastInput = false
    public var hyperparameterError: LayersError? { check.error }
    private var check = HyperparameterCheck("RandomRotation")

    /// Rotations up to `factor` of a full turn either way.
    public init(_ factor: Float) {
        self.factor = factor
        check.requireFactor(factor, "factor")
    }

    public func randomTransform(height: Int, width: Int, using generator: inout RandomGenerator) -> AffineTransform {
        .rotation(uniform(-factor, factor, &generator) * 2 * .pi)
    }
}

// MARK: Saving

extension RandomRotation: SerializableLayer {
    public struct Configuration: Codable { var factor: Float }
    public var configuration: Configuration { Configuration(factor: factor) }
    public init(configuration: Configuration) { self.init(configuration.factor) }
}
