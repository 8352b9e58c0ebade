import Tensor

/// The weights `fit` gives each sample's loss (Keras's `sample_weight` and `class_weight`),
/// checked once before training.
struct SampleWeighting {
    /// A weight per sample of the training data, or nil.
    let sampleWeight: Tensor?
    /// A weight per class index, or nil; classes not listed weigh 1.
    let classWeight: [Int: Float]?

    /// The weighting, or nil when there is none.
    /// - Throws: ``LayersError/invalidData(_:)`` for weights that are not finite and >= 0, a
    ///   sample weight that is not one per sample, or class weights with a loss that has no
    ///   classes, a model of several outputs or a prediction per step.
    init?(sampleWeight: Tensor?, classWeight: [Int: Float]?, samples: Int, model: Model) throws {
        guard sampleWeight != nil || classWeight != nil else { return nil }
        guard classWeight == nil || model.losses.count == 1 else {
            throw LayersError.invalidData(
                "fit: classWeight needs a model of one output; this one has \(model.losses.count) (weigh samples with sampleWeight)")
        }
        let loss = model.losses[0]
        if let sampleWeight {
            guard sampleWeight.shape == [samples] else {
                throw LayersError.invalidData("fit: expected sampleWeight of shape [\(samples)] (one per sample), found \(sampleWeight.shape)")
            }
            if let bad = sampleWeight.scalars.enumerated().first(where: { !($0.element >= 0 && $0.element.isFinite) }) {
                throw LayersError.invalidData("fit: sampleWeight[\(bad.offset)] is \(bad.element); expected finite weights >= 0")
            }
        }
        if let classWeight {
            guard [.categoricalCrossentropy, .sparseCategoricalCrossentropy, .binaryCrossentropy].contains(loss.kind) else {
                throw LayersError.invalidData("fit: classWeight needs a loss over classes (cross-entropy); \(loss.name) has none")
            }
            // Keras refuses it too: one weight per sample cannot weigh the classes of its steps.
            if let shape = model.outputShapes.first, shape.count > 1 {
                throw LayersError.invalidData(
                    "fit: classWeight weighs each sample by its class, but the model predicts at every position of its "
                    + "output (None, " + shape.map(String.init).joined(separator: ", ")
                    + "); weigh samples with sampleWeight instead")
            }
            if let bad = classWeight.sorted(by: { $0.key < $1.key }).first(where: { $0.key < 0 || !($0.value >= 0 && $0.value.isFinite) }) {
                throw LayersError.invalidData("fit: classWeight[\(bad.key)] = \(bad.value); expected class indices >= 0 and finite weights >= 0")
            }
        }
        self.sampleWeight = sampleWeight
        self.classWeight = classWeight
    }

    /// The weights of the samples `indices` of the data, whose targets are `targets`: `[n]`.
    func weights(of indices: some Collection<Int>, targets: Tensor, loss: Loss) throws -> Tensor {
        var weights = try sampleWeight.map { try $0.gathering(batch: indices) } ?? Tensor.ones([indices.count])
        guard let classWeight else { return weights }
        let classes: [Int] = switch loss.kind {
        case .categoricalCrossentropy: try targets.argmax(alongAxis: -1)
        case .sparseCategoricalCrossentropy: targets.scalars.map { Int($0) }
        default: try targets.reshaped([indices.count, -1]).mean(alongAxis: 1).scalars.map { $0 > 0.5 ? 1 : 0 }
        }
        let factors = try Tensor(shape: [indices.count], scalars: classes.map { classWeight[$0] ?? 1 })
        try weights *= factors
        return weights
    }
}
