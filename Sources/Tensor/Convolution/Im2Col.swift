/// im2col and col2im for NHWC images: the two halves of convolution as GEMM (Caffe's
/// organisation). One image of `H x W x C` becomes `OH·OW` rows of `KH·KW·C` columns:
/// row `(oh, ow)` holds the window under output pixel `(oh, ow)`, ordered `(kh, kw, c)`
/// like the weights `[KH, KW, C, F]`, so that `columns · weights` is the NHWC output.
///
/// Both directions walk the same runs (``forEachPatchRun``), so they cannot disagree.

/// Calls `body(columnOffset, imageOffset, length)` for every run of a column matrix that
/// maps to one contiguous stretch of the image, or to padding (`imageOffset == nil`).
/// With `KW` adjacent pixels of `C` channels contiguous in NHWC, an interior window row is
/// a single run of `KW·C` scalars (of `C` when the window is dilated).
@inlinable @inline(__always)
func forEachPatchRun(
    _ window: WindowGeometry, channels: Int,
    _ body: (_ columnOffset: Int, _ imageOffset: Int?, _ length: Int) -> Void
) {
    let kernelRowLength = window.windowWidth * channels
    let rowLength = window.windowHeight * kernelRowLength
    for oh in 0..<window.outputHeight {
        for ow in 0..<window.outputWidth {
            let rowStart = (oh * window.outputWidth + ow) * rowLength
            let firstColumn = ow * window.strideWidth - window.padLeft
            for kh in 0..<window.windowHeight {
                let ih = oh * window.strideHeight - window.padTop + kh * window.dilationHeight
                let runStart = rowStart + kh * kernelRowLength
                if ih < 0 || ih >= window.inputHeight {
                    body(runStart, nil, kernelRowLength)
                } else if window.dilationWidth == 1 && firstColumn >= 0 && firstColumn + window.windowWidth <= window.inputWidth {
                    body(runStart, (ih * window.inputWidth + firstColumn) * channels, kernelRowLength)
                } else {
                    for kw in 0..<window.windowWidth {
                        let iw = firstColumn + kw * window.dilationWidth
                        let inside = iw >= 0 && iw < window.inputWidth
                        body(runStart + kw * channels, inside ? (ih * window.inputWidth + iw) * channels : nil, channels)
                    }
                }
            }
        }
    }
}

/// The image offset of every entry of one image's column matrix (-1 for padding), for inputs
/// so thin that im2col's runs are a few scalars (the first layer on grayscale images: runs of
/// 3): gathering through this table costs a third of walking the runs. It is built from
/// ``forEachPatchRun``, so it agrees with col2im.
struct PatchOffsets {
    /// The longest run (`KW·C`) for which the table is used.
    static let maximumRunLength = 16
    private let offsets: [Int32]

    /// The table for this geometry, or nil when its runs are long enough to copy whole.
    init?(window: WindowGeometry, channels: Int) {
        let count = window.outputHeight * window.outputWidth * window.windowHeight * window.windowWidth * channels
        guard window.windowWidth * channels <= Self.maximumRunLength, count <= Int(Int32.max) else { return nil }
        var offsets = [Int32](repeating: -1, count: count)
        forEachPatchRun(window, channels: channels) { columnOffset, imageOffset, length in
            guard let imageOffset else { return }
            for index in 0..<length { offsets[columnOffset + index] = Int32(imageOffset + index) }
        }
        self.offsets = offsets
    }

    /// One image's column matrix.
    func gather(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        offsets.withUnsafeBufferPointer { table in
            for index in table.indices {
                let offset = table[index]
                columns[index] = offset < 0 ? 0 : image[Int(offset)]
            }
        }
    }
}

/// Writes the column matrix of each of `count` images to `columns`, one image after another,
/// on the calling thread, through `offsets` when there is a table for this geometry.
func im2colImages(
    _ image: UnsafePointer<Float>, images count: Int, window: WindowGeometry, channels: Int, offsets: PatchOffsets?,
    into columns: UnsafeMutablePointer<Float>
) {
    let imageSize = window.inputHeight * window.inputWidth * channels
    let columnsPerImage = window.outputHeight * window.outputWidth * window.windowHeight * window.windowWidth * channels
    for n in 0..<count {
        let (source, target) = (image + n * imageSize, columns + n * columnsPerImage)
        if let offsets {
            offsets.gather(source, into: target)
            continue
        }
        forEachPatchRun(window, channels: channels) { columnOffset, imageOffset, length in
            if let imageOffset {
                (target + columnOffset).update(from: source + imageOffset, count: length)
            } else {
                (target + columnOffset).update(repeating: 0, count: length)
            }
        }
    }
}

/// The adjoint of ``im2colImages(_:images:window:channels:into:)``: overwrites each of `count`
/// images with the sum of the column entries that were read from each of its pixels, on the
/// calling thread.
func col2imImages(
    _ columns: UnsafePointer<Float>, images count: Int, window: WindowGeometry, channels: Int,
    into image: UnsafeMutablePointer<Float>
) {
    let imageSize = window.inputHeight * window.inputWidth * channels
    let columnsPerImage = window.outputHeight * window.outputWidth * window.windowHeight * window.windowWidth * channels
    for n in 0..<count {
        let (source, target) = (columns + n * columnsPerImage, image + n * imageSize)
        target.update(repeating: 0, count: imageSize)
        forEachPatchRun(window, channels: channels) { columnOffset, imageOffset, length in
            guard let imageOffset else { return }
            zipScalars(target + imageOffset, source + columnOffset, target + imageOffset, count: length, +)
        }
    }
}

/// ``im2colImages(_:images:window:channels:into:)`` of a batch, parallel over the images.
func im2colBatch(
    _ image: UnsafePointer<Float>, images count: Int, window: WindowGeometry, channels: Int,
    into columns: UnsafeMutablePointer<Float>
) {
    let imageSize = window.inputHeight * window.inputWidth * channels
    let columnsPerImage = window.outputHeight * window.outputWidth * window.windowHeight * window.windowWidth * channels
    let offsets = PatchOffsets(window: window, channels: channels)
    parallelChunks(count: count, costPerItem: columnsPerImage) { range in
        im2colImages(image + range.lowerBound * imageSize, images: range.count, window: window, channels: channels,
                     offsets: offsets, into: columns + range.lowerBound * columnsPerImage)
    }
}

/// ``col2imImages(_:images:window:channels:into:)`` of a batch, parallel over the images.
func col2imBatch(
    _ columns: UnsafePointer<Float>, images count: Int, window: WindowGeometry, channels: Int,
    into image: UnsafeMutablePointer<Float>
) {
    let imageSize = window.inputHeight * window.inputWidth * channels
    let columnsPerImage = window.outputHeight * window.outputWidth * window.windowHeight * window.windowWidth * channels
    parallelChunks(count: count, costPerItem: columnsPerImage) { range in
        col2imImages(columns + range.lowerBound * columnsPerImage, images: range.count, window: window, channels: channels,
                     into: image + range.lowerBound * imageSize)
    }
}
