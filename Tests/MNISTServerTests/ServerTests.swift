import Datasets
import Foundation
import Layers
import MNISTServer
import MNISTTestSupport
import Testing

/// An untrained model of the right shape: for the tests about HTTP, not about digits.
func untrainedClassifier() throws -> DigitClassifier {
    let model = Sequential(seed: 3) {
        Input(shape: [28, 28, 1])
        Flatten()
        Dense(units: 10, activation: .softmax)
    }
    model.name = "untrained"
    return try DigitClassifier(model: model)
}

/// An MNIST test digit (light on black) as a dark-on-white drawing of `size` pixels, as a PNG.
func drawingPNG(_ digit: [Float], size: Int = 140) throws -> Data {
    let scale = size / 28
    let pixels = (0..<size * size).map { 1 - digit[($0 / size / scale) * 28 + ($0 % size) / scale] }
    return try GrayscaleImage(width: size, height: size, pixels: pixels).pngData()
}

@Suite("mnist serve: HTTP", .serialized)
struct ServerTests {
    @Test("the page and /health")
    func pageAndHealth() async throws {
        try await RunningServer.with(try untrainedClassifier()) { server in
            let page = try await server.request("GET", "/")
            #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(html.contains("<canvas id=\"canvas\"") && html.contains("/api/predict"))
            #expect(!html.contains("http://") && !html.contains("https://"), "the page loads nothing from elsewhere")
            let health = try await server.json("GET", "/health")
            #expect(health.status == 200 && health.json["status"] as? String == "ok" && health.json["model"] as? String == "untrained")
        }
    }

