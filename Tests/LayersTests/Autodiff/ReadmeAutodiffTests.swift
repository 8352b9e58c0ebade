import Foundation
import Testing
import Layers
import Tensor

@Suite("README autodiff example")
struct ReadmeAutodiffTests {
    @Test("the README's tape example computes the gradients of softmax cross-entropy")
    func example() throws {
        // README autodiff example begins
        var generator = RandomGenerator(seed: 1)
        let inputs = try Tensor.uniform([8, 4], using: &generator)          // a batch of 8
        let targets = try Tensor.oneHot([0, 1, 2, 0, 1, 2, 0, 1], classes: 3)

        let tape = GradientTape()
        let w = tape.watch(try Tensor.glorotUniform([4, 3], using: &generator))
        let b = tape.watch(try Tensor.zeros([3]))
        let logits = try Variable(inputs).matmul(w) + b                     // b broadcasts over the batch
        let loss = try -(logits.logSoftmax() * Variable(targets)).sum(alongAxes: [1]).mean()
        let gradients = try tape.gradient(of: loss, withRespectTo: [w, b])  // shapes [4, 3] and [3]
        // README autodiff example ends

        // The known closed form: dL/dlogits = (softmax − y) / batch.
        let delta = try (logits.value.softmax() - targets) / 8
        #expect(relativeError(gradients[0], try inputs.matmul(delta, transposeSelf: true)) < 1e-5)
        #expect(relativeError(gradients[1], try delta.sum(alongAxis: 0)) < 1e-5)

        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        let code = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8).components(separatedBy: "\n")
        let begin = try #require(code.firstIndex { $0.hasSuffix("// README autodiff example begins") })
        let end = try #require(code.firstIndex { $0.hasSuffix("// README autodiff example ends") })
        let example = code[(begin + 1)..<end].map { String($0.dropFirst(8)) }.joined(separator: "\n")
        #expect(readme.contains("```swift\n" + example + "\n```"), "the README shows this code")
    }
}
