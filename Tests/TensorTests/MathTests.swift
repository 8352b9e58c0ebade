import Foundation
import Testing
import Tensor

@Suite("Tensor math")
struct MathTests {
    @Test func elementwiseArithmetic() throws {
        let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = try Tensor(shape: [2, 2], scalars: [4, 3, 2, 1])
        #expect(try (a + b).scalars == [5, 5, 5, 5])
        #expect(try (a - b).scalars == [-3, -1, 1, 3])
        #expect(try (a * b).scalars == [4, 6, 6, 4])
        #expect(try (a / b).scalars == [0.25, 2.0 / 3.0, 1.5, 4])
        #expect((a * 2 + 1).scalars == [3, 5, 7, 9])
        #expect((10 - a).scalars == [9, 8, 7, 6])
        #expect((-a).scalars == [-1, -2, -3, -4])
        var c = a
        try c *= b
        c /= 2
        #expect(c.scalars == [2, 3, 3, 2])
        #expect(throws: TensorError.shapeMismatch(operation: "+", expected: [2, 2], found: [4])) {
            try a + Tensor.zeros([4])
        }
    }

    @Test func biasBroadcast() throws {
        let a = try Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 1, 1])
        #expect(try a.addingBias(Tensor([1, 2, 3])).scalars == [1, 2, 3, 2, 3, 4])
        #expect(throws: TensorError.shapeMismatch(operation: "addBias", expected: [3], found: [2])) {
            try a.addingBias(Tensor([1, 2]))
        }
    }

    @Test func reductions() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        #expect(a.sum() == 21)
        #expect(try a.mean() == 3.5)
        #expect(try a.max() == 6 && a.min() == 1)
        #expect(try a.sum(alongAxis: 0).scalars == [5, 7, 9])
        #expect(try a.sum(alongAxis: -1).scalars == [9, 12])
        #expect(try a.mean(alongAxis: 1).scalars == [3, 4])
        #expect(try a.max(alongAxis: 0).scalars == [4, 5, 6])
        #expect(try a.argmax(alongAxis: 1) == [1, 2])
        #expect(try a.argmax(alongAxis: 0) == [1, 0, 1])
        let cube = try Tensor.arange(to: 24).reshaped([2, 3, 4])
        #expect(try cube.sum(alongAxis: 1).scalars == [12, 15, 18, 21, 48, 51, 54, 57])
        #expect(try cube.argmax(alongAxis: 1) == [2, 2, 2, 2, 2, 2, 2, 2])
    }

    @Test func reductionErrors() throws {
        let empty = try Tensor.zeros([0, 3])
        #expect(throws: TensorError.empty(operation: "mean", shape: [0, 3])) { try empty.mean() }
        #expect(throws: TensorError.empty(operation: "max", shape: [0, 3])) { try empty.max() }
        #expect(throws: TensorError.empty(operation: "argmax(alongAxis:)", shape: [0, 3])) { try empty.argmax(alongAxis: 0) }
        #expect(throws: TensorError.invalidAxis(operation: "sum(alongAxis:)", axis: 2, rank: 2)) { try empty.sum(alongAxis: 2) }
        #expect(try empty.sum(alongAxis: 0).scalars == [0, 0, 0])
    }

    @Test func activations() throws {
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        #expect(x.relu().scalars == [0, 0, 0, 0.5, 2])
        #expect(x.leakyReLU(alpha: 0.1).scalars == [-0.2, -0.05, 0, 0.5, 2])
        for (actual, expected) in zip(x.sigmoid().scalars, x.scalars.map { 1 / (1 + Foundation.exp(-$0)) }) {
            #expect(abs(actual - expected) < 1e-6)
        }
        for (actual, expected) in zip(x.elu().scalars, x.scalars.map { $0 > 0 ? $0 : Foundation.exp($0) - 1 }) {
            #expect(abs(actual - expected) < 1e-6)
        }
        #expect(Tensor([-1000, 1000]).sigmoid().scalars == [0, 1])
        #expect(Tensor([-1000, 1000]).softplus().scalars == [0, 1000])
    }

    @Test func softmaxIsStableAndNormalised() throws {
        let logits = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, 1000, 1000])
        let p = try logits.softmax()
        let row0 = [1, 2, 3].map { Foundation.exp(Float($0)) }
        let total = row0.reduce(0, +)
        for (actual, expected) in zip(p.scalars.prefix(3), row0.map { $0 / total }) { #expect(abs(actual - expected) < 1e-6) }
        for value in p.scalars.suffix(3) { #expect(abs(value - 1.0 / 3) < 1e-6) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 0]).softmax() }
    }

    /// A small product (one BLAS call) and two large enough to be split across threads:
    /// by rows of C when it is tall, by columns when it is wide.
    static let matmulShapes = [(m: 5, k: 7, n: 3), (m: 520, k: 90, n: 90), (m: 36, k: 90, n: 1300)]

    @Test("matmul matches the triple loop for every transpose combination and shape",
          arguments: [(false, false), (true, false), (false, true), (true, true)], matmulShapes.indices)
    func matmulTransposes(_ flags: (Bool, Bool), shapeIndex: Int) throws {
        let (ta, tb) = flags
        let (m, k, n) = Self.matmulShapes[shapeIndex]
        let a = randomTensor(ta ? [k, m] : [m, k], seed: 1)
        let b = randomTensor(tb ? [n, k] : [k, n], seed: 2)
        let c = try a.matmul(b, transposeSelf: ta, transposeOther: tb)
        #expect(c.shape == [m, n])
        let expected = Reference.matmul(a, ta, b, tb)
        #expect(relativeError(c, expected) < 1e-5)
        var accumulated = try Tensor(shape: [m, n], repeating: 1)
        try Tensor.matmul(a, transposed: ta, b, transposed: tb, into: &accumulated, alpha: 2, accumulate: true)
        #expect(relativeError(accumulated, try expected * 2 + 1) < 1e-5)
    }

    @Test("a product split across threads gives the same bits every time")
    func splitMatmulIsRepeatable() throws {
        let a = randomTensor([520, 90], seed: 5), b = randomTensor([90, 90], seed: 6)
        let first = try a.matmul(b)
        for _ in 0..<50 { #expect(try a.matmul(b) == first) }
    }

    @Test func matmulAccumulateAndErrors() throws {
        let a = randomTensor([4, 3], seed: 3)
        let b = randomTensor([3, 2], seed: 4)
        var c = try Tensor.ones([4, 2])
        try Tensor.matmul(a, transposed: false, b, transposed: false, into: &c, alpha: 2, accumulate: true)
        #expect(relativeError(c, try Reference.matmul(a, false, b, false) * 2 + 1) < 1e-5)
        #expect(throws: TensorError.self) { try a.matmul(a) }
        #expect(throws: TensorError.self) { try a.matmul(Tensor.zeros([3])) }
        var wrong = try Tensor.zeros([2, 2])
        #expect(throws: TensorError.self) {
            try Tensor.matmul(a, transposed: false, b, transposed: false, into: &wrong, accumulate: true)
        }
        #expect(try Tensor.zeros([3, 0]).matmul(Tensor.zeros([0, 2])) == Tensor.zeros([3, 2]))
    }

    @Test func transpose() throws {
        let a = try Tensor.arange(to: 6).reshaped([2, 3])
        #expect(try a.transposed().scalars == [0, 3, 1, 4, 2, 5])
        let big = randomTensor([37, 70], seed: 5)
        #expect(try big.transposed().transposed() == big)
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 2, 2]).transposed() }
    }
}

