import Foundation

/// The package's folder, and the Python of the virtual environment `scripts/setup` makes there
/// (Selenium, ONNX, ONNX Runtime, NumPy).
public enum PackageFolder {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let python = root.appendingPathComponent(".venv/bin/python3").path
}

/// Runs a program to its end, or for at most `timeout` seconds (then ends it), and returns its
/// exit status and what it printed; both pipes are read while it runs, so it never blocks on a
/// full pipe.
public func runChildProcess(_ command: [String], timeout: TimeInterval = 300) throws
    -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    nonisolated(unsafe) var outputData = Data(), errorData = Data()
    let readers = DispatchGroup()
    DispatchQueue.global().async(group: readers) { outputData = output.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: readers) { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    readers.wait()
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}
