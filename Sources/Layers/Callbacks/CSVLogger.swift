import Foundation

/// Writes one CSV row per epoch (`epoch` then the log keys in alphabetical order), as
/// Keras's `CSVLogger`. The file is flushed after every epoch, so it survives a crash.
public final class CSVLogger: Callback {
    public let path: String
    public let separator: String
    public let append: Bool
    private var handle: FileHandle?
    private var keys: [LogKey]?

    /// A logger writing to `path`; with `append` an existing file is continued.
    public init(path: String, separator: String = ",", append: Bool = false) {
        self.path = path
        self.separator = separator
        self.append = append
    }

    public func onTrainBegin(model: Model) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        if !append || !exists {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw LayersError.invalidData("CSVLogger: cannot create \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw LayersError.invalidData("CSVLogger: cannot open \(path) for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
        keys = append && exists ? [] : nil
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {
        guard let handle else { return }
        if keys == nil || keys == [] {
            let writeHeader = keys == nil
            keys = logs.keys.sorted()
            if writeHeader { try write((["epoch"] + keys!.map(\.rawValue)).joined(separator: separator), to: handle) }
        }
        let row = [String(epoch)] + keys!.map { logs[$0].map { "\($0)" } ?? "" }
        try write(row.joined(separator: separator), to: handle)
    }

    public func onTrainEnd(model: Model, logs: Logs) throws {
        try handle?.close()
        handle = nil
    }

    private func write(_ line: String, to handle: FileHandle) throws {
        try handle.write(contentsOf: Data((line + "\n").utf8))
        try handle.synchronize()
    }
}
