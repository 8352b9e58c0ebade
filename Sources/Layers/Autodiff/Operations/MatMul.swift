import Tensor

extension Variable {
    /// The matrix product `op(self) · op(other)`, batched over leading axes as
    /// ``Tensor/matmul(_:transposeSelf:transposeOther:)``; `op` transposes the last two axes
    /// when the flag is set. A single matrix used for a whole batch gets the sum of the
    /// batch's gradients.
    /// - Throws: when the ranks, inner dimensions or batch axes do not fit.
    public func matmul(_ other: Variable, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Variable {
        let (a, b) = (value, other.value)
        let product = try a.matmul(b, transposeSelf: transposeSelf, transposeOther: transposeOther)
        return try Variable.record(.matmul, product, [self, other]) { g, needed in
            // With C = op(A)·op(B): dop(A) = dC·op(B)ᵀ and dop(B) = op(A)ᵀ·dC, each transposed
            // back when its operand was transposed.
            let da = !needed[0] ? nil : try (transposeSelf
                ? b.matmul(g, transposeSelf: transposeOther, transposeOther: true)
                : g.matmul(b, transposeOther: !transposeOther)).sum(toShape: a.shape)
            let db: Tensor?
            if needed[1], a.rank > 2, b.rank == 2, !transposeSelf {
                // A batch of matrices times one matrix (a projection of sequences): the batch's
                // rows are one long matrix, so dB is one product instead of one per matrix summed.
                let (rows, gradientRows) = (try a.reshaped([-1, a.shape[a.rank - 1]]), try g.reshaped([-1, g.shape[g.rank - 1]]))
                db = try transposeOther ? gradientRows.matmul(rows, transposeSelf: true) : rows.matmul(gradientRows, transposeSelf: true)
            } else {
                db = !needed[1] ? nil : try (transposeOther
                    ? g.matmul(a, transposeSelf: true, transposeOther: transposeSelf)
                    : a.matmul(g, transposeSelf: !transposeSelf)).sum(toShape: b.shape)
            }
            return [da, db]
        }
    }
}

extension Variable {
    /// The rows `indices` of this variable's first axis (an embedding table's vectors), shaped
    /// `indexShape + shape[1...]` (`[indices.count] + shape[1...]` when nil). Rows named more
    /// than once get the sum of their gradients.
    /// - Throws: for an index outside the first axis, or an `indexShape` that does not hold the indices.
    public func gathering(rows indices: [Int], indexShape: [Int]? = nil) throws -> Variable {
        let table = shape
        let rows = try value.gathering(rows: indices, indexShape: indexShape ?? [indices.count])
        return try Variable.record(.gather, rows, [self]) { g, _ in [try g.scatteringRows(indices, into: table)] }
    }
}
