// Throughput of the engine's hot kernels on the reference CNN of the README
// (28x28x1 -> Conv2D 32 3x3 -> MaxPool 2 -> Conv2D 64 3x3 -> MaxPool 2 -> Dense 10) at batch 128.
//
// GEMM-based benchmarks report GFLOP/s (2·M·N·K per GEMM). The "efficiency" benchmark
// times plain sgemm and the whole convolution side by side in each sample, so that the
// ratios it reports are not skewed by the machine's noise between benchmarks.
import Benchmark
import Foundation
import Tensor

let batch = 128

enum Metric {
    static let gflops = BenchmarkMetric.custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    static let convPercentOfSgemm = BenchmarkMetric.custom(
        "conv2 fwd+bwd GFLOP/s as % of sgemm", polarity: .prefersLarger, useScalingFactor: false)
    static let im2colPercentOfGemm = BenchmarkMetric.custom(
        "im2col+col2im time as % of its GEMMs", polarity: .prefersSmaller, useScalingFactor: false)
}

/// A GEMM shape: C[m, n] = op(A)[m, k] · op(B)[k, n].
struct GemmShape {
    let name: String
    let m, n, k: Int
    var transposeA = false, transposeB = false
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    func operands(seed: UInt64) -> (Tensor, Tensor) {
        var generator = RandomGenerator(seed: seed)
        let a = try! Tensor.uniform(transposeA ? [k, m] : [m, k], lowerBound: -1, upperBound: 1, using: &generator)
        let b = try! Tensor.uniform(transposeB ? [n, k] : [k, n], lowerBound: -1, upperBound: 1, using: &generator)
        return (a, b)
    }
}

/// The GEMMs of one training step of the reference CNN at batch 128.
let referenceGemms = [
    GemmShape(name: "conv1 forward 86528x32x9", m: batch * 26 * 26, n: 32, k: 9),
    GemmShape(name: "conv1 dW 9x32x86528", m: 9, n: 32, k: batch * 26 * 26, transposeA: true),
    GemmShape(name: "conv2 forward 15488x64x288", m: batch * 11 * 11, n: 64, k: 288),
    GemmShape(name: "conv2 dW 288x64x15488", m: 288, n: 64, k: batch * 11 * 11, transposeA: true),
    GemmShape(name: "conv2 dCols 15488x288x64", m: batch * 11 * 11, n: 288, k: 64, transposeB: true),
    GemmShape(name: "dense forward 128x10x1600", m: batch, n: 10, k: 1600),
]

/// Times `body` once and returns the seconds it took.
@inline(__always)
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

func multiply(_ shape: GemmShape, _ a: Tensor, _ b: Tensor, into c: inout Tensor) {
    try! Tensor.matmul(a, transposed: shape.transposeA, b, transposed: shape.transposeB, into: &c)
}

/// Benchmarks one GEMM shape, reporting MFLOP/s.
func gemmBenchmark(_ shape: GemmShape) {
    Benchmark("sgemm \(shape.name)", configuration: .init(metrics: [.wallClock, Metric.gflops])) { benchmark in
        let (a, b) = shape.operands(seed: 1)
        var c = try Tensor.zeros([1])
        multiply(shape, a, b, into: &c)
        benchmark.startMeasurement()
        let time = seconds { multiply(shape, a, b, into: &c) }
        benchmark.stopMeasurement()
        benchmark.measurement(Metric.gflops, Int(shape.flops / time / 1e9))
        blackHole(c)
    }
}

/// One convolution layer of the reference CNN with its operands, built once and stepped
/// the way a layer does in training: outputs and gradients go into buffers it keeps.
final class ConvLayer {
    var kernel: Conv2DKernel
    let input, weights, bias, outputGradient: Tensor
    let needsInputGradient: Bool
    var output = Tensor([])
    var gradients = Conv2DKernel.Gradients()

    init(height: Int, channels: Int, filters: Int, needsInputGradient: Bool, algorithm: Conv2DKernel.Algorithm = .im2col) {
        kernel = try! Conv2DKernel(inputShape: [height, height, channels], filters: filters, kernelSize: (3, 3),
                                   algorithm: algorithm)
        var generator = RandomGenerator(seed: 7)
        input = try! Tensor.uniform([batch, height, height, channels], using: &generator)
        weights = try! Tensor.glorotUniform(kernel.weightShape, using: &generator)
        bias = try! Tensor.zeros([filters])
        outputGradient = try! Tensor.uniform([batch] + kernel.outputShape, lowerBound: -1, upperBound: 1, using: &generator)
        self.needsInputGradient = needsInputGradient
        forward()
        backward()
    }

    /// The FLOPs of the direct convolution (for Winograd, which does fewer, a rate above
    /// sgemm's is the saving).
    var forwardFlops: Double {
        2 * Double(batch * kernel.outputShape[0] * kernel.outputShape[1]) * Double(kernel.weightShape.reduce(1, *))
    }
    var backwardFlops: Double { forwardFlops * (needsInputGradient ? 2 : 1) }

