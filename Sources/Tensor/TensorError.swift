/// An error thrown when a tensor operation gets input it cannot work with.
///
/// Every case carries what was expected and what was found, so that the message
/// alone tells the user how to fix the call.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two shapes had to agree and did not.
    case shapeMismatch(operation: String, expected: [Int], found: [Int])
    /// A shape is invalid on its own (a negative dimension, a wrong rank).
    case invalidShape(operation: String, shape: [Int], reason: String)
    /// The number of scalars does not fill the requested shape.
    case scalarCountMismatch(shape: [Int], expected: Int, found: Int)
    /// An axis outside `-rank..<rank`.
    case invalidAxis(operation: String, axis: Int, rank: Int)
    /// An operation that needs at least one element got none.
    case empty(operation: String, shape: [Int])
    /// A hyper-parameter or argument is out of its valid range.
    case invalidArgument(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, expected, found):
            return "\(operation): expected shape \(expected), found \(found)"
        case let .invalidShape(operation, shape, reason):
            return "\(operation): invalid shape \(shape): \(reason)"
        case let .scalarCountMismatch(shape, expected, found):
            return "shape \(shape) needs \(expected) scalars, found \(found)"
        case let .invalidAxis(operation, axis, rank):
            return "\(operation): axis \(axis) is out of range for a tensor of rank \(rank) (expected -\(rank)..<\(rank))"
        case let .empty(operation, shape):
            return "\(operation): expected a non-empty tensor, found shape \(shape)"
        case let .invalidArgument(name, value, reason):
            return "invalid \(name) = \(value): \(reason)"
        }
    }
}
