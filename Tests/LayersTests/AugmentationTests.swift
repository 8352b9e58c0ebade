import Testing
import Layers
import Tensor

@Suite("Data augmentation layers")
struct AugmentationTests {
    let images = randomTensor([3, 7, 6, 2], seed: 21)

    func run<L: Layer>(_ layer: L, _ x: Tensor, training: Bool, seed: UInt64 = 5) throws -> (L, Tensor) {
        var layer = layer
        var build = BuildContext(generator: RandomGenerator(seed: 1))
        _ = try layer.build(inputShape: Array(x.shape.dropFirst()), context: &build)
        var context = ForwardContext(training: training, generator: RandomGenerator(seed: seed))
        let y = try layer.forward(x, context: &context)
        return (layer, y)
    }

    @Test("backward is the adjoint of the resampling (finite differences)", arguments: [0, 1, 2, 3])
    func gradients(_ which: Int) throws {
        let layers: [any Layer] = [RandomRotation(0.1), RandomTranslation(height: 0.2, width: 0.3),
                                   RandomZoom(heightFactor: 0.3, widthFactor: 0.2), RandomFlip()]
        func check<L: Layer>(_ layer: L) throws -> Float { try checkGradients(layer, sampleShape: [7, 6, 2]).worst }
        #expect(try check(layers[which]) < 1e-2)
    }

    @Test("inference passes images through unchanged (and training does not)")
    func inferenceIsIdentity() throws {
        // Compared with an independent copy, scalar by scalar: not with `images` itself, which a
        // returned input would equal by sharing its buffer.
        let copy = try Tensor(shape: images.shape, scalars: images.scalars)
        for layer in [RandomRotation(0.2) as any Layer, RandomTranslation(height: 0.2, width: 0.2), RandomZoom(heightFactor: 0.5), RandomFlip()] {
            func outputs<L: Layer>(_ layer: L) throws -> (inference: [Float], training: [Float]) {
                (try run(layer, images, training: false).1.scalars, try run(layer, images, training: true).1.scalars)
            }
            let (inference, training) = try outputs(layer)
            #expect(inference.elementsEqual(copy.scalars), "\(type(of: layer)) changed images at inference")
            #expect(!training.elementsEqual(copy.scalars), "\(type(of: layer)) did not augment in training, so this check would prove nothing")
        }
    }

    @Test("zero factors are the identity in training too; whole-pixel shifts move content exactly")
    func exactCases() throws {
        #expect(try run(RandomRotation(0), images, training: true).1 == images)
        #expect(try run(RandomTranslation(height: 0, width: 0), images, training: true).1 == images)
        // Every flipped image is the exact mirror of its original, the others are unchanged.
        let (_, flipped) = try run(RandomFlip(.horizontal), images, training: true)
        var sawFlip = false
        for n in 0..<3 {
            let original = try images.slice(batch: n..<n + 1)
            let output = try flipped.slice(batch: n..<n + 1)
            var mirror = original
            for r in 0..<7 { for c in 0..<6 { for ch in 0..<2 { mirror[0, r, c, ch] = original[0, r, 5 - c, ch] } } }
            #expect(output == original || output == mirror)
            sawFlip = sawFlip || output == mirror
        }
        #expect(sawFlip, "with seed 5, at least one of three images is flipped")
    }

    @Test("a rotation by a quarter turn moves a corner pixel to the next corner")
    func quarterTurn() throws {
        var image = try Tensor.zeros([1, 5, 5, 1])
        image[0, 0, 0, 0] = 1
        let rotated = try AffineResamplerProbe.rotate(image, by: .pi / 2)
        let corners = [rotated[0, 0, 0, 0], rotated[0, 0, 4, 0], rotated[0, 4, 0, 0], rotated[0, 4, 4, 0]]
        #expect(corners.filter { abs($0 - 1) < 1e-5 }.count == 1 && rotated[0, 0, 0, 0] < 1e-5, "\(corners)")
        #expect(abs(rotated.sum() - 1) < 1e-5)
    }

    @Test("the same seed draws the same augmentation")
    func seeded() throws {
        let layer = RandomRotation(0.1)
        #expect(try run(layer, images, training: true, seed: 3).1 == run(layer, images, training: true, seed: 3).1)
        #expect(try run(layer, images, training: true, seed: 3).1 != run(layer, images, training: true, seed: 4).1)
    }

    @Test("bad factors are reported at build")
    func badFactors() throws {
        #expect(throws: LayersError.self) { try run(RandomRotation(-0.1), images, training: true) }
        #expect(throws: LayersError.self) { try run(RandomZoom(heightFactor: 1.5), images, training: true) }
        #expect(throws: LayersError.self) { try run(RandomTranslation(height: 2, width: 0), images, training: true) }
        #expect(throws: LayersError.self) { try run(RandomRotation(0.1), randomTensor([2, 5], seed: 1), training: true) }
    }
}

/// A rotation by a fixed angle, as a user-defined RandomAffineLayer (the protocol users
/// conform to for their own geometric augmentations).
enum AffineResamplerProbe {
    struct FixedRotation: RandomAffineLayer {
        var name = ""
        var angle: Float
        var resampler: AffineResampleKernel?
        var transformedLastInput = false
        func randomTransform(height: Int, width: Int, using generator: inout RandomGenerator) -> AffineTransform {
            .rotation(angle)
        }
    }

    static func rotate(_ image: Tensor, by angle: Float) throws -> Tensor {
        var layer = FixedRotation(angle: angle)
        var build = BuildContext(generator: RandomGenerator(seed: 1))
        _ = try layer.build(inputShape: Array(image.shape.dropFirst()), context: &build)
        var context = ForwardContext(training: true)
        return try layer.forward(image, context: &context)
    }
}
