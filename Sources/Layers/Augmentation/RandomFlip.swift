import Tensor

/// Mirrors each training image with probability ½ (per direction), for data whose labels
/// do not depend on orientation (not digits).
public struct RandomFlip: RandomAffineLayer {
    /// Which directions to flip.
    public enum Mode: String, Sendable, Codable {
        case horizontal, vertical, horizontalAndVertical
    }

    public var name = ""
    public let mode: Mode
    public var resampler: AffineResampleKernel?
    public var transformedLastInput = false

    /// Random flips in `mode`.
    public init(_ mode: Mode = .horizontalAndVertical) { self.mode = mode }

    public func randomTransform(height: Int, width: Int, using generator: inout RandomGenerator) -> AffineTransform {
        let flipColumns = mode != .vertical && generator.nextUnitFloat() < 0.5
        let flipRows = mode != .horizontal && generator.nextUnitFloat() < 0.5
        return .zoom(rows: flipRows ? -1 : 1, columns: flipColumns ? -1 : 1)
    }

}

// MARK: Saving

extension RandomFlip: SerializableLayer {
    public struct Configuration: Codable { var mode: Mode }
    public var configuration: Configuration { Configuration(mode: mode) }
    public init(configuration: Configuration) { self.init(configuration.mode) }
}
