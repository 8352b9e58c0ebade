/// Rows above and below, columns left and right of an image: what `ZeroPadding2D` adds and
/// `Cropping2D` removes. An integer literal means the same margin on all four sides.
public struct Margins2D: Sendable, Equatable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var top, bottom, left, right: Int

    /// Each side's own margin (Keras's `((top, bottom), (left, right))`).
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
    }

    /// `height` rows above and below, `width` columns left and right (Keras's `(height, width)`).
    public init(height: Int, width: Int) { self.init(top: height, bottom: height, left: width, right: width) }

    /// The same margin on all four sides.
    public init(integerLiteral value: Int) { self.init(height: value, width: value) }

    public var description: String { "((\(top), \(bottom)), (\(left), \(right)))" }

    /// Every margin between 0 and 2¹⁶.
    var isValid: Bool { [top, bottom, left, right].allSatisfy { (0...65536).contains($0) } }
}
