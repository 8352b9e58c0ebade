import Tensor

/// A stack of layers, each feeding the next: the graph in which every layer reads the output
/// of the one before it, run by the executor of every ``Model``.
///
/// ```swift
/// let model = Sequential(seed: 42) {
///     Input(shape: [28, 28, 1])
///     Conv2D(filters: 32, kernelSize: 3, activation: .relu)
///     MaxPooling2D(poolSize: 2)
///     Flatten()
///     Dense(units: 10, activation: .softmax)
/// }
/// try model.compile(optimizer: Adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
/// ```
public final class Sequential: Model {
    /// A model from a list of layers built with ``LayerBuilder``. Without a seed, a random one is drawn.
    public convenience init(seed: UInt64? = nil, name: String = "sequential", @LayerBuilder _ layers: () -> [any Layer]) {
        self.init(layers(), seed: seed, name: name)
    }

    /// A model from an array of layers. Without a seed, a random one is drawn.
    public init(_ layers: [any Layer], seed: UInt64? = nil, name: String = "sequential") {
        super.init(layers: layers, graph: .chain(layers.count), seed: seed, name: name)
        if let input = layers.first as? Input { inputShape = input.shape }
    }

    /// Appends a layer. - Throws: ``LayersError/notReady(operation:reason:)`` once the model is built.
    public func add(_ layer: any Layer) throws {
        guard !isBuilt else {
            throw LayersError.notReady(operation: "add", reason: "the model is already built; add layers before compile or fit")
        }
        if layers.isEmpty, let input = layer as? Input { inputShape = input.shape }
        layers.append(layer)
        graph = .chain(layers.count)
    }
}
