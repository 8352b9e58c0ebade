import Tensor

/// A layer that combines two or more inputs (`Add`, `Concatenate`, ...), written forward-only
/// on ``Variable``s: called in a functional ``Model`` on a list of symbolic tensors, and
/// differentiated by the tape of each call.
public protocol MergeLayer: Layer {
    /// Checks the shapes of one sample of each input and returns the output's.
    mutating func build(inputShapes: [[Int]], context: inout BuildContext) throws -> [Int]
    /// The output for a batch of each input.
    mutating func call(_ inputs: [Variable], context: inout ForwardContext) throws -> Variable
    /// Every output of the call: ``call(_:context:)``'s alone (the default), or a
    /// ``MultiOutputLayer``'s several, computed together (attention and its scores).
    mutating func callReturningAll(_ inputs: [Variable], context: inout ForwardContext) throws -> [Variable]
}

extension MergeLayer {
    public mutating func callReturningAll(_ inputs: [Variable], context: inout ForwardContext) throws -> [Variable] {
        [try call(inputs, context: &context)]
    }

    /// A merge layer takes a list of inputs. - Throws: always, saying so.
    public mutating func build(inputShape: [Int], context: inout BuildContext) throws -> [Int] {
        throw LayersError.incompatibleInput(
            layer: name, expected: "two or more inputs", received: inputShape,
            hint: "call \(Self.self) on a list of tensors in a functional Model, as \(Self.self)()(a, b)")
    }

    /// A merge layer takes a list of inputs. - Throws: always, saying so.
    public mutating func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        throw LayersError.notReady(
            operation: "\(name) forward", reason: "\(Self.self) merges two or more inputs; use it in a functional Model")
    }

    /// Not used: the model differentiates the call with its tape. - Throws: always.
    public mutating func backward(_ outputGradient: Tensor) throws -> Tensor {
        throw LayersError.notReady(
            operation: "\(name) backward", reason: "\(Self.self) is differentiated by the tape of each call")
    }
}