@Suite("Random numbers")
struct RandomTests {
    @Test func sameSeedSameSequence() throws {
        var a = RandomGenerator(seed: 7)
        var b = RandomGenerator(seed: 7)
        var c = RandomGenerator(seed: 8)
        #expect(try Tensor.normal([100], using: &a) == Tensor.normal([100], using: &b))
        #expect(Array(0..<50).shuffled(using: &a) == Array(0..<50).shuffled(using: &b))
        #expect(a.next() != c.next())
    }

    @Test func distributionsHaveTheirMoments() throws {
        var g = RandomGenerator(seed: 1)
        let u = try Tensor.uniform([100_000], lowerBound: -2, upperBound: 2, using: &g)
        #expect(try abs(u.mean()) < 0.02 && u.min() >= -2 && u.max() < 2)
        let n = try Tensor.normal([100_000], mean: 3, standardDeviation: 2, using: &g)
        let variance = try ((n - 3).squared()).mean()
        #expect(try abs(n.mean() - 3) < 0.03 && abs(variance - 4) < 0.1)
        let t = try Tensor.truncatedNormal([10_000], standardDeviation: 1, using: &g)
        #expect(try t.max() <= 2 && t.min() >= -2)
    }

    @Test func initialisersUseKerasFans() throws {
        #expect(try Tensor.fans(of: [3, 3, 32, 64]) == (288, 576))
        #expect(try Tensor.fans(of: [1600, 10]) == (1600, 10))
        var g = RandomGenerator(seed: 2)
        let w = try Tensor.glorotUniform([3, 3, 32, 64], using: &g)
        let limit = (6.0 / Float(288 + 576)).squareRoot()
        #expect(try w.max() <= limit && w.min() >= -limit && w.max() > 0.9 * limit)
        let he = try Tensor.heNormal([400, 200], using: &g)
        let std = try he.squared().mean().squareRoot()
        #expect(abs(std - (2.0 / 400).squareRoot()) < 0.003)
        #expect(throws: TensorError.self) { try Tensor.glorotUniform([0, 3], using: &g) }
    }
}
