import Foundation
import Layers
import MNISTTestSupport
import Testing
import Datasets

@Suite("Photos of digits on paper", .serialized)
struct PhotoTests {
    /// The first test digits of each class.
    static func samples(_ mnist: MNIST, perClass: Int) -> [(digit: [Float], label: Int)] {
        var taken = [Int](repeating: 0, count: 10)
        var samples: [(digit: [Float], label: Int)] = []
        for index in 0..<mnist.test.count where taken[mnist.test.labels[index]] < perClass {
            taken[mnist.test.labels[index]] += 1
            samples.append((mnist.test.pixels[index * 784..<(index + 1) * 784].map { Float($0) / 255 }, mnist.test.labels[index]))
        }
        return samples
    }

    @Test("unevenly lit, noisy JPEG photos preprocess to a centred digit like the original and are classified correctly",
          .enabled(if: TrainedDigitModel.mnistFolder != nil, "MNIST is not available (set MNIST_DIR to a folder with the four IDX files)"))
    func photos() throws {
        let (model, mnist) = try TrainedDigitModel.shared()
        // Digits the model reads correctly as scanned, so that a mistake is the photo's fault.
        let candidates = Self.samples(mnist, perClass: 3)
        let scanned = try model.predict(try DigitPreprocessing.batch(candidates.map {
            try GrayscaleImage(width: 28, height: 28, pixels: $0.digit)
        })).argmax(alongAxis: -1)
        let samples = zip(candidates, scanned).filter { $0.label == $1 }.map(\.0)
        #expect(samples.count >= 25)
        var digits: [GrayscaleImage] = []
        for (number, sample) in samples.enumerated() {
            let photo = try GrayscaleImage(data: SyntheticPhoto.jpeg(of: sample.digit, seed: UInt64(number + 1)))
            let digit = try DigitPreprocessing.mnistStyle(photo)
            digits.append(digit)
            #expect(digit[0, 0] == 0 && digit[27, 0] == 0 && digit[0, 27] == 0 && digit[27, 27] == 0,
                    "digit \(number) (a \(sample.label)): the paper is black, with no shadow or noise left")
            let mass = digit.pixels.reduce(0, +)
            let centreX = digit.pixels.indices.reduce(Float(0)) { $0 + Float($1 % 28) * digit.pixels[$1] } / mass
            let centreY = digit.pixels.indices.reduce(Float(0)) { $0 + Float($1 / 28) * digit.pixels[$1] } / mass
            #expect(abs(centreX - 13.5) <= 1 && abs(centreY - 13.5) <= 1, "digit \(number): centre of mass (\(centreX), \(centreY))")
            // Blurred first: a stroke one pixel to the side is the same digit.
            let similarity = correlation(blurred(digit.pixels), blurred(sample.digit))
            #expect(similarity > 0.65, "digit \(number) (a \(sample.label)) looks like the original: correlation \(similarity)")
        }
        let predicted = try model.predict(try DigitPreprocessing.batch(digits)).argmax(alongAxis: -1)
        #expect(predicted == samples.map(\.label))
    }

    /// The 3x3 box blur of a 28x28 image.
    func blurred(_ image: [Float]) -> [Float] {
        (0..<784).map { index in
            let x = index % 28, y = index / 28
            var sum: Float = 0
            for dy in -1...1 { for dx in -1...1 where (0..<28).contains(x + dx) && (0..<28).contains(y + dy) { sum += image[(y + dy) * 28 + x + dx] } }
            return sum / 9
        }
    }

    func correlation(_ a: [Float], _ b: [Float]) -> Float {
        let meanA = a.reduce(0, +) / Float(a.count), meanB = b.reduce(0, +) / Float(b.count)
        var ab: Float = 0, aa: Float = 0, bb: Float = 0
        for (x, y) in zip(a, b) { ab += (x - meanA) * (y - meanB); aa += (x - meanA) * (x - meanA); bb += (y - meanB) * (y - meanB) }
        return ab / (aa * bb).squareRoot()
    }

    @Test("a blank photo of paper, however unevenly lit, is 'no digit', not a digit made of shadow")
    func blankPaper() throws {
        let blank = try GrayscaleImage(data: SyntheticPhoto.jpeg(of: [Float](repeating: 0, count: 784)))
        #expect(throws: DatasetError.self) { try DigitPreprocessing.mnistStyle(blank) }
    }
}
