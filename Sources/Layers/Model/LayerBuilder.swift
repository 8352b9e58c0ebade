/// Builds a list of layers from a closure, one layer per line, with `if` and `for`:
///
/// ```swift
/// Sequential {
///     Input(shape: [28, 28, 1])
///     if augment { RandomRotation(0.05) }
///     Conv2D(filters: 32, kernelSize: 3, activation: .relu)
/// }
/// ```
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    public static func buildBlock(_ components: [any Layer]...) -> [any Layer] { components.flatMap { $0 } }
    public static func buildOptional(_ component: [any Layer]?) -> [any Layer] { component ?? [] }
    public static func buildEither(first component: [any Layer]) -> [any Layer] { component }
    public static func buildEither(second component: [any Layer]) -> [any Layer] { component }
    public static func buildArray(_ components: [[any Layer]]) -> [any Layer] { components.flatMap { $0 } }
}
