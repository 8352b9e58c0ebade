import Layers
import Tensor

/// Small problems that a correct training loop learns in seconds.
enum SyntheticData {
    /// `classes` Gaussian blobs in `features` dimensions, centres 4 apart: separable.
    /// The centres depend on `seed` only; `noiseSeed` draws a new sample of the same problem.
    static func blobs(samples: Int, classes: Int, features: Int = 2, seed: UInt64, noiseSeed: UInt64? = nil) -> (x: Tensor, labels: [Int]) {
        var generator = RandomGenerator(seed: seed)
        let centres = (0..<classes).map { _ in (0..<features).map { _ in Float.random(in: -4...4, using: &generator) } }
        if let noiseSeed { generator = RandomGenerator(seed: noiseSeed) }
        var scalars: [Float] = []
        var labels: [Int] = []
        for index in 0..<samples {
            let label = index % classes
            labels.append(label)
            scalars += centres[label].map { $0 + 0.5 * generator.nextGaussian() }
        }
        return (try! Tensor(shape: [samples, features], scalars: scalars), labels)
    }

    /// XOR of the signs of two coordinates: not linearly separable.
    static func xor(samples: Int, seed: UInt64) -> (x: Tensor, y: Tensor) {
        var generator = RandomGenerator(seed: seed)
        var scalars: [Float] = []
        var labels: [Float] = []
        for _ in 0..<samples {
            let a = Float.random(in: -1...1, using: &generator)
            let b = Float.random(in: -1...1, using: &generator)
            scalars += [a, b]
            labels.append((a > 0) != (b > 0) ? 1 : 0)
        }
        return (try! Tensor(shape: [samples, 2], scalars: scalars), try! Tensor(shape: [samples, 1], scalars: labels))
    }

    /// 8x8 grayscale images of a horizontal or a vertical bar at a random position.
    static func bars(samples: Int, seed: UInt64) -> (x: Tensor, labels: [Int]) {
        var generator = RandomGenerator(seed: seed)
        var scalars: [Float] = []
        var labels: [Int] = []
        for index in 0..<samples {
            let vertical = index % 2
            let position = Int.random(in: 1..<7, using: &generator)
            var image = [Float](repeating: 0, count: 64)
            for i in 0..<8 {
                image[vertical == 1 ? i * 8 + position : position * 8 + i] = 1
            }
            scalars += image.map { $0 + 0.1 * generator.nextGaussian() }
            labels.append(vertical)
        }
        return (try! Tensor(shape: [samples, 8, 8, 1], scalars: scalars), labels)
    }
}
