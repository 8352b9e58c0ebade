import Foundation
import MNISTTestSupport
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

    /// Luminance over white, as the decoder defines it, from 0...1 channel values.
    static func expectedGray(_ channels: [Double], _ type: PNGWriter.ColorType) -> Float {
        let (value, alpha): (Double, Double) = switch type {
        case .gray: (channels[0], 1)
        case .grayAlpha: (channels[0], channels[1])
        case .rgb: (0.299 * channels[0] + 0.587 * channels[1] + 0.114 * channels[2], 1)
        case .rgba: (0.299 * channels[0] + 0.587 * channels[1] + 0.114 * channels[2], channels[3])
        case .palette: fatalError("palette pixels are looked up by the caller")
        }
        return Float(alpha * value + (1 - alpha))
    }

    @Test("PNG: 16-bit, 1-bit, interlaced and palette-with-transparency files decode to the expected gray values",
          arguments: [
            ("16-bit gray", PNGWriter.ColorType.gray, 16, false), ("16-bit RGBA", .rgba, 16, false),
            ("1-bit gray", .gray, 1, false), ("interlaced gray", .gray, 8, true), ("interlaced 16-bit RGB", .rgb, 16, true),
            ("interlaced gray+alpha", .grayAlpha, 8, true),
          ])
    func pngKinds(name: String, type: PNGWriter.ColorType, depth: Int, interlaced: Bool) throws {
        let (width, height) = (11, 9)  // 9 rows and 11 columns fill all seven Adam7 passes
        var state: UInt64 = 12345
        let maximum = (1 << depth) - 1
        let channels = [PNGWriter.ColorType.gray: 1, .grayAlpha: 2, .rgb: 3, .rgba: 4][type]!
        let samples = (0..<width * height).map { _ in
            (0..<channels).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int(state >> 33) % (maximum + 1)
            }
        }
        let writer = PNGWriter(width: width, height: height, colorType: type, bitDepth: depth, interlaced: interlaced)
        let image = try GrayscaleImage(data: writer.encode(samples), name: name)
        #expect(image.width == width && image.height == height)
        let expected = samples.map { Self.expectedGray($0.map { Double($0) / Double(maximum) }, type) }
        // libpng hands back 8 bits per channel: one step of 1/255 at most, plus rounding.
        let worst = zip(image.pixels, expected).map { abs($0 - $1) }.max()!
        #expect(worst <= 1.01 / 255, "largest difference \(worst)")
    }

    @Test("PNG: an interlaced 2-bit palette image with transparent entries")
    func pngPalette() throws {
        var writer = PNGWriter(width: 10, height: 9, colorType: .palette, bitDepth: 2, interlaced: true)
        writer.palette = [(0, 0, 0), (255, 0, 0), (10, 200, 30), (255, 255, 255)]
        writer.paletteAlpha = [255, 128, 0]  // the fourth entry is opaque
        let indices = (0..<90).map { [($0 * 7 + $0 / 10) % 4] }
        let image = try GrayscaleImage(data: writer.encode(indices), name: "palette")
        let expected = indices.map { pixel -> Float in
            let (r, g, b) = writer.palette[pixel[0]]
            let alpha = pixel[0] < writer.paletteAlpha.count ? Double(writer.paletteAlpha[pixel[0]]) / 255 : 1
            return Self.expectedGray([Double(r) / 255, Double(g) / 255, Double(b) / 255, alpha], .rgba)
        }
        let worst = zip(image.pixels, expected).map { abs($0 - $1) }.max()!
        #expect(worst <= 1.01 / 255, "largest difference \(worst)")
    }

    /// A 48x32 white image whose top-left 16x16 block is black.
    static func cornerImage() throws -> GrayscaleImage {
        try GrayscaleImage(width: 48, height: 32, pixels: (0..<48 * 32).map { ($0 % 48 < 16 && $0 / 48 < 16) ? 0 : 1 })
    }

    @Test("PNG written by the library reads back exactly")
    func pngRoundTrip() throws {
        let image = try GrayscaleImage(width: 5, height: 3, bytes: (0..<15).map { UInt8($0 * 17) })
        #expect(try GrayscaleImage(data: image.pngData()) == image)
    }

    @Test("JPEG, baseline and progressive, decodes close to the original", arguments: [false, true])
    func jpeg(progressive: Bool) throws {
        let gradient = try GrayscaleImage(width: 64, height: 40, pixels: (0..<64 * 40).map { Float($0 % 64) / 63 })
        let data = try gradient.jpegData(quality: 95, progressive: progressive)
        // SOF2 marks a progressive frame, SOF0 a baseline one.
        #expect(data.range(of: Data([0xFF, progressive ? 0xC2 : 0xC0])) != nil)
        let decoded = try GrayscaleImage(data: data)
        #expect(decoded.width == 64 && decoded.height == 40)
        let worst = zip(decoded.pixels, gradient.pixels).map { abs($0 - $1) }.max()!
        #expect(worst < 0.03, "largest difference \(worst)")
    }

    @Test("JPEG: every EXIF orientation turns the photo upright", arguments: EXIFOrientation.allCases)
    func exifOrientation(_ orientation: EXIFOrientation) throws {
        let stored = try Self.cornerImage().jpegData(quality: 95)
        // Where the stored top-left black block must be shown: (right side?, bottom side?) and the shown size.
        let (right, bottom): (Bool, Bool) = switch orientation {
        case .up, .leftMirrored: (false, false)
        case .mirrored, .right: (true, false)
        case .upsideDown, .rightMirrored: (true, true)
        case .upsideDownMirrored, .left: (false, true)
        }
        for bigEndian in [false, true] {
            let image = try GrayscaleImage(data: SyntheticPhoto.withEXIF(stored, orientation: orientation.rawValue, bigEndian: bigEndian))
            let turned = orientation.rawValue >= 5
            #expect((image.width, image.height) == (turned ? 32 : 48, turned ? 48 : 32))
            let x = right ? image.width - 8 : 8, y = bottom ? image.height - 8 : 8
            #expect(image[x, y] < 0.1, "\(orientation): the black block is shown at (\(x), \(y))")
            #expect(image[image.width - 1 - x, image.height - 1 - y] > 0.9)
            #expect(EXIFOrientation(jpeg: SyntheticPhoto.withEXIF(stored, orientation: orientation.rawValue, bigEndian: bigEndian)) == orientation)
        }
        #expect(EXIFOrientation(jpeg: stored) == nil, "no EXIF segment: shown as stored")
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
        let jpeg = try Self.cornerImage().jpegData()
        var huge = PNGWriter(width: 1, height: 1, colorType: .gray, bitDepth: 8).encode([[0]])
        huge.replaceSubrange(16..<24, with: [0, 1, 0, 0, 0, 1, 0, 0])  // IHDR claims 65536x65536, with a valid CRC
        var crc = Data()
        crc.append(bigEndian: PNGWriter.crc32(huge[12..<29]))
        huge.replaceSubrange(29..<33, with: crc)
        for (name, data) in [("truncated.png", fixture.prefix(fixture.count / 2)), ("text.txt", Data("hello".utf8)),
                             ("short.pgm", Data("P5\n4 4\n255\n".utf8) + Data([1, 2])), ("empty.png", Data()),
                             ("truncated.jpg", jpeg.prefix(jpeg.count * 2 / 3)), ("header-only.jpg", jpeg.prefix(4)),
                             ("huge.pgm", Data("P5\n99999 99999\n255\n".utf8)), ("huge.png", huge)] {
            let url = try write(data, name)
            defer { try? FileManager.default.removeItem(at: url) }
            #expect(throws: DatasetError.self, "\(name)") { try GrayscaleImage(contentsOf: url) }
            if name.hasPrefix("huge") {
                #expect { try GrayscaleImage(contentsOf: url) } throws: { "\($0)".contains("at most \(GrayscaleImage.maximumPixelCount) pixels") }
            }
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

    @Test("images thinner than the reduction factor (found by fuzzing: a 1x166 PGM) are preprocessed, not crashed on",
          arguments: [(1, 166), (166, 1), (2, 400), (3, 3)])
    func thinImages(width: Int, height: Int) throws {
        let stroke = try GrayscaleImage(width: width, height: height, pixels: (0..<width * height).map { $0 % 7 < 3 ? 0 : 1 })
        do {
            let digit = try DigitPreprocessing.mnistStyle(stroke)
            #expect(digit.width == 28 && digit.height == 28)
        } catch let error as DatasetError {
            #expect("\(error)".hasPrefix("no digit found"), "\(error)")
        }
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
