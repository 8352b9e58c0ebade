import Tensor

/// `lhs ∘ rhs` broadcast: operands of one shape (a residual `Add`) take `Tensor`'s operator,
/// one pass split across threads; others the broadcasting loop with the same scalar function.
private func combined(
    _ lhs: Tensor, _ rhs: Tensor, _ name: String, _ sameShape: (Tensor, Tensor) throws -> Tensor,
    _ combine: (Float, Float) -> Float
) throws -> Tensor {
    if lhs.shape == rhs.shape { return try sameShape(lhs, rhs) }
    // A bias along the last axis (a layer's `x + b`): Tensor's vectorised row pass.
    if name == "+", rhs.rank == 1, lhs.rank > 1, rhs.shape[0] == lhs.shape.last { return try lhs.addingBias(rhs) }
    return try Tensor.broadcasting(lhs, rhs, operation: name, combine)
}

/// Element-wise arithmetic with NumPy broadcasting; the gradient of a broadcast operand is
/// summed back to its shape.
extension Variable {
    /// The sum, broadcast. - Throws: when the shapes do not broadcast.
    public static func + (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.shape, rhs.shape)
        return try record(.add, try combined(lhs.value, rhs.value, "+", +, +), [lhs, rhs]) { g, needed in
            [needed[0] ? try g.sum(toShape: a) : nil, needed[1] ? try g.sum(toShape: b) : nil]
        }
    }

    /// The difference, broadcast. - Throws: when the shapes do not broadcast.
    public static func - (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.shape, rhs.shape)
        return try record(.subtract, try combined(lhs.value, rhs.value, "-", -, -), [lhs, rhs]) { g, needed in
            [needed[0] ? try g.sum(toShape: a) : nil, needed[1] ? try (-g).sum(toShape: b) : nil]
        }
    }

    /// The product, broadcast. - Throws: when the shapes do not broadcast.
    public static func * (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.value, rhs.value)
        return try record(.multiply, try combined(a, b, "*", *, *), [lhs, rhs]) { g, needed in
            [needed[0] ? try Tensor.broadcasting(g, b, *).sum(toShape: a.shape) : nil,
             needed[1] ? try Tensor.broadcasting(g, a, *).sum(toShape: b.shape) : nil]
        }
    }

    /// The quotient, broadcast. - Throws: when the shapes do not broadcast.
    public static func / (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.value, rhs.value)
        let quotient = try combined(a, b, "/", /, /)
        return try record(.divide, quotient, [lhs, rhs]) { g, needed in
            // d(a/b)/db = -(a/b)/b
            [needed[0] ? try Tensor.broadcasting(g, b, /).sum(toShape: a.shape) : nil,
             needed[1] ? try Tensor.broadcasting(try (g * quotient), b) { -$0 / $1 }.sum(toShape: b.shape) : nil]
        }
    }

    /// `x + c` for every element.
    public static func + (lhs: Variable, rhs: Float) throws -> Variable {
        try record(.addScalar, lhs.value + rhs, [lhs]) { g, _ in [g] }
    }
    /// `c + x` for every element.
    public static func + (lhs: Float, rhs: Variable) throws -> Variable { try rhs + lhs }
    /// `x − c` for every element.
    public static func - (lhs: Variable, rhs: Float) throws -> Variable { try lhs + (-rhs) }
    /// `c − x` for every element.
    public static func - (lhs: Float, rhs: Variable) throws -> Variable { try (rhs * -1) + lhs }
    /// `x · c` for every element.
    public static func * (lhs: Variable, rhs: Float) throws -> Variable {
        try record(.multiplyScalar, lhs.value * rhs, [lhs]) { g, _ in [g * rhs] }
    }
    /// `c · x` for every element.
    public static func * (lhs: Float, rhs: Variable) throws -> Variable { try rhs * lhs }
    /// `x / c` for every element.
    public static func / (lhs: Variable, rhs: Float) throws -> Variable { try lhs * (1 / rhs) }
    /// `c / x` for every element.
    public static func / (lhs: Float, rhs: Variable) throws -> Variable { try rhs.pow(-1) * lhs }
    /// `−x`.
    public static prefix func - (operand: Variable) throws -> Variable { try operand * -1 }

    /// The larger of the two at each position, broadcast; on a tie the gradient goes to `lhs`.
    /// - Throws: when the shapes do not broadcast.
    public static func maximum(_ lhs: Variable, _ rhs: Variable) throws -> Variable {
        try choosing(.maximum, lhs, rhs) { $0 >= $1 }
    }

    /// The smaller of the two at each position, broadcast; on a tie the gradient goes to `lhs`.
    /// - Throws: when the shapes do not broadcast.
    public static func minimum(_ lhs: Variable, _ rhs: Variable) throws -> Variable {
        try choosing(.minimum, lhs, rhs) { $0 <= $1 }
    }

    /// `condition ≠ 0 ? lhs : rhs` at each position, the three broadcast (NumPy's `where`);
    /// the condition is a constant.
    /// - Throws: when the shapes do not broadcast.
    public static func select(where condition: Tensor, _ lhs: Variable, _ rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.shape, rhs.shape)
        let value = try Tensor.selecting(where: condition, lhs.value, rhs.value)
        return try record(.select, value, [lhs, rhs]) { g, needed in
            let zero = Tensor(0)
            return [needed[0] ? try Tensor.selecting(where: condition, g, zero).sum(toShape: a) : nil,
                    needed[1] ? try Tensor.selecting(where: condition, zero, g).sum(toShape: b) : nil]
        }
    }

    /// `lhs` where `takesLeft(lhs, rhs)`, else `rhs`, with the gradient routed the same way.
    private static func choosing(
        _ operation: Operation, _ lhs: Variable, _ rhs: Variable, _ takesLeft: @escaping (Float, Float) -> Bool
    ) throws -> Variable {
        let mask = try Tensor.broadcasting(lhs.value, rhs.value, operation: operation.rawValue) { takesLeft($0, $1) ? 1 : 0 }
        let value = try Tensor.selecting(where: mask, lhs.value, rhs.value)
        let (a, b) = (lhs.shape, rhs.shape)
        return try record(operation, value, [lhs, rhs]) { g, needed in
            [needed[0] ? try (g * mask).sum(toShape: a) : nil,
             needed[1] ? try (g * (1 - mask)).sum(toShape: b) : nil]
        }
    }
}
