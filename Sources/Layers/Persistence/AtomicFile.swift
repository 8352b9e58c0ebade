import Foundation

/// Writes files so that a reader sees the old content or the new, never a mix: the data
/// goes to a temporary file in the same folder, is flushed to disk, and is renamed over
/// the target. On any failure the temporary file is removed and the target is untouched.
enum AtomicFile {
    /// Writes `data` to `path`. `beforeRename` runs after the data is on disk and before the
    /// rename (tests use it to simulate a failure at the last moment).
    static func write(_ data: Data, to path: String, beforeRename: () throws -> Void = {}) throws {
        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ModelFileError.cannotWrite(path: path, reason: "the folder \(folder.path) does not exist")
        }
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw ModelFileError.cannotWrite(path: path, reason: "cannot create a file in \(folder.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try handle.write(contentsOf: data)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            try beforeRename()
            guard rename(temporary.path, target.path) == 0 else {
                throw ModelFileError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? ModelFileError { throw error }
            throw ModelFileError.cannotWrite(path: path, reason: "\(error.localizedDescription)")
        }
    }
}
