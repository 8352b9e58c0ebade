extension Tensor {
    /// Uniform samples in `[lowerBound, upperBound)`.
    /// - Throws: for a negative dimension, or when `lowerBound > upperBound`.
    public static func uniform(
        _ shape: [Int], lowerBound: Float = 0, upperBound: Float = 1, using generator: inout RandomGenerator
    ) throws -> Tensor {
        guard lowerBound <= upperBound else {
            throw TensorError.invalidArgument(
                name: "lowerBound", value: "\(lowerBound)", reason: "expected lowerBound <= upperBound (\(upperBound))")
        }
        var result = try Tensor.zeros(shape)
        let width = upperBound - lowerBound
        result.mapInPlace { _ in lowerBound + width * generator.nextUnitFloat() }
        return result
    }

    /// Normal samples with the given mean and standard deviation.
    /// - Throws: for a negative dimension or a negative standard deviation.
    public static func normal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout RandomGenerator
    ) throws -> Tensor {
        try checkStandardDeviation(standardDeviation)
        var result = try Tensor.zeros(shape)
        result.mapInPlace { _ in mean + standardDeviation * generator.nextGaussian() }
        return result
    }

    /// Normal samples redrawn until they lie within two standard deviations of the mean
    /// (Keras's `TruncatedNormal`).
    /// - Throws: for a negative dimension or a negative standard deviation.
    public static func truncatedNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout RandomGenerator
    ) throws -> Tensor {
        try checkStandardDeviation(standardDeviation)
        var result = try Tensor.zeros(shape)
        result.mapInPlace { _ in
            var sample = generator.nextGaussian()
            while Swift.abs(sample) > 2 { sample = generator.nextGaussian() }
            return mean + standardDeviation * sample
        }
        return result
    }

    /// Glorot (Xavier) uniform: `U(-l, l)` with `l = sqrt(6 / (fanIn + fanOut))`; Keras's default kernel initialiser.
    public static func glorotUniform(_ shape: [Int], using generator: inout RandomGenerator) throws -> Tensor {
        let (fanIn, fanOut) = try fans(of: shape)
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        return try uniform(shape, lowerBound: -limit, upperBound: limit, using: &generator)
    }

    /// Glorot normal: truncated normal with variance `2 / (fanIn + fanOut)`, as Keras computes it.
    public static func glorotNormal(_ shape: [Int], using generator: inout RandomGenerator) throws -> Tensor {
        let (fanIn, fanOut) = try fans(of: shape)
        return try truncatedNormal(
            shape, standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot() / truncationCorrection, using: &generator)
    }

    /// He uniform: `U(-l, l)` with `l = sqrt(6 / fanIn)`; suited to ReLU layers.
    public static func heUniform(_ shape: [Int], using generator: inout RandomGenerator) throws -> Tensor {
        let (fanIn, _) = try fans(of: shape)
        let limit = (6 / Float(fanIn)).squareRoot()
        return try uniform(shape, lowerBound: -limit, upperBound: limit, using: &generator)
    }

    /// He normal: truncated normal with variance `2 / fanIn`, as Keras computes it.
    public static func heNormal(_ shape: [Int], using generator: inout RandomGenerator) throws -> Tensor {
        let (fanIn, _) = try fans(of: shape)
        return try truncatedNormal(
            shape, standardDeviation: (2 / Float(fanIn)).squareRoot() / truncationCorrection, using: &generator)
    }

    /// A (semi-)orthogonal matrix times `gain`, shaped `shape`, as Keras's `Orthogonal`: the
    /// tensor is seen as `[product of all but the last axis, last axis]`, a normal sample of
    /// the taller orientation is factored as QR (LAPACK), and `Q` with the signs of `R`'s
    /// diagonal is kept, so its columns (or rows, when wide) are orthonormal.
    /// - Throws: ``TensorError`` for a shape of rank < 2 or with a zero dimension.
    public static func orthogonal(_ shape: [Int], gain: Float = 1, using generator: inout RandomGenerator) throws -> Tensor {
        let count = try elementCount(of: shape, operation: "orthogonal")
        guard shape.count >= 2, count > 0 else {
            throw TensorError.invalidShape(operation: "orthogonal", shape: shape, reason: "expected rank >= 2 and no zero dimension")
        }
        let columns = shape[shape.count - 1], rows = count / columns
        let (tall, short) = (Swift.max(rows, columns), Swift.min(rows, columns))
        var q = try normal([tall, short], using: &generator)
        q.makeUnique()
        let diagonal = try LAPACK.qr(q.storage.pointer, rows: tall, columns: short)
        let signs = diagonal.map { $0 < 0 ? -gain : gain }
        for row in 0..<tall {
            for column in 0..<short { q.storage.pointer[row * short + column] *= signs[column] }
        }
        return try (rows < columns ? q.transposed() : q).reshaped(shape)
    }

    /// The fan-in and fan-out of a weight shape, as Keras computes them: `[in, out]` for a
    /// dense kernel, and for a convolution kernel `[kh, kw, cin, cout]`
    /// `fanIn = kh·kw·cin`, `fanOut = kh·kw·cout`.
    /// - Throws: ``TensorError/invalidShape(operation:shape:reason:)`` when a fan would be 0.
    public static func fans(of shape: [Int]) throws -> (fanIn: Int, fanOut: Int) {
        let fans: (Int, Int)
        switch shape.count {
        case 0: fans = (1, 1)
        case 1: fans = (shape[0], shape[0])
        case 2: fans = (shape[0], shape[1])
        default:
            let receptiveField = shape.dropLast(2).reduce(1, *)
            fans = (shape[shape.count - 2] * receptiveField, shape[shape.count - 1] * receptiveField)
        }
        guard fans.0 > 0, fans.1 > 0 else {
            throw TensorError.invalidShape(operation: "fans(of:)", shape: shape, reason: "fan-in and fan-out must be positive")
        }
        return fans
    }

    /// The standard deviation of a unit normal truncated at ±2, which Keras divides by so
    /// that the truncated samples keep the intended variance.
    private static let truncationCorrection: Float = 0.879_625_661_034_239_78

    private static func checkStandardDeviation(_ value: Float) throws {
        guard value >= 0, value.isFinite else {
            throw TensorError.invalidArgument(
                name: "standardDeviation", value: "\(value)", reason: "expected a finite value >= 0")
        }
    }
}
