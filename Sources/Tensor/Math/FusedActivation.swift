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
    /// The activation of every element of `x`, in one pass split across threads (the pass an
    /// activation layer makes when no kernel before it applied the activation).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard self != .identity else { return x }
        let result = Tensor(uninitializedShape: x.shape)
        let (input, output) = (x.storage.pointer, result.storage.pointer)
        parallelChunks(count: x.count, costPerItem: 1, minimumCostPerChunk: 1 << 16) { range in
            let offset = range.lowerBound
            forEachLane(count: range.count) { lane, lanes in apply(lane, input + offset, lanes, bias: nil, into: output + offset) }
        }
        return result
    }

    /// The gradient with respect to the activation's input, from its `output` and the gradient
    /// `outputGradient` with respect to that output, split across threads.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes differ.
    public func backward(output: Tensor, outputGradient: Tensor) throws -> Tensor {
        guard output.shape == outputGradient.shape else {
            throw TensorError.shapeMismatch(operation: "\(rawValue) backward output gradient", expected: output.shape,
                                            found: outputGradient.shape)
        }
        guard self != .identity else { return outputGradient }
        let result = Tensor(uninitializedShape: output.shape)
        let (y, dY, dX) = (output.storage.pointer, outputGradient.storage.pointer, result.storage.pointer)
        parallelChunks(count: output.count, costPerItem: 2, minimumCostPerChunk: 1 << 16) { range in
            let offset = range.lowerBound
            forEachLane(count: range.count) { lane, lanes in
                gradient(lane, lanes, dY + offset, y + offset, into: dX + offset, sums: nil)
            }
        }
        return result
    }

    /// `activation(z + bias)` along the last axis of a row-major `rows x columns` matrix, in
    /// place, on the calling thread (the kernels call it per block of images).
    func applyWithBias(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>?) {
        guard bias != nil || self != .identity else { return }
        for row in 0..<rows {
            let values = matrix + row * columns
            forEachLane(count: columns) { lane, range in apply(lane, values, range, bias: bias, into: values) }
        }
    }

    /// The gradient with respect to the pre-activation values of a row-major `rows x columns`
    /// block, on the calling thread: for ReLU it is written to `preActivationGradient` (from
    /// `outputGradient` and the activation's `output`); for ``identity`` it is the output
    /// gradient itself. Its column sums (the bias gradient) are added to `columnSums`.
    /// - Returns: where the pre-activation gradient is.
    func backward(
        outputGradient: UnsafePointer<Float>, output: UnsafePointer<Float>?, rows: Int, columns: Int,
        preActivationGradient: UnsafeMutablePointer<Float>?, addingColumnSumsTo columnSums: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float> {
        let masked = self == .relu ? preActivationGradient! : nil
        for row in 0..<rows {
            let offset = row * columns
            forEachLane(count: columns) { lane, range in
                gradient(lane, range, outputGradient + offset, output.map { $0 + offset }, into: masked.map { $0 + offset },
                         sums: columnSums)
            }
        }
        return masked.map { UnsafePointer($0) } ?? outputGradient
    }

    @inline(__always)
    private func apply(_ lane: any FloatLane.Type, _ input: UnsafePointer<Float>, _ range: Range<Int>,
                       bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>) {
        func run<L: FloatLane>(_: L.Type) {
            for index in stride(from: range.lowerBound, to: range.upperBound, by: L.width) {
                var z = L.load(input + index)
                if let bias { z = z + L.load(bias + index) }
                (self == .relu ? z.rectified() : z).store(to: output + index)
            }
        }
        lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
    }

    @inline(__always)
    private func gradient(
        _ lane: any FloatLane.Type, _ range: Range<Int>, _ dY: UnsafePointer<Float>, _ y: UnsafePointer<Float>?,
        into dZ: UnsafeMutablePointer<Float>?, sums: UnsafeMutablePointer<Float>?
    ) {
        func run<L: FloatLane>(_: L.Type) {
            for index in stride(from: range.lowerBound, to: range.upperBound, by: L.width) {
                var g = L.load(dY + index)
                if let y, let dZ {
                    g = g.masked(where: L.load(y + index))
                    g.store(to: dZ + index)
                }
                if let sums { (L.load(sums + index) + g).store(to: sums + index) }
            }
        }
        lane == Float.self ? run(Float.self) : run(SIMD4<Float>.self)
    }
}
