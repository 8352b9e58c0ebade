import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads the four MNIST files from the official mirrors and checks each against the
/// official MD5 checksum; a file that fails its checksum is deleted and reported, and the
/// next mirror is tried.
public enum MNISTDownloader {
    /// The official mirrors, tried in order.
    public static let mirrors = [
        URL(string: "https://ossci-datasets.s3.amazonaws.com/mnist/")!,
        URL(string: "https://storage.googleapis.com/cvdf-datasets/mnist/")!,
    ]

    /// The official MD5 checksums of the gzip files.
    public static let checksums = [
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    ]

    /// Downloads every file of `checksums` missing from `folder` (created if needed).
    /// Files already there are kept as they are (a user's own copy is not rejected for its
    /// checksum). Each download goes to a temporary file and is renamed into place only
    /// when its checksum matches.
    /// - Parameters:
    ///   - folder: where the files go.
    ///   - mirrors: base URLs tried in order for each file.
    ///   - checksums: the file names and their MD5 digests.
    ///   - progress: receives one line per file and per failure.
    ///   - timeout: seconds to wait for each request.
    /// - Throws: ``DatasetError/downloadFailed(file:reasons:)`` when no mirror gives a good copy.
    public static func download(
        to folder: URL, mirrors: [URL] = mirrors, checksums: [String: String] = checksums,
        timeout: TimeInterval = 60, progress: (String) -> Void = { print($0) }
    ) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, expected) in checksums.sorted(by: { $0.key < $1.key }) {
            let target = folder.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: target.path) { continue }
            var reasons: [String] = []
            for mirror in mirrors {
                let url = mirror.appendingPathComponent(name)
                progress("Downloading \(url.absoluteString)")
                do {
                    let data = try fetch(url, timeout: timeout)
                    let digest = MD5.hexDigest(of: data)
                    guard digest == expected else {
                        reasons.append("\(url.absoluteString): checksum \(digest), expected \(expected); the download was deleted")
                        progress("  checksum mismatch (\(digest), expected \(expected)); deleted")
                        continue
                    }
                    let temporary = folder.appendingPathComponent(".\(name).\(UUID().uuidString).download")
                    try data.write(to: temporary)
                    guard rename(temporary.path, target.path) == 0 else {
                        try? FileManager.default.removeItem(at: temporary)
                        throw DatasetError.cannotRead(path: target.path, reason: "cannot move the download into place")
                    }
                    progress(String(format: "  %.1f MB, checksum OK", Double(data.count) / 1_000_000))
                    reasons = []
                    break
                } catch let error as DatasetError {
                    throw error
                } catch {
                    reasons.append("\(url.absoluteString): \(error.localizedDescription)")
                    progress("  failed: \(error.localizedDescription)")
                }
            }
            if !reasons.isEmpty { throw DatasetError.downloadFailed(file: name, reasons: reasons) }
        }
    }

    /// The body of a successful (2xx) GET of `url`.
    private static func fetch(_ url: URL, timeout: TimeInterval) throws -> Data {
        struct HTTPStatus: LocalizedError {
            let code: Int
            var errorDescription: String? { "HTTP status \(code)" }
        }
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<Data, any Error> = .failure(URLError(.unknown))
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                result = .failure(error)
            } else if let status = (response as? HTTPURLResponse)?.statusCode, !(200..<300).contains(status) {
                result = .failure(HTTPStatus(code: status))
            } else {
                result = .success(data ?? Data())
            }
            semaphore.signal()
        }
        task.resume()
        semaphore.wait()
        return try result.get()
    }
}
