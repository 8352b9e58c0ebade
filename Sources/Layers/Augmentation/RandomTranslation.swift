import Tensor

/// Shifts each training image by up to `height` of its height and `width` of its width
/// (fractions, as in Keras), filling with zeros.
public struct RandomTranslation: RandomAffineLayer {
    public var name = ""
    /// The largest shifts, as fractions of the image's height and width.
    public let heightFactor, widthFactor: Float
    public var resampler: AffineResampleKernel?
    public var transformedLastInput = false
    public var hyperparameterError: LayersError? { check.error }
    private var check = HyperparameterCheck("RandomTranslation")

    /// Shifts up to `height · H` rows and `width · W` columns either way.
    public init(height: Float, width: Float) {
        heightFactor = height
        widthFactor = width
        check.requireFactor(heightFactor, "height")
        check.requireFactor(widthFactor, "width")
    }


    public func randomTransform(height: Int, width: Int, using generator: inout RandomGenerator) -> AffineTransform {
        .translation(rows: uniform(-heightFactor, heightFactor, &generator) * Float(height),
                     columns: uniform(-widthFactor, widthFactor, &generator) * Float(width))
    }
}

// MARK: Saving

extension RandomTranslation: SerializableLayer {
    public struct Configuration: Codable { var height, width: Float }
    public var configuration: Configuration { Configuration(height: heightFactor, width: widthFactor) }
    public init(configuration: Configuration) { self.init(height: configuration.height, width: configuration.width) }
}
