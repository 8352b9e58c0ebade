import Tensor

/// Zooms each training image by a random amount in `[−factor, factor]`: as in Keras, a
/// positive amount zooms out (the content shrinks), a negative one zooms in. Without a
/// `widthFactor` the aspect ratio is kept. Fills with zeros.
public struct RandomZoom: RandomAffineLayer {
    public var name = ""
    /// The largest zoom amounts, as fractions.
    public let heightFactor: Float
    public let widthFactor: Float?
    public var resampler: AffineResampleKernel?
    public var transformedLastInput = false
    public var hyperparameterError: LayersError? { check.error }
    private var check = HyperparameterCheck("RandomZoom")

    /// Zooms up to `heightFactor` (and `widthFactor`, or the same as the height) either way.
    public init(heightFactor: Float, widthFactor: Float? = nil) {
        self.heightFactor = heightFactor
        self.widthFactor = widthFactor
        check.requireFactor(heightFactor, "heightFactor", upTo: 0.99)
        if let widthFactor { check.requireFactor(widthFactor, "widthFactor", upTo: 0.99) }
    }

    public func randomTransform(height: Int, width: Int, using generator: inout RandomGenerator) -> AffineTransform {
        let rows = 1 + uniform(-heightFactor, heightFactor, &generator)
        let columns = widthFactor.map { 1 + uniform(-$0, $0, &generator) } ?? rows
        return .zoom(rows: rows, columns: columns)
    }
}

// MARK: Saving

extension RandomZoom: SerializableLayer {
    public struct Configuration: Codable { var heightFactor: Float; var widthFactor: Float? }
    public var configuration: Configuration { Configuration(heightFactor: heightFactor, widthFactor: widthFactor) }
    public init(configuration: Configuration) { self.init(heightFactor: configuration.heightFactor, widthFactor: configuration.widthFactor) }
}
