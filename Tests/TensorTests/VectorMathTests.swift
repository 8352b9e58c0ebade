import CRecurrentCells
import Foundation
import Testing
import Tensor

@Suite("Vectorised exp, sigmoid and tanh")
struct VectorMathTests {
    /// 400,001 points on [-20, 20], the edges of each approximation, and extremes.
    let inputs: Tensor = {
        let grid = (0...400_000).map { Float($0 - 200_000) * 1e-4 }
        let special: [Float] = [0, -0, 1e-6, -1e-6, 4e-4, 3.99e-4, 7.9, -7.9, 8, -8, 30, -30, 87, -87, 88, -88, 100, -100, 1e30, -1e30]
        return try! Tensor(shape: [grid.count + special.count], scalars: grid + special)
    }()

    @Test("tanh is within 4e-7 of Foundation's everywhere, exact below 4e-4, and odd")
    func tanh() throws {
        let (x, y) = (inputs.scalars, inputs.fastTanh().scalars)
        let worst = zip(x, y).map { abs(Double($1) - Foundation.tanh(Double($0))) }.max()!
        #expect(worst < 4e-7, "largest error \(worst)")
        #expect(zip(x, y).allSatisfy { abs($0) >= 4e-4 || $0 == $1 })
        #expect(try Tensor(shape: [2], scalars: [0.3, -0.3]).fastTanh().scalars.reduce(0, +) == 0)
    }

    @Test("sigmoid is within 1.5e-7 of the exact value and in [0, 1]")
    func sigmoid() {
        let (x, y) = (inputs.scalars, inputs.fastSigmoid().scalars)
        let worst = zip(x, y).map { abs(Double($1) - 1 / (1 + Foundation.exp(-Double($0)))) }.max()!
        #expect(worst < 1.5e-7, "largest error \(worst)")
        #expect(y.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("exp is within 2e-7 relative on [-87, 88], 0 below and finite above")
    func exp() throws {
        let (x, y) = (inputs.scalars, inputs.fastExp().scalars)
        let worst = zip(x, y).filter { abs($0.0) <= 87 }.map { abs(Double($1) / Foundation.exp(Double($0)) - 1) }.max()!
        #expect(worst < 2e-7, "largest relative error \(worst)")
        #expect(y.allSatisfy { $0.isFinite && $0 >= 0 })
        // Below the normal range: 0, so that a score masked with −1e9 gets no weight at all.
        #expect(try Tensor(shape: [3], scalars: [-88, -100, -1e30]).fastExp().scalars == [0, 0, 0])
    }

    @Test("NaN stays NaN")
    func notANumber() throws {
        let x = try Tensor(shape: [5], scalars: [1, .nan, 2, 3, .nan])
        for function in [Tensor.fastTanh, Tensor.fastSigmoid, Tensor.fastExp] {
            let y = function(x)().scalars
            #expect(y[1].isNaN && y[4].isNaN && !y[0].isNaN)
        }
    }
}

@Suite("The recurrent cells' C arithmetic")
struct RecurrentCellArithmeticTests {
    /// The C functions run the CPU's widest version (AVX-512, AVX2 or baseline); each must give
    /// the bits of Swift's VectorMath, which the other kernels use.
    @Test("the C cells give Swift's VectorMath bits, NaN included")
    func sameBitsAsSwift() throws {
        let x = VectorMathTests().inputs.scalars + [.nan, -.infinity, .infinity]
        let units = x.count
        let tanh = try Tensor(shape: [units], scalars: x).fastTanh().scalars
        let sigmoid = try Tensor(shape: [units], scalars: x).fastSigmoid().scalars
        let expectedCell = zip(sigmoid, tanh).map { $0 * $1 }
        let squashedCell = try Tensor(shape: [units], scalars: expectedCell).fastTanh().scalars
        let expectedState = zip(squashedCell, sigmoid).map { $0 * $1 }

        var simpleGate = x, simpleState = [Float](repeating: 0, count: units)
        rc_simple_forward(&simpleGate, &simpleState, units)
        var gates = x + x + x + x, cell = [Float](repeating: 0, count: units), state = cell
        rc_lstm_forward(&gates, nil, &cell, &state, units)

        /// How many elements differ in their bits (a count, so that a failure does not print 400,000 numbers).
        func differences(_ found: ArraySlice<Float>, _ expected: [Float]) -> Int {
            zip(found, expected).count { $0.bitPattern != $1.bitPattern } + abs(found.count - expected.count)
        }
        #expect(differences(simpleGate[...], tanh) == 0 && differences(simpleState[...], tanh) == 0)
        #expect(differences(gates[0..<units], sigmoid) == 0 && differences(gates[units..<(2 * units)], sigmoid) == 0)
        #expect(differences(gates[(2 * units)..<(3 * units)], tanh) == 0)
        #expect(differences(gates[(3 * units)...], sigmoid) == 0)
        #expect(differences(cell[...], expectedCell) == 0 && differences(state[...], expectedState) == 0)
    }
}

@Suite("Vectorised erf and GELU")
struct VectorErfTests {
    @Test("erf is within 5e-7 of Foundation's on [-6, 6] and odd; GELU and its derivative follow")
    func erf() throws {
        let x = try Tensor(shape: [120_001], scalars: (0...120_000).map { Float($0 - 60_000) * 1e-4 })
        let worst = zip(x.scalars, x.fastErf().scalars).map { abs(Double($1) - Foundation.erf(Double($0))) }.max()!
        #expect(worst < 5e-7, "largest error \(worst)")
        let gelu = x.gelu().scalars
        let exact = x.scalars.map { Double($0) * 0.5 * (1 + Foundation.erf(Double($0) / 2.0.squareRoot())) }
        #expect(zip(gelu, exact).map { abs(Double($0) - $1) }.max()! < 2e-6)
        let dx = try Tensor.geluBackward(input: x, outputGradient: try Tensor.ones(x.shape)).scalars
        let derivative = x.scalars.map { v -> Double in
            let v = Double(v)
            return 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot())) + v * Foundation.exp(-v * v / 2) / (2 * Double.pi).squareRoot()
        }
        #expect(zip(dx, derivative).map { abs(Double($0) - $1) }.max()! < 2e-6)
    }
}
