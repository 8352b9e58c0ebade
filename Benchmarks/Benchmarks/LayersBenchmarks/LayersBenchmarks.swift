// One training step (forward, loss, backward, Adam) and one inference pass of the
// reference CNN at batch 128, with allocation counts: in steady state a step must free
// everything it allocates (memoryLeakedBytes 0), so memory does not grow with the steps.
import Benchmark
import Layers
import Tensor

let batch = 128

final class ReferenceCNN {
    let model: Sequential
    let x: Tensor
    let y: Tensor

    init(augmentation: Bool) {
        model = Sequential(seed: 1) {
            Input(shape: [28, 28, 1])
            if augmentation {
                RandomRotation(0.05)
                RandomTranslation(height: 0.1, width: 0.1)
            }
            Conv2D(filters: 32, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Conv2D(filters: 64, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Flatten()
            Dropout(rate: 0.5)
            Dense(units: 10, activation: .softmax)
        }
        try! model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        var generator = RandomGenerator(seed: 2)
        x = try! Tensor.uniform([batch, 28, 28, 1], using: &generator)
        y = try! Tensor.oneHot((0..<batch).map { $0 % 10 }, classes: 10)
        for _ in 0..<3 { try! model.trainOnBatch(x: x, y: y) }  // reach steady state
    }
}

final class Lazy<Value> {
    private let make: () -> Value
    private var built: Value?
    init(_ make: @escaping () -> Value) { self.make = make }
    var value: Value {
        if let built { return built }
        let value = make()
        built = value
        return value
    }
}

/// A BatchNormalization layer on conv1-sized activations of the reference CNN. (Its few
/// mallocs and the bytes not yet freed when a sample ends are Dispatch's, for the threads
/// of its parallel loops; with `ComputeThreads.count = 1` it makes 4 and frees them all.)
final class BatchNormalizationPass {
    var layer = BatchNormalization()
    let x: Tensor
    let dy: Tensor

    init() {
        var context = BuildContext(generator: RandomGenerator(seed: 3))
        _ = try! layer.build(inputShape: [26, 26, 32], context: &context)
        var generator = RandomGenerator(seed: 4)
        x = try! Tensor.uniform([batch, 26, 26, 32], using: &generator)
        dy = try! Tensor.uniform([batch, 26, 26, 32], using: &generator)
    }

    func step() throws -> Tensor {
        var context = ForwardContext(training: true)
        blackHole(try layer.forward(x, context: &context))
        return try layer.backward(dy)
    }
}

/// The reference CNN's augmentation layers on a batch of MNIST-sized images, in training mode.
final class AugmentationPass {
    var rotation = RandomRotation(0.05)
    var translation = RandomTranslation(height: 0.1, width: 0.1)
    var context = ForwardContext(training: true, generator: RandomGenerator(seed: 5))
    let x: Tensor

    init() {
        var build = BuildContext(generator: RandomGenerator(seed: 3))
        _ = try! rotation.build(inputShape: [28, 28, 1], context: &build)
        _ = try! translation.build(inputShape: [28, 28, 1], context: &build)
        var generator = RandomGenerator(seed: 4)
        x = try! Tensor.uniform([batch, 28, 28, 1], using: &generator)
    }

    func step() throws -> Tensor {
        try translation.forward(try rotation.forward(x, context: &context), context: &context)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .memoryLeakedBytes], warmupIterations: 2, scalingFactor: .one,
        maxDuration: .seconds(5), maxIterations: 40)

    let plain = Lazy { ReferenceCNN(augmentation: false) }
    let augmented = Lazy { ReferenceCNN(augmentation: true) }

    Benchmark("reference CNN training step, batch 128") { benchmark in
        let cnn = plain.value
        benchmark.startMeasurement()
        blackHole(try cnn.model.trainOnBatch(x: cnn.x, y: cnn.y))
    }
    Benchmark("reference CNN + rotation/translation augmentation, training step, batch 128") { benchmark in
        let cnn = augmented.value
        benchmark.startMeasurement()
        blackHole(try cnn.model.trainOnBatch(x: cnn.x, y: cnn.y))
    }
    let batchNormalization = Lazy { BatchNormalizationPass() }
    Benchmark("BatchNormalization 26x26x32 forward+backward (training), batch 128") { benchmark in
        let pass = batchNormalization.value
        benchmark.startMeasurement()
        blackHole(try pass.step())
    }
    let augmentation = Lazy { AugmentationPass() }
    Benchmark("RandomRotation + RandomTranslation forward (training), 28x28x1, batch 128") { benchmark in
        let pass = augmentation.value
        benchmark.startMeasurement()
        blackHole(try pass.step())
    }
    Benchmark("reference CNN predict, batch 128") { benchmark in
        let cnn = plain.value
        benchmark.startMeasurement()
        blackHole(try cnn.model.predict(cnn.x, batchSize: batch))
    }
}
