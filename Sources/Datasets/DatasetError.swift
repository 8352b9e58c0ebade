/// An error reading a data set. The message names the file and what is wrong with it.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file is missing; `expected` lists the names looked for.
    case missingFile(folder: String, expected: [String])
    /// A file could not be read.
    case cannotRead(path: String, reason: String)
    /// A gzip stream is damaged or truncated.
    case badCompression(path: String, reason: String)
    /// An IDX file's header or size is wrong.
    case badIDX(path: String, reason: String)
    /// The files do not fit together (counts, shapes, label values).
    case inconsistent(String)
    /// No mirror gave a good copy of `file`; `reasons` has one line per attempt.
    case downloadFailed(file: String, reasons: [String])

    public var description: String {
        switch self {
        case let .missingFile(folder, expected):
            "\(folder) has none of \(expected.joined(separator: ", "))"
        case let .cannotRead(path, reason): "cannot read \(path): \(reason)"
        case let .badCompression(path, reason): "\(path): bad gzip data: \(reason)"
        case let .badIDX(path, reason): "\(path) is not a valid IDX file: \(reason)"
        case let .inconsistent(message): message
        case let .downloadFailed(file, reasons):
            "could not download \(file):\n  " + reasons.joined(separator: "\n  ")
        }
    }
}
