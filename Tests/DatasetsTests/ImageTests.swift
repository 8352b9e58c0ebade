import Foundation
import Testing
import Datasets

@Suite("User images")
struct ImageTests {
    func write(_ data: Data, _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try data.write(to: url)
        return url
    }

    @Test("PNG: every colour type and row filter decodes to the expected gray values",
          arguments: PNGFixtures.all.map(\.name))
    func png(_ name: String) throws {
        let fixture = PNGFixtures.all.first { $0.name == name }!
        let url = try write(Data(base64Encoded: fixture.base64)!, "\(name).png")
        defer { try? FileManager.default.removeItem(at: url) }
        let image = try GrayscaleImage(contentsOf: url)
        #expect(image.width == PNGFixtures.width && image.height == PNGFixtures.height)
        let worst = zip(image.pixels, fixture.expected).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    @Test("PGM in binary and text form")
    func pgm() throws {
        let binary = try write(Data("P5\n# a comment\n3 2\n255\n".utf8) + Data([0, 51, 102, 153, 204, 255]), "b.pgm")
        let text = try write(Data("P2\n3 2\n10\n0 2 4\n6 8 10\n".utf8), "t.pgm")
        defer { for url in [binary, text] { try? FileManager.default.removeItem(at: url) } }
        #expect(try GrayscaleImage(contentsOf: binary).pixels == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(try GrayscaleImage(contentsOf: text).pixels == [0, 0.2, 0.4, 0.6, 0.8, 1])
    }

    @Test("damaged and unsupported images are reported, not crashed on")
    func badImages() throws {
        let fixture = Data(base64Encoded: PNGFixtures.all[1].base64)!
        for (name, data) in [("truncated.png", fixture.prefix(fixture.count / 2)), ("text.txt", Data("hello".utf8)),
                             ("short.pgm", Data("P5\n4 4\n255\n".utf8) + Data([1, 2])), ("empty.png", Data())] {
            let url = try write(data, name)
            defer { try? FileManager.default.removeItem(at: url) }
            #expect(throws: DatasetError.self, "\(name)") { try GrayscaleImage(contentsOf: url) }
        }
    }

    @Test("a dark digit drawn off-centre on a white page ends up inverted, 20 pixels tall and centred")
    func preprocessing() throws {
        // A 60x40 white page with a black bar (a "1") 24 pixels tall, 6 wide, near the top left.
        var pixels = [Float](repeating: 1, count: 60 * 40)
        for y in 4..<28 { for x in 6..<12 { pixels[y * 60 + x] = 0 } }
        let digit = try DigitPreprocessing.mnistStyle(try GrayscaleImage(width: 60, height: 40, pixels: pixels))
        #expect(digit.width == 28 && digit.height == 28)
        #expect(digit[0, 0] == 0 && digit[27, 27] == 0, "the background is black after inversion")
        let ink = digit.pixels.indices.filter { digit.pixels[$0] > 0.5 }
        let rows = Set(ink.map { $0 / 28 }), columns = Set(ink.map { $0 % 28 })
        #expect(rows.count == 20, "the longer side is scaled to 20 pixels, found \(rows.count)")
        #expect(columns.count == 5, "the aspect ratio is kept (6:24 → 5:20), found \(columns.count)")
        let mass = digit.pixels.reduce(0, +)
        let centreX = digit.pixels.indices.reduce(Float(0)) { $0 + Float($1 % 28) * digit.pixels[$1] } / mass
        let centreY = digit.pixels.indices.reduce(Float(0)) { $0 + Float($1 / 28) * digit.pixels[$1] } / mass
        #expect(abs(centreX - 13.5) <= 0.5 && abs(centreY - 13.5) <= 0.5, "centre of mass (\(centreX), \(centreY))")
        #expect(try DigitPreprocessing.batch([digit, digit]).shape == [2, 28, 28, 1])
    }

    @Test("light ink on black is not inverted; a blank image is an error")
    func polarity() throws {
        var pixels = [Float](repeating: 0, count: 30 * 30)
        for y in 5..<25 { for x in 12..<18 { pixels[y * 30 + x] = 1 } }
        let digit = try DigitPreprocessing.mnistStyle(try GrayscaleImage(width: 30, height: 30, pixels: pixels))
        #expect(digit[0, 0] == 0 && digit[14, 14] > 0.9)
        #expect(throws: DatasetError.self) {
            try DigitPreprocessing.mnistStyle(try GrayscaleImage(width: 10, height: 10, pixels: Array(repeating: 0.7, count: 100)))
        }
    }
}
