/// An activation a kernel applies in the passes it makes anyway: to its output as it writes
/// it (with the bias), and its derivative to the incoming gradient as it first reads it (with
/// the bias gradient), instead of two more passes over memory per step.
///
/// `Conv2DKernel` takes one in `forward` and `backward`; activations not listed here are
/// applied by the layer as a separate pass.
public enum FusedActivation: String, Sendable, Equatable, CaseIterable {
    /// No activation: `y = z`.
    case identity
    /// `y = max(z, 0)`; its derivative is taken from the output (`y > 0`).
    case relu
}

extension FusedActivation {
    /// `activation(z + bias)` along the last axis of a row-major `rows x columns` matrix, in
    /// place, split across threads.
    func applyWithBias(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>?) {
        guard bias != nil || self != .identity else { return }
        parallelChunks(count: rows, costPerItem: columns) { rowRange in
            for row in rowRange {
                let values = matrix + row * columns
                forEachLane(count: columns) { lane, range in apply(lane, to: values, range, bias: bias) }
            }
        }
    }

    /// The gradient with respect to the pre-activation values and the bias, in one pass over
    /// `outputGradient` (and, for ReLU, the activation's `output`), rows split across threads:
    /// writes the pre-activation gradient to `preActivationGradient` (for ``identity`` it
    /// leaves it alone: the output gradient is already that) and the column sums of it to
    /// `biasGradient`. Each chunk sums its rows, and the chunks' sums are added in order, so the
    /// result repeats exactly for a given ``ComputeThreads/count``.
    func backward(
        outputGradient: UnsafePointer<Float>, output: UnsafePointer<Float>?, rows: Int, columns: Int,
        preActivationGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>
    ) {
        let plan = ParallelChunks(count: rows, costPerItem: 2 * columns)
        let partialSums = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(plan.chunks, 1) * columns)
        defer { partialSums.deallocate() }
        partialSums.initialize(repeating: 0, count: Swift.max(plan.chunks, 1) * columns)
        plan.run { chunk, rowRange in
            let sums = partialSums + chunk * columns
            for row in rowRange {
                let offset = row * columns
                forEachLane(count: columns) { lane, range in
                    gradient(lane, range, outputGradient + offset, output.map { $0 + offset },
                             into: preActivationGradient + offset, sums: sums)
                }
            }
        }
        biasGradient.update(from: partialSums, count: columns)
        for chunk in 1..<Swift.max(plan.chunks, 1) {
            let sums = partialSums + chunk * columns
            for column in 0..<columns { biasGradient[column] += sums[column] }
        }
    }

    @inline(__always)
    private func apply(_ lane: any FloatLane.Type, to values: UnsafeMutablePointer<Float>, _ range: Range<Int>,
                       bias: UnsafePointer<Float>?) {
        func run<L: FloatLane>(_: L.Type) {
            for index in stride(from: range.lowerBound, to: range.upperBound, by: L.width) {
                var z = L.load(values + index)
                if let bias { z = z + L.load(bias + index) }
                (self == .relu ? z.rectified() : z).store(to: values + index)
            }
        }
        lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
    }

    @inline(__always)
    private func gradient(
        _ lane: any FloatLane.Type, _ range: Range<Int>, _ dY: UnsafePointer<Float>, _ y: UnsafePointer<Float>?,
        into dZ: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>
    ) {
        func run<L: FloatLane>(_: L.Type) {
            for index in stride(from: range.lowerBound, to: range.upperBound, by: L.width) {
                var g = L.load(dY + index)
                if self == .relu, let y {
                    g = g.masked(where: L.load(y + index))
                    g.store(to: dZ + index)
                }
                (L.load(sums + index) + g).store(to: sums + index)
            }
        }
        lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
    }
}