    func forward() { try! kernel.forward(input, weights: weights, bias: bias, into: &output) }
    func backward() {
        try! kernel.backward(input: input, outputGradient: outputGradient, weights: weights,
                             inputGradient: needsInputGradient, into: &gradients)
    }
}

/// A fixture built on the first sample and kept for the following ones.
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

func convBenchmarks(_ name: String, _ makeLayer: @escaping () -> ConvLayer) {
    let layer = Lazy(makeLayer)
    Benchmark("\(name) forward", configuration: .init(metrics: [.wallClock, Metric.gflops])) { benchmark in
        let layer = layer.value
        benchmark.startMeasurement()
        let time = seconds { layer.forward() }
        benchmark.stopMeasurement()
        benchmark.measurement(Metric.gflops, Int(layer.forwardFlops / time / 1e9))
    }
    Benchmark("\(name) forward+backward", configuration: .init(metrics: [.wallClock, Metric.gflops])) { benchmark in
        let layer = layer.value
        benchmark.startMeasurement()
        let time = seconds {
            layer.forward()
            layer.backward()
        }
        benchmark.stopMeasurement()
        benchmark.measurement(Metric.gflops, Int((layer.forwardFlops + layer.backwardFlops) / time / 1e9))
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock], warmupIterations: 2, scalingFactor: .one,
        maxDuration: .seconds(3), maxIterations: 40)

    gemmBenchmark(GemmShape(name: "square 1024", m: 1024, n: 1024, k: 1024))
    gemmBenchmark(GemmShape(name: "square 512", m: 512, n: 512, k: 512))
    referenceGemms.forEach(gemmBenchmark)

    let conv2 = Lazy { ConvLayer(height: 13, channels: 32, filters: 64, needsInputGradient: true) }
    convBenchmarks("conv1 28x28x1->32 batch 128") { ConvLayer(height: 28, channels: 1, filters: 32, needsInputGradient: false) }
    convBenchmarks("conv2 13x13x32->64 batch 128 im2col") { conv2.value }
    for algorithm in [Conv2DKernel.Algorithm.winograd, .winograd4x4] {
        convBenchmarks("conv2 13x13x32->64 batch 128 \(algorithm)") {
            ConvLayer(height: 13, channels: 32, filters: 64, needsInputGradient: true, algorithm: algorithm)
        }
    }

    // The targets, measured side by side in every sample: conv2 forward+backward
    // against plain sgemm on its GEMM shapes, and im2col+col2im against those GEMMs.
    Benchmark("conv2 efficiency vs sgemm (same run; \(ComputeThreads.blasDescription))",
              configuration: .init(metrics: [Metric.convPercentOfSgemm, Metric.im2colPercentOfGemm])) { benchmark in
        let layer = conv2.value
        let shapes = referenceGemms.filter { $0.name.hasPrefix("conv2") }
        let operands = shapes.map { $0.operands(seed: 3) }
        var product = try Tensor.zeros([1])
        let columns = try layer.kernel.im2col(layer.input)
        for (shape, (a, b)) in zip(shapes, operands) { multiply(shape, a, b, into: &product) }

        let gemmTimes = zip(shapes, operands).map { shape, operands in
            seconds { multiply(shape, operands.0, operands.1, into: &product) }
        }
        let bestSgemmRate = zip(shapes, gemmTimes).map { $0.flops / $1 }.max()!
        let convTime = seconds {
            layer.forward()
            layer.backward()
        }
        let im2colTime = try seconds {
            blackHole(try layer.kernel.im2col(layer.input))
            blackHole(try layer.kernel.col2im(columns))
        }
        let convRate = (layer.forwardFlops + layer.backwardFlops) / convTime
        benchmark.measurement(Metric.convPercentOfSgemm, Int((100 * convRate / bestSgemmRate).rounded()))
        benchmark.measurement(Metric.im2colPercentOfGemm, Int((100 * im2colTime / gemmTimes.reduce(0, +)).rounded()))
    }

    for (name, shape) in [("pool1 26x26x32", [26, 26, 32]), ("pool2 11x11x64", [11, 11, 64])] {
        Benchmark("maxpool \(name) batch 128 forward+backward") { benchmark in
            var kernel = try MaxPool2DKernel(inputShape: shape, poolSize: (2, 2))
            var generator = RandomGenerator(seed: 5)
            let input = try Tensor.uniform([batch] + shape, using: &generator)
            var (output, inputGradient) = (Tensor([]), Tensor([]))
            try kernel.forward(input, into: &output)
            let gradient = try Tensor.ones(output.shape)
            try kernel.backward(outputGradient: gradient, into: &inputGradient)
            benchmark.startMeasurement()
            try kernel.forward(input, into: &output)
            try kernel.backward(outputGradient: gradient, into: &inputGradient)
            benchmark.stopMeasurement()
            blackHole(output)
            blackHole(inputGradient)
        }
    }
}
