import Tensor

/// Gradient clipping as Keras's optimizers offer it, applied by the optimizer before each
/// update to the flat buffer of all gradients.
public struct GradientClipping: Sendable, Equatable, Codable {
    /// Each parameter's gradient is rescaled so that its L2 norm is at most this.
    public var clipNorm: Float?
    /// Each gradient element is clamped to `[−clipValue, clipValue]`.
    public var clipValue: Float?
    /// All gradients together are rescaled so that their joint L2 norm is at most this.
    public var globalClipNorm: Float?

    /// Clipping by any combination of the three rules (none by default).
    public init(clipNorm: Float? = nil, clipValue: Float? = nil, globalClipNorm: Float? = nil) {
        self.clipNorm = clipNorm
        self.clipValue = clipValue
        self.globalClipNorm = globalClipNorm
    }

    /// Clips `gradients` in place: by value, then each segment (one parameter's gradient) by
    /// its norm, then all of it by the global norm.
    /// - Throws: `TensorError` when a segment is outside `gradients`.
    public func clip(_ gradients: inout Tensor, segments: [Range<Int>]) throws {
        if let clipValue {
            try gradients.mapInPlace(in: 0..<gradients.count) { Swift.min(Swift.max($0, -clipValue), clipValue) }
        }
        if let clipNorm {
            for segment in segments {
                let norm = Float(try gradients.sumOfSquares(in: segment).squareRoot())
                if norm > clipNorm {
                    let scale = clipNorm / norm
                    try gradients.mapInPlace(in: segment) { $0 * scale }
                }
            }
        }
        if let globalClipNorm {
            let norm = Float(try gradients.sumOfSquares(in: 0..<gradients.count).squareRoot())
            if norm > globalClipNorm {
                gradients *= globalClipNorm / norm
            }
        }
    }

    /// The hyper-parameter errors of this clipping, for the optimizers' inits.
    func validate(_ optimizer: String) throws {
        for (name, value) in [("clipNorm", clipNorm), ("clipValue", clipValue), ("globalClipNorm", globalClipNorm)] {
            if let value, !(value > 0) {
                throw LayersError.invalidArgument(layer: optimizer, argument: name, value: "\(value)", reason: "expected a positive value")
            }
        }
    }
}
