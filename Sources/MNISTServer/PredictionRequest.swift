import Datasets
import Foundation

/// The body of `POST /api/predict`: an image file, or JSON pixels, told apart by their first
/// bytes (browsers and tools label uploads inconsistently). Every way to be wrong is an
/// ``APIError`` with what was expected and what was found.
enum PredictionRequest {
    /// A photo or drawing, to preprocess.
    case image(GrayscaleImage)
    /// A 28x28 MNIST-style image, classified as it is.
    case mnistPixels(GrayscaleImage)

    init(body: Data, contentType: String?, maximumImagePixels: Int = GrayscaleImage.maximumPixelCount) throws {
        let firstByte = body.first { ![9, 10, 13, 32].contains($0) }
        if contentType?.hasPrefix("application/json") == true || firstByte == UInt8(ascii: "{") {
            self = .mnistPixels(try Self.pixels(fromJSON: body))
            return
        }
        do {
            self = .image(try GrayscaleImage(data: body, name: "the request body", maximumPixelCount: maximumImagePixels))
        } catch let error as DatasetError {
            throw APIError(.badRequest, "\(error)")
        }
    }

    private static func pixels(fromJSON body: Data) throws -> GrayscaleImage {
        struct Pixels: Decodable { let pixels: [Float] }
        let pixels: [Float]
        do {
            pixels = try JSONDecoder().decode(Pixels.self, from: body).pixels
        } catch {
            throw APIError(.badRequest, "malformed JSON: expected {\"pixels\": [784 numbers from 0 to 1]}: \(Self.reason(error))")
        }
        guard pixels.count == 784 else {
            throw APIError(.badRequest, "expected 784 pixel values (28x28, row by row), found \(pixels.count)")
        }
        if let bad = pixels.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw APIError(.badRequest, "pixel values must be between 0 and 1; pixel \(bad) is \(pixels[bad])")
        }
        return try GrayscaleImage(width: 28, height: 28, pixels: pixels)
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): context.debugDescription
        case DecodingError.keyNotFound(let key, _): "no \"\(key.stringValue)\" key"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }

    func classify(with classifier: DigitClassifier) throws -> DigitPrediction {
        switch self {
        case let .mnistPixels(digit):
            return try classifier.classify(mnistStyle: digit)
        case let .image(image):
            do {
                return try classifier.classify(image)
            } catch let error as DatasetError {
                throw APIError(.unprocessableContent, "\(error)")
            }
        }
    }
}
