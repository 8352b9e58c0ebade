/// How much ink each pixel of a photo or drawing holds, in `[0, 1]`, with the paper removed:
/// the first half of ``DigitPreprocessing``. Photos of paper have uneven light, shadows, texture
/// and JPEG noise; none of it may be taken for ink.
///
/// 1. Darkness is measured against the paper: dark ink on a light page is inverted.
/// 2. The paper's own level is estimated (a morphological opening wider than any stroke, on
///    cell medians) and subtracted: a brightness gradient or a soft shadow becomes flat. What is
///    left must stand well above the paper's noise to count as a digit.
/// 3. Otsu's threshold splits what is left into ink and paper; ink specks far smaller than the
///    largest stroke are dropped; the ink keeps its soft edges near the strokes that stay.
struct InkMap {
    /// Ink per pixel, row-major: 0 is paper, 1 the strongest ink.
    let ink: [Float]

    /// The ink of `image`; `invert` nil decides from the border (a light border means dark ink).
    init(_ image: GrayscaleImage, invert: Bool?) throws {
        let (width, height) = (image.width, image.height)
        let border = (0..<width).flatMap { [image[$0, 0], image[$0, height - 1]] }
            + (0..<height).flatMap { [image[0, $0], image[width - 1, $0]] }
        let lightPaper = invert ?? (border.reduce(0, +) / Float(border.count) > 0.5)
        let darkness = lightPaper ? image.pixels.map { 1 - $0 } : image.pixels
        let paper = Self.paperLevel(darkness, width: width, height: height)
        // Light falls on paper and ink alike, so on a light page ink is a fraction of the paper's
        // brightness (flat-field correction); on a dark board, chalk adds to it.
        let residual = lightPaper
            ? zip(image.pixels, paper).map { pixel, paperDarkness in 1 - pixel / Swift.max(1 - paperDarkness, 0.05) }
            : zip(darkness, paper).map { $0 - $1 }
        let contrast = residual.map { Swift.max(0, $0) }

        // Ink must stand out from the paper's texture and the sensor's noise, not just from black:
        // a robust noise level (the median absolute residual, as a standard deviation) sets the bar.
        let typical = Self.percentile(residual, 0.5)
        let noise = 1.4826 * Self.percentile(residual.map { Swift.abs($0 - typical) }, 0.5)
        let peak = Self.percentile(contrast, 0.999)  // strong ink; a few hot pixels do not count
        guard peak > Swift.max(0.1, 6 * noise) else {
            throw DatasetError.inconsistent(
                "no digit found: nothing stands out from the background (contrast \(peak), noise \(noise))")
        }
        let ink = contrast.map { Swift.min(1, $0 / peak) }
        let threshold = Self.otsuThreshold(ink)
        let strokes = Self.largeComponents(of: ink.map { $0 > threshold }, width: width, height: height)
        let nearStrokes = Self.dilated(strokes, width: width, height: height, radius: Swift.max(1, Swift.min(width, height) / 100))
        // Below half the threshold is paper texture; above it, soft edges rising to full ink at the
        // strokes' typical strength, as MNIST's pen strokes saturate.
        let floor = threshold / 2
        let full = Swift.max(threshold, Self.percentile(ink.indices.filter { strokes[$0] }.map { ink[$0] }, 0.5))
        self.ink = ink.indices.map { nearStrokes[$0] ? Swift.min(1, Swift.max(0, (ink[$0] - floor) / (full - floor))) : 0 }
    }

