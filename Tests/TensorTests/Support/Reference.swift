import Tensor

/// Direct, obviously-correct loops that the fast kernels are checked against.
/// Written from the definitions, independently of the library's index helpers.
enum Reference {
    /// out[n, oh, ow, f] = bias[f] + Σ x[n, oh·sh + kh - pt, ow·sw + kw - pl, c] · w[kh, kw, c, f]
    static func conv2d(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, window g: WindowGeometry) -> Tensor {
        let (n, h, wd, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, f) = (w.shape[0], w.shape[1], w.shape[3])
        var out = [Float](repeating: 0, count: n * g.outputHeight * g.outputWidth * f)
        let xs = x.scalars, ws = w.scalars, bs = bias?.scalars
        for b in 0..<n {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for o in 0..<f {
                        var sum = Double(bs?[o] ?? 0)
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let ih = oh * g.strideHeight + i * g.dilationHeight - g.padTop
                                let iw = ow * g.strideWidth + j * g.dilationWidth - g.padLeft
                                guard ih >= 0, ih < h, iw >= 0, iw < wd else { continue }
                                for ch in 0..<c {
                                    sum += Double(xs[((b * h + ih) * wd + iw) * c + ch])
                                        * Double(ws[((i * kw + j) * c + ch) * f + o])
                                }
                            }
                        }
                        out[((b * g.outputHeight + oh) * g.outputWidth + ow) * f + o] = Float(sum)
                    }
                }
            }
        }
        return try! Tensor(shape: [n, g.outputHeight, g.outputWidth, f], scalars: out)
    }

    /// Max or average over each window, skipping padded cells.
    static func pool(_ x: Tensor, window g: WindowGeometry, average: Bool) -> Tensor {
        let (n, h, wd, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let xs = x.scalars
        var out = [Float]()
        for b in 0..<n {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for ch in 0..<c {
                        var values = [Float]()
                        for i in 0..<g.windowHeight {
                            for j in 0..<g.windowWidth {
                                let ih = oh * g.strideHeight + i * g.dilationHeight - g.padTop
                                let iw = ow * g.strideWidth + j * g.dilationWidth - g.padLeft
                                if ih >= 0, ih < h, iw >= 0, iw < wd { values.append(xs[((b * h + ih) * wd + iw) * c + ch]) }
                            }
                        }
                        out.append(average ? values.reduce(0, +) / Float(values.count) : values.max()!)
                    }
                }
            }
        }
        return try! Tensor(shape: [n, g.outputHeight, g.outputWidth, c], scalars: out)
    }

    /// C = op(A) · op(B) by the triple loop.
    static func matmul(_ a: Tensor, _ ta: Bool, _ b: Tensor, _ tb: Bool) -> Tensor {
        let (m, k) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = tb ? b.shape[0] : b.shape[1]
        let (av, bv) = (a.scalars, b.scalars)
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    sum += Double(ta ? av[p * m + i] : av[i * k + p]) * Double(tb ? bv[j * k + p] : bv[p * n + j])
                }
                out[i * n + j] = Float(sum)
            }
        }
        return try! Tensor(shape: [m, n], scalars: out)
    }
}

/// Central finite differences of a scalar function of a tensor, in Double where it matters.
enum FiniteDifferences {
    /// dF/dx[i] ≈ (F(x + h·eᵢ) − F(x − h·eᵢ)) / 2h for every i.
    static func gradient(of function: (Tensor) throws -> Double, at x: Tensor, step h: Float = 1e-2) rethrows -> Tensor {
        var gradient = [Float](repeating: 0, count: x.count)
        var probe = x
        let base = x.scalars
        for i in 0..<x.count {
            probe.withUnsafeMutableBufferPointer { $0[i] = base[i] + h }
            let plus = try function(probe)
            probe.withUnsafeMutableBufferPointer { $0[i] = base[i] - h }
            let minus = try function(probe)
            probe.withUnsafeMutableBufferPointer { $0[i] = base[i] }
            gradient[i] = Float((plus - minus) / (2 * Double(h)))
        }
        return try! Tensor(shape: x.shape, scalars: gradient)
    }

    /// Σ y ⊙ r in Double: a scalar loss whose gradient with respect to y is r.
    static func dot(_ y: Tensor, _ r: Tensor) -> Double {
        zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}

/// The largest absolute difference between two tensors of one shape, relative to the
/// larger of 1 and the reference's largest magnitude.
func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    precondition(actual.shape == expected.shape, "shapes \(actual.shape) and \(expected.shape) differ")
    let scale = max(1, expected.scalars.map(abs).max() ?? 0)
    let difference = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
    return difference / scale
}

/// A seeded random tensor with entries in [-1, 1).
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return try! Tensor.uniform(shape, lowerBound: -1, upperBound: 1, using: &generator)
}
