import Tensor

/// Turns a photo or drawing of one digit into an MNIST-like 28x28 sample, the way the
/// MNIST images were made: bright ink on black, the digit scaled to fit a 20x20 box keeping its
/// aspect ratio, then placed so that its centre of mass is at the centre of the 28x28 frame.
/// The ink is first separated from the paper (``InkMap``), so photos of a digit written on paper
/// (uneven light, shadows, texture, JPEG noise) work as well as clean drawings.
public enum DigitPreprocessing {
    /// Images are first reduced (by a whole factor, averaging) until their longer side is at
    /// most this many pixels: the digit ends up 20 pixels tall, so more detail only costs time
    /// (a 280x280 drawing is read at 140x140, a 12-megapixel photo at about 160x120).
    public static let workingSize = 160

    /// The MNIST-style version of `image`.
    /// - Parameters:
    ///   - image: a photo or drawing of one digit, any size.
    ///   - invert: nil decides from the border: a light border means dark ink on a
    ///     light background, which is inverted.
    /// - Throws: ``DatasetError/inconsistent(_:)`` when no ink is found.
    public static func mnistStyle(_ image: GrayscaleImage, invert: Bool? = nil) throws -> GrayscaleImage {
        let image = reduced(image, toAtMost: workingSize)
        let map = try InkMap(image, invert: invert)
        let pixels = map.ink

        // Crop to the ink's bounding box.
        let ink = pixels.indices.filter { pixels[$0] > 0.2 }
        let xs = ink.map { $0 % image.width }, ys = ink.map { $0 / image.width }
        guard let left = xs.min(), let right = xs.max(), let top = ys.min(), let bottom = ys.max() else {
            throw DatasetError.inconsistent("no digit found: no pixel is clearly ink")
        }
        let cropWidth = right - left + 1, cropHeight = bottom - top + 1

        // Scale the longer side to 20 pixels, averaging the source area under each target pixel.
        let scale = 20 / Float(Swift.max(cropWidth, cropHeight))
        let boxWidth = Swift.max(1, Int((Float(cropWidth) * scale).rounded()))
        let boxHeight = Swift.max(1, Int((Float(cropHeight) * scale).rounded()))
        var box = [Float](repeating: 0, count: boxWidth * boxHeight)
        let samples = 4
        for y in 0..<boxHeight {
            for x in 0..<boxWidth {
                var sum: Float = 0
                for sy in 0..<samples {
                    for sx in 0..<samples {
                        let sourceX = left + Int((Float(x) + (Float(sx) + 0.5) / Float(samples)) / scale)
                        let sourceY = top + Int((Float(y) + (Float(sy) + 0.5) / Float(samples)) / scale)
                        sum += pixels[Swift.min(sourceY, bottom) * image.width + Swift.min(sourceX, right)]
                    }
                }
                box[y * boxWidth + x] = sum / Float(samples * samples)
            }
        }

        // Place it in 28x28 with its centre of mass at (13.5, 13.5), as MNIST centres its digits.
        let mass = box.reduce(0, +)
        let centreX = box.indices.reduce(Float(0)) { $0 + Float($1 % boxWidth) * box[$1] } / mass
        let centreY = box.indices.reduce(Float(0)) { $0 + Float($1 / boxWidth) * box[$1] } / mass
        let offsetX = Int((13.5 - centreX).rounded()), offsetY = Int((13.5 - centreY).rounded())
        var frame = [Float](repeating: 0, count: 28 * 28)
        for y in 0..<boxHeight {
            for x in 0..<boxWidth {
                let targetX = x + offsetX, targetY = y + offsetY
                if (0..<28).contains(targetX), (0..<28).contains(targetY) { frame[targetY * 28 + targetX] = box[y * boxWidth + x] }
            }
        }
        return try GrayscaleImage(width: 28, height: 28, pixels: frame)
    }

    /// `image` shrunk by a whole factor, averaging each block, until its longer side fits `size`.
    static func reduced(_ image: GrayscaleImage, toAtMost size: Int) -> GrayscaleImage {
        let factor = (Swift.max(image.width, image.height) + size - 1) / size
        guard factor > 1 else { return image }
        // A side shorter than the factor (a 1x166 strip) keeps one pixel, averaging what there is.
        let width = Swift.max(1, image.width / factor), height = Swift.max(1, image.height / factor)
        var pixels = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let rows = y * factor..<Swift.min(image.height, (y + 1) * factor)
            for x in 0..<width {
                let columns = x * factor..<Swift.min(image.width, (x + 1) * factor)
                var sum: Float = 0
                for sourceY in rows { for sourceX in columns { sum += image[sourceX, sourceY] } }
                pixels[y * width + x] = sum / Float(rows.count * columns.count)
            }
        }
        return GrayscaleImage(checkedWidth: width, height: height, pixels: pixels)
    }

    /// A batch `[count, 28, 28, 1]` of 28x28 images, ready for a model trained on MNIST.
    public static func batch(_ images: [GrayscaleImage]) throws -> Tensor {
        try Tensor(shape: [images.count, 28, 28, 1], scalars: images.flatMap(\.pixels))
    }
}