    /// The paper's darkness under every pixel, smooth over the image: a morphological opening
    /// (the largest minimum over a window wider than any stroke) of the image's cell medians.
    /// An opening keeps linear gradients exactly and removes whatever is narrower than its window,
    /// which strokes are and lighting is not.
    static func paperLevel(_ darkness: [Float], width: Int, height: Int) -> [Float] {
        let cell = Swift.max(1, Swift.min(width, height) / 32)
        let columns = (width + cell - 1) / cell, rows = (height + cell - 1) / cell
        var medians = [Float](repeating: 0, count: columns * rows)
        for row in 0..<rows {
            for column in 0..<columns {
                var values: [Float] = []
                for y in row * cell..<Swift.min(height, (row + 1) * cell) {
                    values.append(contentsOf: darkness[(y * width + column * cell)..<(y * width + Swift.min(width, (column + 1) * cell))])
                }
                medians[row * columns + column] = percentile(values, 0.5)
            }
        }
        // A window of 9 cells, about 9/32 of the image: wider than a digit's strokes.
        let radius = 4
        let eroded = windowed(medians, columns: columns, rows: rows, radius: radius, by: Swift.min)
        let levels = windowed(eroded, columns: columns, rows: rows, radius: radius, by: Swift.max)
        // Bilinear between cell centres.
        var paper = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let gy = Swift.min(Swift.max((Float(y) + 0.5) / Float(cell) - 0.5, 0), Float(rows - 1))
            let r0 = Int(gy), r1 = Swift.min(r0 + 1, rows - 1), fy = gy - Float(r0)
            for x in 0..<width {
                let gx = Swift.min(Swift.max((Float(x) + 0.5) / Float(cell) - 0.5, 0), Float(columns - 1))
                let c0 = Int(gx), c1 = Swift.min(c0 + 1, columns - 1), fx = gx - Float(c0)
                let top = levels[r0 * columns + c0] * (1 - fx) + levels[r0 * columns + c1] * fx
                let bottom = levels[r1 * columns + c0] * (1 - fx) + levels[r1 * columns + c1] * fx
                paper[y * width + x] = top * (1 - fy) + bottom * fy
            }
        }
        return paper
    }

    /// `combine` (min or max) of each value's square neighbourhood, separably: rows, then columns.
    static func windowed(_ values: [Float], columns: Int, rows: Int, radius: Int,
                         by combine: (Float, Float) -> Float) -> [Float] {
        var across = values
        for row in 0..<rows {
            for column in 0..<columns {
                var result = values[row * columns + column]
                for c in Swift.max(0, column - radius)...Swift.min(columns - 1, column + radius) {
                    result = combine(result, values[row * columns + c])
                }
                across[row * columns + column] = result
            }
        }
        var result = across
        for row in 0..<rows {
            for column in 0..<columns {
                var value = across[row * columns + column]
                for r in Swift.max(0, row - radius)...Swift.min(rows - 1, row + radius) { value = combine(value, across[r * columns + column]) }
                result[row * columns + column] = value
            }
        }
        return result
    }

    /// The value below which a fraction `q` of `values` (all in `[-1, 1]`) lies. Whole images
    /// go through a histogram of 4,096 bins (to within 1/2,048, in linear time); a cell's few
    /// values are sorted.
    static func percentile(_ values: [Float], _ q: Float) -> Float {
        guard !values.isEmpty else { return 0 }
        let rank = Swift.min(values.count - 1, Int(Float(values.count - 1) * q))
        let bins = 4096
        guard values.count > bins else { return values.sorted()[rank] }
        var histogram = [Int](repeating: 0, count: bins)
        for value in values { histogram[Swift.min(bins - 1, Swift.max(0, Int((value + 1) / 2 * Float(bins))))] += 1 }
        var seen = 0
        for (bin, count) in histogram.enumerated() {
            seen += count
            if seen > rank { return (Float(bin) + 0.5) / Float(bins) * 2 - 1 }
        }
        return 1
    }

    /// Otsu's threshold for values in `[0, 1]`: the split of a 256-bin histogram that maximises
    /// the variance between the two classes.
    static func otsuThreshold(_ values: [Float]) -> Float {
        var histogram = [Double](repeating: 0, count: 256)
        for value in values { histogram[Swift.min(255, Int(value * 255))] += 1 }
        let total = Double(values.count)
        let sum = histogram.indices.reduce(0.0) { $0 + Double($1) * histogram[$1] }
        var below = 0.0, sumBelow = 0.0, best = 0.0, threshold = 0
        for bin in 0..<255 {
            below += histogram[bin]
            sumBelow += Double(bin) * histogram[bin]
            let above = total - below
            guard below > 0, above > 0 else { continue }
            let difference = sumBelow / below - (sum - sumBelow) / above
            let between = below * above * difference * difference
            if between > best { best = between; threshold = bin }
        }
        return (Float(threshold) + 1) / 255
    }

    /// The 8-connected components of `mask` at least a tenth the size of the largest.
    static func largeComponents(of mask: [Bool], width: Int, height: Int) -> [Bool] {
        var label = [Int](repeating: -1, count: mask.count)
        var sizes: [Int] = []
        var stack: [Int] = []
        for start in mask.indices where mask[start] && label[start] < 0 {
            let id = sizes.count
            var size = 0
            label[start] = id
            stack.append(start)
            while let index = stack.popLast() {
                size += 1
                let x = index % width, y = index / width
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                        let neighbour = ny * width + nx
                        if mask[neighbour] && label[neighbour] < 0 { label[neighbour] = id; stack.append(neighbour) }
                    }
                }
            }
            sizes.append(size)
        }
        let keep = (sizes.max() ?? 0) / 10
        return label.map { $0 >= 0 && sizes[$0] >= keep }
    }

    /// `mask` grown by `radius` pixels (a square neighbourhood).
    static func dilated(_ mask: [Bool], width: Int, height: Int, radius: Int) -> [Bool] {
        var rows = mask
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                for nx in Swift.max(0, x - radius)...Swift.min(width - 1, x + radius) { rows[y * width + nx] = true }
            }
        }
        var grown = rows
        for y in 0..<height {
            for x in 0..<width where rows[y * width + x] {
                for ny in Swift.max(0, y - radius)...Swift.min(height - 1, y + radius) { grown[ny * width + x] = true }
            }
        }
        return grown
    }
}