    @Test("a PNG drawing, a JPEG photo and JSON pixels are each classified correctly",
          .enabled(if: TrainedDigitModel.mnistFolder != nil, "MNIST is not available (set MNIST_DIR to a folder with the four IDX files)"))
    func predictions() async throws {
        let (model, mnist) = try TrainedDigitModel.shared()
        try await RunningServer.with(try DigitClassifier(model: model)) { server in
            // Test digits the model reads correctly as MNIST pixels, one per class.
            var checked = Set<Int>()
            for index in 0..<200 where !checked.contains(mnist.test.labels[index]) {
                let label = mnist.test.labels[index]
                let digit = mnist.test.pixels[index * 784..<(index + 1) * 784].map { Float($0) / 255 }
                let json = try JSONSerialization.data(withJSONObject: ["pixels": digit])
                let fromPixels = try await server.json("POST", "/api/predict", body: json, contentType: "application/json")
                guard fromPixels.json["digit"] as? Int == label else { continue }  // a digit this small model gets wrong
                checked.insert(label)
                let probabilities = try #require(fromPixels.json["probabilities"] as? [Double])
                #expect(probabilities.count == 10 && abs(probabilities.reduce(0, +) - 1) < 1e-4)
                let top = try #require(fromPixels.json["top"] as? [[String: Any]])
                #expect(top.count == 3 && top.map { $0["digit"] as? Int } == Array(probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(3)))
                let input = try #require(fromPixels.json["input"] as? String)
                #expect(input.hasPrefix("data:image/png;base64,"))
                let seen = try GrayscaleImage(data: try #require(Data(base64Encoded: String(input.dropFirst(22)))))
                #expect(seen.width == 28 && seen.height == 28 && zip(seen.pixels, digit).allSatisfy { abs($0 - $1) <= 0.5 / 255 + 1e-6 })

                let png = try await server.json("POST", "/api/predict", body: try drawingPNG(digit), contentType: "image/png")
                #expect(png.status == 200 && png.json["digit"] as? Int == label, "PNG drawing of a \(label): \(png.json)")
                let photo = try SyntheticPhoto.jpeg(of: digit, seed: UInt64(index))
                let jpeg = try await server.json("POST", "/api/predict", body: photo, contentType: "image/jpeg")
                #expect(jpeg.status == 200 && jpeg.json["digit"] as? Int == label, "JPEG photo of a \(label): \(jpeg.json)")
            }
            #expect(checked.count == 10)
        }
    }

    @Test("bad requests get a JSON error with the right status, and the server keeps answering")
    func errors() async throws {
        try await RunningServer.with(try untrainedClassifier()) { server in
            let blank = try GrayscaleImage(width: 50, height: 50, pixels: Array(repeating: 1, count: 2500)).pngData()
            let png = try drawingPNG((0..<784).map { Float($0 % 28 > 10 && $0 % 28 < 16 ? 1 : 0) })
            let cases: [(String, String, Data?, String?, Int, String)] = [
                ("POST", "/api/predict", Data("{\"pixels\": [0.1, ".utf8), "application/json", 400, "malformed JSON"),
                ("POST", "/api/predict", Data("{\"pixel\": []}".utf8), "application/json", 400, "no \"pixels\" key"),
                ("POST", "/api/predict", Data("{\"pixels\": [0.5, 0.5]}".utf8), "application/json", 400, "expected 784 pixel values (28x28, row by row), found 2"),
                ("POST", "/api/predict", try JSONSerialization.data(withJSONObject: ["pixels": [Float](repeating: 2, count: 784)]),
                 "application/json", 400, "pixel values must be between 0 and 1; pixel 0 is 2.0"),
                ("POST", "/api/predict", Data("hello".utf8), "text/plain", 400, "not a PNG, JPEG or PGM file"),
                ("POST", "/api/predict", png.prefix(png.count / 2), "image/png", 400, "bad or unsupported PNG"),
                ("POST", "/api/predict", Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]), "image/jpeg", 400, "bad or unsupported JPEG"),
                ("POST", "/api/predict", nil, "image/png", 400, "empty request body"),
                ("POST", "/api/predict", blank, "image/png", 422, "no digit found"),
                ("POST", "/api/predict", Data(count: DigitServer.maximumBodySize + 1), "image/png", 413, "over the limit of 5242880 bytes"),
                ("GET", "/api/predict", nil, nil, 405, "GET is not allowed on /api/predict; use POST"),
                ("DELETE", "/", nil, nil, 405, "DELETE is not allowed on /; use GET"),
                ("PUT", "/health", Data("x".utf8), nil, 405, "PUT is not allowed on /health; use GET"),
                ("GET", "/no/such/page", nil, nil, 404, "no such path: /no/such/page"),
            ]
            for (method, path, body, type, status, message) in cases {
                let answer = try await server.json(method, path, body: body, contentType: type)
                #expect(answer.status == status, "\(method) \(path) \(message): \(answer.json)")
                #expect(answer.json["status"] as? Int == status)
                #expect((answer.json["error"] as? String)?.contains(message) == true, "\(answer.json)")
            }
            let allow = try await server.request("GET", "/api/predict")
            #expect(allow.headers["allow"] == "POST")
            let health = try await server.json("GET", "/health")
            #expect(health.status == 200, "still serving after every error above")
        }
    }

    @Test("200 concurrent requests are all answered, each with its own image's answer")
    func concurrentRequests() async throws {
        let classifier = try untrainedClassifier()
        try await RunningServer.with(classifier) { server in
            // Ten different images; each answer must be the one the classifier gives that image alone.
            let images = try (0..<10).map { shift in
                try GrayscaleImage(width: 28, height: 28, pixels: (0..<784).map { Float(($0 + shift * 37) % 97) / 96 })
            }
            let expected = try images.map { try classifier.classify(mnistStyle: $0).probabilities }
            let answers = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { group in
                for request in 0..<200 {
                    group.addTask {
                        let body = try JSONSerialization.data(withJSONObject: ["pixels": images[request % 10].pixels])
                        let answer = try await server.json("POST", "/api/predict", body: body, contentType: "application/json")
                        return (request, answer.status, answer.json["probabilities"] as? [Double] ?? [])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 200)
            for (request, status, probabilities) in answers {
                #expect(status == 200)
                let reference = expected[request % 10]
                #expect(probabilities.count == 10 && zip(probabilities, reference).allSatisfy { abs($0 - Double($1)) < 1e-6 },
                        "request \(request)")
            }
        }
    }
}
