import Datasets
import Foundation

/// What the model says about one image: a probability per digit, and the 28x28 image it saw.
public struct DigitPrediction: Sendable {
    /// Ten probabilities, for the digits 0 to 9.
    public let probabilities: [Float]
    /// The model's input: the image after MNIST-style preprocessing.
    public let input: GrayscaleImage

    /// The `count` likeliest digits, likeliest first.
    public func top(_ count: Int) -> [(digit: Int, probability: Float)] {
        Array(probabilities.enumerated().sorted { $0.element > $1.element }.prefix(count)
            .map { (digit: $0.offset, probability: $0.element) })
    }

    /// The likeliest three, as `mnist predict` prints them: "7 (99.1%), 1 (0.5%), 2 (0.2%)".
    public var summary: String {
        top(3).map { String(format: "%d (%.1f%%)", $0.digit, $0.probability * 100) }.joined(separator: ", ")
    }

    /// The JSON answer of `POST /api/predict`.
    struct Response: Encodable {
        struct Candidate: Encodable { let digit: Int, probability: Float }
        let digit: Int
        let probabilities: [Float]
        let top: [Candidate]
        /// The 28x28 model input as a PNG data URL, to show what the model saw.
        let input: String
    }

    func response() throws -> Response {
        let top = top(3).map { Response.Candidate(digit: $0.digit, probability: $0.probability) }
        return Response(digit: top[0].digit, probabilities: probabilities, top: top,
                        input: "data:image/png;base64," + (try input.pngData()).base64EncodedString())
    }
}
