import Tensor

/// An error from building, compiling, training or running a model. The message says what
/// was expected, what was found, and where possible how to fix it.
public enum LayersError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A hyper-parameter out of range, caught when the layer was created.
    case invalidArgument(layer: String, argument: String, value: String, reason: String)
    /// A layer cannot take the shape it is given (per sample, without the batch axis).
    case incompatibleInput(layer: String, expected: String, received: [Int], hint: String?)
    /// An error raised by the layer at `index` (named `name`) of a model.
    indirect case inLayer(name: String, index: Int, error: LayersError)
    /// An error raised by calling a layer (`name (Type)`) on symbolic tensors, described with their shapes.
    indirect case inCall(layer: String, inputs: [String], error: LayersError)
    /// A functional model whose calls do not form a model (a disconnected output, a duplicate name).
    case invalidGraph(String)
    /// An operation needs something the model does not have yet.
    case notReady(operation: String, reason: String)
    /// Training or evaluation data that does not fit the model or itself.
    case invalidData(String)
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, batch: Int, value: Float)
    /// A callback monitors a log key that the training run does not produce.
    case unknownLogKey(String, available: [String])
    /// A backward pass returned gradients that do not fit its operation's operands.
    case invalidGradient(operation: String, reason: String)
    /// A tensor operation failed.
    case tensor(TensorError)

    public var description: String {
        switch self {
        case let .invalidArgument(layer, argument, value, reason):
            return "\(layer): invalid \(argument) = \(value): \(reason)"
        case let .incompatibleInput(layer, expected, received, hint):
            let received = "(None, " + received.map(String.init).joined(separator: ", ") + ")"
            return "\(layer): expected input \(expected), received shape \(received)" + (hint.map { "; \($0)" } ?? "")
        case let .inLayer(name, index, error):
            return "layer \(index) '\(name)': \(error)"
        case let .inCall(layer, inputs, error):
            return "calling \(layer) on \(inputs.joined(separator: " and ")): \(error)"
        case let .invalidGraph(message):
            return message
        case let .notReady(operation, reason):
            return "\(operation): \(reason)"
        case let .invalidData(message):
            return message
        case let .nonFiniteLoss(epoch, batch, value):
            return "the loss became \(value) at epoch \(epoch + 1), batch \(batch + 1); training stopped. "
                + "Try a lower learning rate, gradient clipping, or check the data for NaN values"
        case let .unknownLogKey(key, available):
            return "no log value '\(key)'; the available keys are \(available.sorted().joined(separator: ", "))"
        case let .invalidGradient(operation, reason):
            return "the backward pass of '\(operation)' is wrong: \(reason)"
        case let .tensor(error):
            return error.description
        }
    }
}

/// Runs `body`, turning a ``TensorError`` into ``LayersError/tensor(_:)`` so that the
/// model's entry points throw one error type.
@inlinable
func wrappingTensorErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TensorError {
        throw LayersError.tensor(error)
    }
}
