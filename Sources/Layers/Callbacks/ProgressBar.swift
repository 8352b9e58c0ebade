import Foundation

/// How `fit` shows its progress.
public enum Verbosity: Sendable {
    /// Nothing.
    case silent
    /// A bar redrawn in place after every batch, with ETA, time per step and the metrics.
    case progressBar
    /// One line per epoch (for logs and CI).
    case epochLines
    /// `progressBar` when standard output is a terminal, `epochLines` otherwise.
    case auto
}

/// Keras's progress display: `Epoch 3/12` then
/// `422/422 ━━━━━━━━━━━━━━━━━━━━ 12s 28ms/step - accuracy: 0.9874 - loss: 0.0412 - val_accuracy: ...`.
final class ProgressBar: Callback {
    private let live: Bool
    private var epochStart = ContinuousClock.now
    private var lastDraw = ContinuousClock.now
    private var epochs = 0
    private var steps = 0
    private var epoch = 0
    private var lastLength = 0

    /// A display for `verbosity`; nil for `.silent`.
    init?(verbosity: Verbosity) {
        switch verbosity {
        case .silent: return nil
        case .progressBar: live = true
        case .epochLines: live = false
        case .auto: live = isatty(STDOUT_FILENO) == 1
        }
    }

    func onTrainBegin(model: Model) throws {
        epochs = model.trainingPlan?.epochs ?? 0
        steps = model.trainingPlan?.stepsPerEpoch ?? 0
    }

    func onEpochBegin(_ epoch: Int, model: Model) throws {
        self.epoch = epoch
        epochStart = ContinuousClock.now
        if live { emit("Epoch \(epoch + 1)/\(epochs)\n") }
    }

    func onBatchEnd(_ batch: Int, logs: Logs, model: Model) throws {
        guard live else { return }
        let now = ContinuousClock.now
        guard batch + 1 == steps || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        let elapsed = seconds(now - epochStart)
        let perStep = elapsed / Double(batch + 1)
        let eta = perStep * Double(steps - batch - 1)
        draw("\(counter(batch + 1)) \(bar(batch + 1)) \(duration(eta)) \(milliseconds(perStep))/step\(format(logs))")
    }

    func onEpochEnd(_ epoch: Int, logs: Logs, model: Model) throws {
        let elapsed = seconds(ContinuousClock.now - epochStart)
        let perStep = elapsed / Double(Swift.max(steps, 1))
        let summary = "\(duration(elapsed)) \(milliseconds(perStep))/step\(format(logs))"
        if live {
            draw("\(counter(steps)) \(bar(steps)) \(summary)")
            emit("\n")
        } else {
            emit("Epoch \(epoch + 1)/\(epochs) - \(summary)\n")
        }
    }

    private func counter(_ done: Int) -> String {
        let width = String(steps).count
        return String(repeating: " ", count: width - String(done).count) + "\(done)/\(steps)"
    }

    private func bar(_ done: Int) -> String {
        let width = 20
        let filled = steps == 0 ? width : width * done / steps
        return String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
    }

    private func format(_ logs: Logs) -> String {
        logs.keys.sorted().filter { $0 != .learningRate }.map { key in
            let value = logs[key]!
            let text = value != 0 && Swift.abs(value) < 1e-3 ? String(format: "%.4e", value) : String(format: "%.4f", value)
            return " - \(key.rawValue): \(text)"
        }.joined()
    }

    private func draw(_ line: String) {
        let padding = String(repeating: " ", count: Swift.max(0, lastLength - line.count))
        lastLength = line.count
        emit("\r" + line + padding)
    }

    /// Writes through `print`'s buffer, then flushes it, so that the progress appears at
    /// once and in order with what the program printed before, also when piped to a file.
    private func emit(_ text: String) {
        print(text, terminator: "")
        fflush(nil)
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

private func duration(_ seconds: Double) -> String {
    seconds >= 3600 ? "\(Int(seconds) / 3600)h\((Int(seconds) % 3600) / 60)m"
        : seconds >= 60 ? "\(Int(seconds) / 60)m\(Int(seconds) % 60)s" : "\(Int(seconds.rounded()))s"
}

private func milliseconds(_ seconds: Double) -> String {
    seconds >= 1 ? String(format: "%.1fs", seconds) : "\(Int((seconds * 1000).rounded()))ms"
}
