import Foundation
import Tensor

/// Updates weights from their gradients. Conform to write your own; the model calls
/// ``update(_:gradient:slot:step:learningRate:)`` once per trainable parameter per step,
/// after gradient clipping and weight decay.
public protocol Optimizer {
    /// The learning rate when no ``schedule`` is set; callbacks such as ReduceLROnPlateau change it.
    var learningRate: Float { get set }
    /// A learning rate that depends on the step; when set it takes precedence.
    var schedule: (any LearningRateSchedule)? { get }
    /// Gradient clipping, applied before each update.
    var clipping: GradientClipping { get }
    /// Decoupled weight decay: `w −= learningRate · weightDecay · w` before each update (nil: none).
    var weightDecay: Float? { get }

    /// Updates one parameter. `slot` identifies the parameter across steps (for per-parameter
    /// state such as momentum); `step` counts the updates done before this one.
    mutating func update(_ value: inout Tensor, gradient: Tensor, slot: Int, step: Int, learningRate: Float) throws
}

extension Optimizer {
    public var weightDecay: Float? { nil }

    /// The learning rate in force at `step`.
    public func learningRate(atStep step: Int) -> Float {
        schedule?.learningRate(atStep: step) ?? learningRate
    }
}

/// Gradient clipping as Keras's optimizers offer it.
public struct GradientClipping: Sendable, Equatable, Codable {
    /// Each gradient tensor is rescaled so that its L2 norm is at most this.
    public var clipNorm: Float?
    /// Each gradient element is clamped to `[−clipValue, clipValue]`.
    public var clipValue: Float?
    /// All gradients together are rescaled so that their joint L2 norm is at most this.
    public var globalClipNorm: Float?

    /// Clipping by any combination of the three rules (none by default).
    public init(clipNorm: Float? = nil, clipValue: Float? = nil, globalClipNorm: Float? = nil) {
        self.clipNorm = clipNorm
        self.clipValue = clipValue
        self.globalClipNorm = globalClipNorm
    }

    /// Clips `gradients` in place: by value, then per-tensor norm, then global norm.
    public func clip(_ gradients: inout [Tensor]) throws {
        if let clipValue {
            for index in gradients.indices { gradients[index] = gradients[index].clamped(to: -clipValue...clipValue) }
        }
        if let clipNorm {
            for index in gradients.indices {
                let norm = gradients[index].squared().sum().squareRoot()
                if norm > clipNorm { gradients[index] *= clipNorm / norm }
            }
        }
        if let globalClipNorm {
            let norm = gradients.reduce(0) { $0 + $1.squared().sum() }.squareRoot()
            if norm > globalClipNorm {
                for index in gradients.indices { gradients[index] *= globalClipNorm / norm }
            }
        }
    }

    /// The hyper-parameter errors of this clipping, for the optimizers' inits.
    func validate(_ optimizer: String) throws {
        for (name, value) in [("clipNorm", clipNorm), ("clipValue", clipValue), ("globalClipNorm", globalClipNorm)] {
            if let value, !(value > 0) {
                throw LayersError.invalidArgument(layer: optimizer, argument: name, value: "\(value)", reason: "expected a positive value")
            }
        }
    }
}

/// Per-parameter optimizer state (moments, velocities), created on first use.
struct SlotStorage: Sendable {
    private var tensors: [Int: Tensor] = [:]

    /// The state of `slot`, zeros shaped like `value` the first time.
    mutating func tensor(_ slot: Int, like value: Tensor) -> Tensor {
        if let existing = tensors[slot], existing.shape == value.shape { return existing }
        let fresh = Tensor.zeros(like: value)
        tensors[slot] = fresh
        return fresh
    }

    /// Stores the state of `slot`. Take it with ``take(_:like:)`` and put it back after
    /// updating, so that the update happens in place.
    mutating func store(_ slot: Int, _ tensor: Tensor) { tensors[slot] = tensor }

    /// Every slot's tensor, named `prefix` + slot number, for saving.
    func exported(prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.map { (prefix + String($0.key), $0.value) })
    }

    /// The slots saved by ``exported(prefix:)``. A slot whose shape later disagrees with its
    /// parameter is replaced by zeros on first use.
    mutating func restore(prefix: String, from saved: [String: Tensor]) {
        for (name, tensor) in saved where name.hasPrefix(prefix) {
            if let slot = Int(name.dropFirst(prefix.count)) { tensors[slot] = tensor }
        }
    }

    /// Removes and returns the state of `slot` (so that it is not shared while being updated).
    mutating func take(_ slot: Int, like value: Tensor) -> Tensor {
        let tensor = self.tensor(slot, like: value)
        tensors[slot] = nil
        return tensor
    }
}

/// Checks a learning rate for an optimizer's init.
func validateLearningRate(_ rate: Float, _ optimizer: String) throws {
    guard rate > 0, rate.isFinite else {
        throw LayersError.invalidArgument(layer: optimizer, argument: "learningRate", value: "\(rate)", reason: "expected a positive, finite value")
    }
}
