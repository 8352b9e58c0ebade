import Testing
import Layers
import Tensor

@Suite("Gradient tape")
struct GradientTapeTests {
    /// A two-layer network written with operations only: one weight matrix used by two
    /// branches (shared), the input used twice (a residual), a scalar loss.
    static func network(_ x: Variable, _ w: Variable, _ v: Variable) throws -> Variable {
        let hidden = try x.matmul(w).tanh()
        let residual = try hidden + x                      // x fans out: matmul and this add
        let branch = try residual.matmul(w).gelu()         // w is shared by both products
        let logits = try Variable.concatenate([branch, residual], alongAxis: 1).matmul(v)
        return try logits.logSoftmax().slice(alongAxis: 1, 0..<1).mean() * -1
    }

    @Test("a network with a shared weight and a fanned-out input matches finite differences")
    func sharedAndFannedOut() throws {
        let (x, w, v) = (randomTensor([3, 4], seed: 1), randomTensor([4, 4], seed: 2), randomTensor([8, 3], seed: 3))
        let tape = GradientTape()
        let sources = [x, w, v].map(tape.watch)
        let loss = try Self.network(sources[0], sources[1], sources[2])
        #expect(loss.shape == [])
        let gradients = try tape.gradient(of: loss, withRespectTo: sources)
        let values = [x, w, v]
        for index in values.indices {
            let numeric = try numericGradient(of: { probe in
                var inputs = values.map(Variable.init)
                inputs[index] = Variable(probe)
                return Double(try Self.network(inputs[0], inputs[1], inputs[2]).value.scalar())
            }, at: values[index])
            #expect(relativeError(gradients[index], numeric) < 1e-2, "source \(index)")
        }
    }

    @Test("a value used twice gets the sum of both gradients")
    func accumulation() throws {
        let tape = GradientTape()
        let x = tape.watch(try Tensor(shape: [3], scalars: [1, -2, 0.5]))
        let y = try (x * x + x * 3).sum()        // dy/dx = 2x + 3
        #expect(try tape.gradient(of: y, withRespectTo: [x])[0].scalars == [5, -1, 4])
    }

    @Test("the tape is freed by a gradient computation, and its old variables are refused")
    func freedAfterUse() throws {
        let tape = GradientTape()
        let x = tape.watch(try Tensor.ones([2]))
        let y = try x.exp().sum()
        #expect(tape.recordedOperationCount == 2)
        _ = try tape.gradient(of: y, withRespectTo: [x])
        #expect(tape.recordedOperationCount == 0)
        #expect(throws: LayersError.self) { try x * 2 }
        #expect(throws: LayersError.self) { try tape.gradient(of: y, withRespectTo: [x]) }
        // The tape records again from new variables.
        let z = tape.watch(try Tensor.ones([2]))
        #expect(try tape.gradient(of: try (z * 3).sum(), withRespectTo: [z])[0].scalars == [3, 3])
    }

    @Test("the tape and what it kept are released with its variables (no reference cycle)")
    func released() throws {
        weak var released: GradientTape?
        do {
            let tape = GradientTape()
            released = tape
            let x = tape.watch(randomTensor([4, 4], seed: 1))
            _ = try Variable.stack([try x.matmul(x).softmax(), x], alongAxis: 0).sum()
            #expect(released != nil)
        }
        #expect(released == nil)
    }

    @Test("constants and paused recording record nothing")
    func constants() throws {
        let tape = GradientTape()
        let x = tape.watch(try Tensor.ones([2, 2]))
        let constant = Variable(try Tensor.ones([2, 2]))
        let product = try constant.matmul(constant).relu()
        #expect(!product.isRecorded)
        let paused = try tape.withoutRecording { try x.matmul(x) }
        #expect(!paused.isRecorded)
        #expect(try (x.detached() * 2).isRecorded == false)
        #expect(tape.recordedOperationCount == 0)
        // A constant operand gets no gradient and does not stop the other's.
        let y = try (x * constant).sum()
        #expect(tape.recordedOperations == ["multiply", "sum"])
        #expect(try tape.gradient(of: y, withRespectTo: [x])[0].scalars == [1, 1, 1, 1])
    }

    @Test("a source the target does not depend on gets zeros; a constant target is an error")
    func disconnected() throws {
        let tape = GradientTape()
        let (x, unused) = (tape.watch(try Tensor.ones([2])), tape.watch(try Tensor.ones([3])))
        let gradients = try tape.gradient(of: try x.sum(), withRespectTo: [x, unused])
        #expect(gradients[1] == (try Tensor.zeros([3])))
        let other = GradientTape()
        #expect(throws: LayersError.self) { try other.gradient(of: Variable(Tensor(1)), withRespectTo: []) }
    }

    @Test("an output gradient of the wrong shape is an error that gives both shapes")
    func wrongOutputGradient() throws {
        let tape = GradientTape()
        let x = tape.watch(try Tensor.ones([2, 3]))
        let y = try x.tanh()
        #expect {
            try tape.gradient(of: y, withRespectTo: [x], outputGradient: try Tensor.ones([3, 2]))
        } throws: { error in "\(error)".contains("expected an output gradient of shape [2, 3], found [3, 2]") }
    }

    @Test("operands from two tapes are an error, not a silent constant")
    func twoTapes() throws {
        let (first, second) = (GradientTape(), GradientTape())
        let a = first.watch(try Tensor.ones([2]))
        let b = second.watch(try Tensor.ones([2]))
        #expect(throws: LayersError.self) { try a + b }
    }

    @Test("a custom operation's backward is used, and a wrong gradient shape names the operation")
    func customOperation() throws {
        func cube(_ x: Variable, wrongShape: Bool = false) throws -> Variable {
            try Variable.custom("cube", inputs: [x], value: x.value.pow(3)) { dy in
                wrongShape ? [try Tensor.zeros([1])] : [try dy * (x.value.squared() * 3)]
            }
        }
        let start = randomTensor([5], seed: 4)
        let tape = GradientTape()
        let x = tape.watch(start)
        let gradient = try tape.gradient(of: try cube(x).sum(), withRespectTo: [x])[0]
        let numeric = numericGradient(of: { Double(try! cube(Variable($0)).value.sum()) }, at: start)
        #expect(relativeError(gradient, numeric) < 1e-2)

        let y = tape.watch(start)
        #expect {
            try tape.gradient(of: try cube(y, wrongShape: true).sum(), withRespectTo: [y])
        } throws: { error in
            "\(error)".contains("'cube'") && "\(error)".contains("[1]") && "\(error)".contains("[5]")
        }
    }
}
