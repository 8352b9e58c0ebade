import Testing
import Tensor

@Suite("Tensor basics")
struct TensorTests {
    @Test func creation() throws {
        #expect(try Tensor.zeros([2, 3]).scalars == [Float](repeating: 0, count: 6))
        #expect(try Tensor.ones([4]).scalars == [1, 1, 1, 1])
        #expect(try Tensor.filled([2], with: 7).scalars == [7, 7])
        #expect(try Tensor.arange(to: 4).scalars == [0, 1, 2, 3])
        #expect(try Tensor.arange(from: 1, to: 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(try Tensor.linspace(from: 0, to: 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(try Tensor(3).shape == [] && Tensor(3).count == 1 && Tensor(3).scalar() == 3)
        let t = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(t[1, 0] == 3)
    }

    @Test func creationErrors() {
        #expect(throws: TensorError.scalarCountMismatch(shape: [2, 2], expected: 4, found: 3)) {
            try Tensor(shape: [2, 2], scalars: [1, 2, 3])
        }
        #expect(throws: TensorError.invalidShape(operation: "Tensor(shape:repeating:)", shape: [2, -1], reason: "dimensions must not be negative")) {
            try Tensor.zeros([2, -1])
        }
        #expect(throws: TensorError.self) { try Tensor.arange(to: 3, step: 0) }
        #expect(throws: TensorError.self) { try Tensor.linspace(from: 0, to: 1, count: -1) }
        #expect(throws: TensorError.self) { try Tensor.zeros([Int.max, 4]) }
    }

    @Test func valueSemanticsCopyOnWrite() throws {
        let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        var b = a
        b[0, 0] = 100
        #expect(a[0, 0] == 1 && b[0, 0] == 100)
        var c = try a.reshaped([4])
        c += 1
        #expect(a.scalars == [1, 2, 3, 4] && c.scalars == [2, 3, 4, 5])
    }

    @Test func reshape() throws {
        let a = try Tensor.arange(to: 12)
        #expect(try a.reshaped([3, 4]).shape == [3, 4])
        #expect(try a.reshaped([2, -1, 3]).shape == [2, 2, 3])
        #expect(throws: TensorError.self) { try a.reshaped([5, -1]) }
        #expect(throws: TensorError.self) { try a.reshaped([-1, -1]) }
        #expect(throws: TensorError.shapeMismatch(operation: "reshaped (element count 12)", expected: [12], found: [5, 2])) {
            try a.reshaped([5, 2])
        }
    }

    @Test func batchSlicingAndGathering() throws {
        let a = try Tensor.arange(to: 12).reshaped([4, 3])
        #expect(try a.slice(batch: 1..<3).scalars == [3, 4, 5, 6, 7, 8])
        #expect(try a.slice(batch: 2..<2).shape == [0, 3])
        #expect(try a.gathering(batch: [3, 0]).scalars == [9, 10, 11, 0, 1, 2])
        #expect(throws: TensorError.self) { try a.slice(batch: 3..<5) }
        #expect(throws: TensorError.self) { try a.gathering(batch: [4]) }
    }

    @Test func resizeDiscardingContentsReusesAnUnsharedBuffer() throws {
        var a = try Tensor.zeros([4, 4])
        try a.resizeDiscardingContents(to: [2, 3])
        #expect(a.shape == [2, 3] && a.count == 6)
        let snapshot = a
        try a.resizeDiscardingContents(to: [2, 3])
        a.mapInPlace { _ in 5 }
        #expect(snapshot.shape == [2, 3] && snapshot.scalars != a.scalars, "a shared buffer must not be reused")
    }

    @Test func oneHot() throws {
        #expect(try Tensor.oneHot([2, 0], classes: 3).scalars == [0, 0, 1, 1, 0, 0])
        #expect(throws: TensorError.invalidArgument(name: "label", value: "3", reason: "label at row 1 is outside 0..<3")) {
            try Tensor.oneHot([0, 3], classes: 3)
        }
    }
}

@Suite("Tensors from bytes")
struct ByteTensorTests {
    @Test("gathering rows of bytes scales them, in the order asked, and checks its arguments")
    func gatheringRows() throws {
        let bytes: [UInt8] = [0, 51, 102, 153, 204, 255]
        let t = try Tensor(gatheringRows: [2, 0], of: bytes, rowShape: [2, 1], scale: 1.0 / 255)
        #expect(t.shape == [2, 2, 1])
        #expect(t.scalars == [204, 255, 0, 51].map { Float($0) * Float(1.0 / 255) })
        #expect(throws: TensorError.invalidArgument(name: "row", value: "3", reason: "expected 0..<3")) {
            try Tensor(gatheringRows: [3], of: bytes, rowShape: [2], scale: 1)
        }
        #expect(throws: TensorError.invalidArgument(name: "bytes", value: "6 bytes", reason: "expected whole rows of 4 bytes for shape [4]")) {
            try Tensor(gatheringRows: [0], of: bytes, rowShape: [4], scale: 1)
        }
    }
}
