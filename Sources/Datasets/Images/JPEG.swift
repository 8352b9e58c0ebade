import CTurboJPEG
import Foundation

/// JPEG through libjpeg-turbo's TurboJPEG API: baseline and progressive, any subsampling,
/// colour converted to luminance by the library. TurboJPEG returns errors instead of jumping
/// out of the decoder, so a damaged file is an error value, never a crash. Warnings (such as a
/// truncated file, which libjpeg would fill with gray) are errors too: a half-decoded photo
/// would be classified silently wrong. A progressive file of more than 500 scans is refused
/// (`TJFLAG_LIMITSCANS`): each scan is a pass over the whole image, so a small file of thousands
/// of scans would cost minutes of CPU.
enum JPEG {
    static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// Decodes `data` to luminance and turns it upright as its EXIF orientation says.
    static func decode(_ data: Data, path: String, maximumPixelCount: Int) throws -> GrayscaleImage {
        guard let decompressor = tjInitDecompress() else { throw failure(nil, path: path) }
        defer { tjDestroy(decompressor) }
        let (width, height, gray): (Int, Int, [UInt8]) = try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(decompressor, bytes.baseAddress, UInt(bytes.count),
                                      &width, &height, &subsampling, &colorspace) == 0 else {
                throw failure(decompressor, path: path)
            }
            guard width > 0, height > 0 else {
                throw DatasetError.cannotRead(path: path, reason: "bad or unsupported JPEG: no frame header before the data ends")
            }
            try GrayscaleImage.checkSize(width: Int(width), height: Int(height), path: path, maximumPixelCount: maximumPixelCount)
            var gray = [UInt8](repeating: 0, count: Int(width) * Int(height))
            let status = gray.withUnsafeMutableBufferPointer {
                tjDecompress2(decompressor, bytes.baseAddress, UInt(bytes.count), $0.baseAddress,
                              width, 0, height, Int32(TJPF_GRAY.rawValue), TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)
            }
            guard status == 0 else { throw failure(decompressor, path: path) }
            return (Int(width), Int(height), gray)
        }
        let upright = try GrayscaleImage(width: width, height: height, bytes: gray)
        return upright.oriented(EXIFOrientation(jpeg: data) ?? .up)
    }

    /// A grayscale JPEG of `image` at `quality` (1...100), progressive or baseline.
    static func encode(_ image: GrayscaleImage, quality: Int, progressive: Bool) throws -> Data {
        guard let compressor = tjInitCompress() else { throw failure(nil, path: "(JPEG in memory)") }
        defer { tjDestroy(compressor) }
        let bytes = image.bytes()
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { tjFree(output) }
        let status = tjCompress2(compressor, bytes, Int32(image.width), 0, Int32(image.height), Int32(TJPF_GRAY.rawValue),
                                 &output, &size, Int32(TJSAMP_GRAY.rawValue), Int32(min(max(quality, 1), 100)),
                                 progressive ? TJFLAG_PROGRESSIVE : 0)
        guard status == 0, let output else { throw failure(compressor, path: "(JPEG in memory)") }
        return Data(bytes: output, count: Int(size))
    }

    private static func failure(_ handle: tjhandle?, path: String) -> DatasetError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        return .cannotRead(path: path, reason: "bad or unsupported JPEG: \(message)")
    }
}
