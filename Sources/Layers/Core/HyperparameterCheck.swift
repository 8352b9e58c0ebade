/// Collects the first invalid hyper-parameter of a layer's `init`, to be thrown by `build`.
struct HyperparameterCheck: Sendable {
    let layer: String
    private(set) var error: LayersError?

    init(_ layer: String) { self.layer = layer }

    /// Records `argument = value` as invalid with `reason` unless `condition` holds.
    mutating func require(_ condition: Bool, _ argument: String, _ value: Any, _ reason: String) {
        if error == nil, !condition {
            error = .invalidArgument(layer: layer, argument: argument, value: "\(value)", reason: reason)
        }
    }

    /// Throws the recorded error, if any.
    func throwIfInvalid() throws {
        if let error { throw error }
    }
}

/// The error for an input of the wrong rank, with Keras's notation `(None, ...)`.
func incompatibleInput(_ layer: String, expected: String, received: [Int], hint: String? = nil) -> LayersError {
    .incompatibleInput(layer: layer, expected: expected, received: received, hint: hint)
}
