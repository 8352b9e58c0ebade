import Foundation

/// A program started in the background whose output (standard output and error together) is
/// collected while it runs, so that a test can wait for a line, act, and time how it ends.
final class RunningJob: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var collected = Data()
    private let reader = DispatchGroup()

    init(_ command: [String]) throws {
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        DispatchQueue.global().async(group: reader) { [self] in
            while true {
                let chunk = pipe.fileHandleForReading.availableData
                if chunk.isEmpty { return }   // the end of the output
                lock.withLock { collected.append(chunk) }
            }
        }
    }

    /// Everything printed so far.
    var output: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    var isRunning: Bool { process.isRunning }

    /// The exit status (valid once `waitForExit` returned true).
    var status: Int32 { process.terminationStatus }

    /// Waits until the output contains `text`; false when `seconds` passed or the job ended first.
    func waitFor(_ text: String, seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// Waits for the job to end; false when it still ran after `seconds` (it is then killed).
    @discardableResult
    func waitForExit(seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let ended = !process.isRunning
        if !ended { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        reader.wait()
        return ended
    }

    /// The number after `prefix` on the first line that has it ("rank 1 pid 1234" for "rank 1 pid ").
    func number(after prefix: String) -> Int32? {
        guard let tail = output.components(separatedBy: prefix).dropFirst().first else { return nil }
        return Int32(String(tail.prefix { $0.isNumber }))
    }
}
