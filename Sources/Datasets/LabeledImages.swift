import Foundation
import Layers
import Tensor

/// Images of one shape with a class label each, kept as the file's bytes: one split of an
/// image-classification data set (``MNIST/Split`` and ``FashionMNIST/Split`` are this type).
///
/// The pixels stay bytes (47 MB for MNIST's training images instead of 188 MB as Float32), and
/// the split is a ``SampleSource``: `fit` and `evaluate` read it a batch at a time, scaled to
/// `[0, 1]` with one-hot targets. ``images`` makes the whole Float32 tensor when asked for.
///
/// Any pair of IDX files loads with ``init(imagesFile:labelsFile:classCount:)``:
///
/// ```swift
/// let train = try LabeledImages(imagesFile: folder.appendingPathComponent("train-images-idx3-ubyte.gz"),
///                               labelsFile: folder.appendingPathComponent("train-labels-idx1-ubyte.gz"),
///                               classCount: 10)
/// ```
public struct LabeledImages: Sendable {
    /// The pixels, `imageShape` bytes per image (row by row; for MNIST 0 is white paper, 255 ink).
    public let pixels: [UInt8]
    /// The class of each image, in `0..<classCount`.
    public let labels: [Int]
    /// The shape of one image, `[rows, columns, channels]`.
    public let imageShape: [Int]
    /// The number of classes, the width of ``oneHotLabels``.
    public let classCount: Int

    /// Images and labels from memory, checked to fit together.
    /// - Throws: ``DatasetError/inconsistent(_:)`` when the pixels are not a whole number of
    ///   images, the counts differ, or a label is outside `0..<classCount`.
    public init(pixels: [UInt8], labels: [Int], imageShape: [Int], classCount: Int) throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw DatasetError.inconsistent(
                "expected an image shape [rows, columns, channels] of positive sizes, found \(imageShape)")
        }
        guard classCount > 0 else { throw DatasetError.inconsistent("expected at least one class, found \(classCount)") }
        let imageSize = imageShape.reduce(1, *)
        guard pixels.count == labels.count * imageSize else {
            throw DatasetError.inconsistent(
                "\(labels.count) labels need \(labels.count * imageSize) pixels of images \(imageShape), found \(pixels.count)")
        }
        if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
            throw DatasetError.inconsistent("the label \(bad) is outside 0 to \(classCount - 1) (\(classCount) classes)")
        }
        self.pixels = pixels
        self.labels = labels
        self.imageShape = imageShape
        self.classCount = classCount
    }

    /// Loads an IDX file of images, `[count, rows, columns]` (one channel) or
    /// `[count, rows, columns, channels]`, and an IDX file of as many labels, `[count]`
    /// (each may be gzip-compressed).
    /// - Parameter expectedImageShape: when given, the shape every image must have.
    /// - Throws: ``DatasetError`` naming the file and what is wrong with it.
    public init(imagesFile: URL, labelsFile: URL, classCount: Int, expectedImageShape: [Int]? = nil) throws {
        let images = try IDXFile(contentsOf: imagesFile), labels = try IDXFile(contentsOf: labelsFile)
        let imagesName = imagesFile.lastPathComponent, labelsName = labelsFile.lastPathComponent
        let imageShape: [Int]
        switch images.dimensions.count {
        case 3: imageShape = Array(images.dimensions.dropFirst()) + [1]
        case 4: imageShape = Array(images.dimensions.dropFirst())
        default:
            throw DatasetError.inconsistent("\(imagesName): expected images of [count, rows, columns] or "
                                            + "[count, rows, columns, channels], found \(images.dimensions)")
        }
        if let expectedImageShape, imageShape != expectedImageShape {
            let expected = (expectedImageShape.last == 1 ? Array(expectedImageShape.dropLast()) : expectedImageShape)
                .map(String.init).joined(separator: ", ")
            throw DatasetError.inconsistent("\(imagesName): expected images of [count, \(expected)], found \(images.dimensions)")
        }
        guard labels.dimensions.count == 1 else {
            throw DatasetError.inconsistent("\(labelsName): expected labels of [count], found \(labels.dimensions)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DatasetError.inconsistent(
                "\(imagesName) has \(images.dimensions[0]) images but \(labelsName) has \(labels.dimensions[0]) labels")
        }
        if let bad = labels.bytes.first(where: { Int($0) >= classCount }) {
            throw DatasetError.inconsistent(
                "\(labelsName) has the label \(bad); expected 0 to \(classCount - 1) (\(classCount) classes)")
        }
        try self.init(pixels: images.bytes, labels: labels.bytes.map(Int.init), imageShape: imageShape, classCount: classCount)
    }

    /// The number of images.
    public var count: Int { labels.count }
    /// `[N, rows, columns, channels]`, pixel intensities scaled to `[0, 1]`; made from ``pixels``
    /// on each access (4 bytes per pixel: keep it in a variable, or train on the split itself).
    public var images: Tensor { try! Tensor(gatheringRows: 0..<count, of: pixels, rowShape: imageShape, scale: 1.0 / 255) }
    /// The labels one-hot encoded, `[N, classCount]`.
    public var oneHotLabels: Tensor { try! Tensor.oneHot(labels, classes: classCount) }
    /// The labels as a `[N]` tensor of class indices (for sparse losses).
    public var labelTensor: Tensor { Tensor(labels.map(Float.init)) }

    /// The images at `range` (and their labels), as a split of their own.
    public func subset(_ range: Range<Int>) -> LabeledImages {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "subset \(range) of a split of \(count) images")
        let imageSize = imageShape.reduce(1, *)
        return try! LabeledImages(pixels: Array(pixels[range.lowerBound * imageSize..<range.upperBound * imageSize]),
                                  labels: Array(labels[range]), imageShape: imageShape, classCount: classCount)
    }
}

extension LabeledImages: SampleSource {
    /// The images at `indices` scaled to `[0, 1]`, `[n, rows, columns, channels]`, and their
    /// labels one-hot, `[n, classCount]`.
    public func batch(at indices: some Collection<Int>) throws -> (x: Tensor, y: Tensor) {
        (try Tensor(gatheringRows: indices, of: pixels, rowShape: imageShape, scale: 1.0 / 255),
         try Tensor.oneHot(indices.map { labels[$0] }, classes: classCount))
    }
}
