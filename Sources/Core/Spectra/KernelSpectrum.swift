import Foundation

/// The exact spectrum of a real symmetric matrix M = Σ λ_i u_i u_iᵀ, ordered by |λ_i| descending
/// (the order of the paper's singular values, Appendix G.1), with the numbers Appendix G derives
/// from it: the stable rank, the correlation with a target direction and the normalised top of
/// the spectrum.
///
/// Method: LAPACK `dsyevd` (divide and conquer, float64) through ``symmetricEigen(_:)`` on the whole
/// matrix — no truncation, no iterative approximation. ``maxResidual`` says how well the
/// returned pairs satisfy M u = λ u.
public struct KernelSpectrum: Sendable {
    /// λ_i, ordered by |λ_i| descending.
    public let values: [Double]
    /// Column i is the unit eigenvector u_i of `values[i]` (row-major, m × m).
    public let vectors: Matrix<Double>
    /// max_i ‖M u_i − λ_i u_i‖₂ / |λ_1| over every returned pair (0 for the zero matrix).
    public let maxResidual: Double

    /// The name of the method, for reports.
    public static let method = "LAPACK dsyevd (divide and conquer, float64) on the whole matrix"

    /// Decomposes `matrix` (only its upper triangle is read by LAPACK; the residual uses all of it,
    /// so pass a symmetric matrix).
    /// - Throws: ``EigenDecompositionError``.
    public init(of matrix: Matrix<Double>) throws {
        let (ascending, rawVectors) = try symmetricEigen(matrix)
        let m = ascending.count
        let order = ascending.indices.sorted { abs(ascending[$0]) > abs(ascending[$1]) }
        var sortedVectors = Matrix<Double>(rows: m, columns: m)
        for (column, source) in order.enumerated() {
            for row in 0..<m { sortedVectors[row, column] = rawVectors[row, source] }
        }
        values = order.map { ascending[$0] }
        vectors = sortedVectors
        maxResidual = Self.residual(matrix, values: values, vectors: sortedVectors)
    }

    /// The largest |λ|, λ_1 (0 for an empty or zero matrix).
    public var leading: Double { values.first.map(abs) ?? 0 }

    /// R = Σ λ_i² / λ_1² = ‖M‖²_F / ‖M‖²_2 (Rudelson and Vershynin; paper Appendix G.1), nan when M = 0.
    public var stableRank: Double { Self.stableRank(of: values) }

    /// Σ λ_i² / max λ_i² of any list of eigenvalues (nan when all are 0).
    public static func stableRank(of values: [Double]) -> Double {
        let top = values.map(abs).max() ?? 0
        guard top > 0 else { return .nan }
        return values.reduce(0) { $0 + ($1 / top) * ($1 / top) }
    }

    /// ⟨u_i, y⟩ for every i (same order as ``values``).
    public func projections(onto y: [Double]) -> [Double] {
        precondition(y.count == values.count, "the target has \(y.count) entries for a \(values.count)-dimensional spectrum")
        let m = values.count
        var result = [Double](repeating: 0, count: m)
        for row in 0..<m {
            let yr = y[row]
            guard yr != 0 else { continue }
            for i in 0..<m { result[i] += vectors[row, i] * yr }
        }
        return result
    }

    /// Σ_i (λ_i / λ_1) ⟨u_i, ŷ⟩² with ŷ = y / ‖y‖ (paper Appendix G.1: the correlation term; G.5 for
    /// the Fisher information). It lies in [−1, 1] (in [0, 1] for a positive semi-definite M) and equals
    /// ŷᵀMŷ / λ_1. nan when M = 0 or y = 0.
    public func correlation(with y: [Double]) -> Double {
        let top = leading
        let norm = y.reduce(0) { $0 + $1 * $1 }
        guard top > 0, norm > 0 else { return .nan }
        let p = projections(onto: y)
        var total = 0.0
        for i in values.indices { total += (values[i] / top) * p[i] * p[i] }
        return total / norm
    }

    /// λ_i / λ_1 for the first `count` eigenvalues (fewer when the matrix is smaller; empty when M = 0).
    public func normalisedTop(_ count: Int) -> [Double] {
        let top = leading
        guard top > 0 else { return [] }
        return values.prefix(max(0, count)).map { $0 / top }
    }

    /// max_i ‖M u_i − λ_i u_i‖₂ / max|λ| (one gemm).
    static func residual(_ matrix: Matrix<Double>, values: [Double], vectors: Matrix<Double>) -> Double {
        let m = values.count
        let top = values.first.map(abs) ?? 0
        guard m > 0, top > 0 else { return 0 }
        let product = Matrix.product(matrix, vectors)
        var worst = 0.0
        for i in 0..<m {
            var sum = 0.0
            for row in 0..<m {
                let d = product[row, i] - values[i] * vectors[row, i]
                sum += d * d
            }
            worst = max(worst, sum.squareRoot())
        }
        return worst / top
    }
}
