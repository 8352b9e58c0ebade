import Foundation
import Tensor

/// Element-wise functions and activations, each differentiated from what its forward kept.
extension Variable {
    /// `e^x`.
    public func exp() throws -> Variable {
        let y = value.exp()
        return try Variable.record(.exp, y, [self]) { g, _ in [try g * y] }
    }

    /// The natural logarithm.
    public func log() throws -> Variable {
        let x = value
        return try Variable.record(.log, x.log(), [self]) { g, _ in [try g / x] }
    }

    /// The square root.
    public func sqrt() throws -> Variable {
        let y = value.sqrt()
        return try Variable.record(.sqrt, y, [self]) { g, _ in [try g.zip(y) { $0 * 0.5 / $1 }] }
    }

    /// Every element raised to `exponent`.
    public func pow(_ exponent: Float) throws -> Variable {
        let x = value
        return try Variable.record(.pow, x.pow(exponent), [self]) { g, _ in
            [try g.zip(x) { $0 * exponent * Foundation.pow($1, exponent - 1) }]
        }
    }

    /// The absolute value; its gradient is 0 at 0.
    public func abs() throws -> Variable {
        let x = value
        return try Variable.record(.abs, x.abs(), [self]) { g, _ in [try g.zip(x) { $1 > 0 ? $0 : $1 < 0 ? -$0 : 0 }] }
    }

    /// Every element limited to `range`; the gradient is 0 where the limit applies.
    public func clamped(to range: ClosedRange<Float>) throws -> Variable {
        let x = value
        return try Variable.record(.clamp, x.clamped(to: range), [self]) { g, _ in
            [try g.zip(x) { range.contains($1) ? $0 : 0 }]
        }
    }

    /// The hyperbolic tangent.
    public func tanh() throws -> Variable {
        let y = value.tanh()
        return try Variable.record(.tanh, y, [self]) { g, _ in [try g.zip(y) { $0 * (1 - $1 * $1) }] }
    }

    /// `1 / (1 + e^-x)`.
    public func sigmoid() throws -> Variable {
        let y = value.sigmoid()
        return try Variable.record(.sigmoid, y, [self]) { g, _ in [try g.zip(y) { $0 * $1 * (1 - $1) }] }
    }

    /// `max(x, 0)`; its gradient is 0 at 0.
    public func relu() throws -> Variable {
        let y = value.relu()
        return try Variable.record(.relu, y, [self]) { g, _ in [try g.zip(y) { $1 > 0 ? $0 : 0 }] }
    }

    /// The Gaussian error linear unit, exact (`x·Φ(x)`) or in its tanh form with `approximate`.
    public func gelu(approximate: Bool = false) throws -> Variable {
        let x = value
        return try Variable.record(.gelu, x.gelu(approximate: approximate), [self]) { g, _ in
            [try Tensor.geluBackward(input: x, outputGradient: g, approximate: approximate)]
        }
    }

    /// The softmax along the last axis.
    /// - Throws: for an empty last axis.
    public func softmax() throws -> Variable {
        let y = try value.softmax()
        return try Variable.record(.softmax, y, [self]) { g, _ in
            [try Tensor.softmaxBackward(output: y, outputGradient: g)]
        }
    }

    /// The log of the softmax along the last axis, computed without overflow.
    /// - Throws: for an empty last axis.
    public func logSoftmax() throws -> Variable {
        let y = try value.logSoftmax()
        return try Variable.record(.logSoftmax, y, [self]) { g, _ in
            // dx = dy − softmax · Σ dy (along the last axis)
            let total = try g.sum(alongAxes: [-1], keepingDimensions: true)
            return [try g - Tensor.broadcasting(y.exp(), total, *)]
        }
    }

    /// `log Σ exp(x)` along `axis`, computed without overflow; the axis is kept with length 1
    /// when `keepingDimensions`.
    /// - Throws: for an axis out of range or of length 0.
    public func logSumExp(alongAxis axis: Int = -1, keepingDimensions: Bool = false) throws -> Variable {
        let x = value
        let axis = try x.normalizedAxis(axis, operation: "logSumExp")
        var maximum = try x.reduce(alongAxes: [axis], keepingDimensions: true, operation: "logSumExp") {
            try $0.max(alongAxis: $1)
        }
        maximum.mapInPlace { $0.isFinite ? $0 : 0 }  // rows of -inf give -inf, not NaN
        let shifted = try Tensor.broadcasting(x, maximum, -).exp()
        let kept = try shifted.sum(alongAxes: [axis], keepingDimensions: true).log() + maximum
        var reducedShape = x.shape
        reducedShape.remove(at: axis)
        let result = keepingDimensions ? kept : try kept.reshaped(reducedShape)
        return try Variable.record(.logSumExp, result, [self]) { g, _ in
            [try Tensor.broadcasting(try Tensor.broadcasting(x, kept, -).exp(), try g.reshaped(kept.shape), *)]
        }
    }
}
