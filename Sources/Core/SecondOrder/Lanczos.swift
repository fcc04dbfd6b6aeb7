import COpenBLAS
import Foundation

/// Why a Lanczos run could not start.
public enum LanczosError: Error, CustomStringConvertible, Equatable {
    /// The requested number of eigenpairs or iterations is impossible for the dimension.
    case invalidRequest(String)
    /// The operator returned a vector of the wrong length or with a NaN/infinite entry.
    case badOperatorOutput(String)

    public var description: String {
        switch self {
        case let .invalidRequest(detail): return "Lanczos cannot run: \(detail)."
        case let .badOperatorOutput(detail): return "The operator given to Lanczos misbehaved: \(detail); check the matrix–vector product."
        }
    }
}

/// Eigenpairs of a symmetric operator found by ``Lanczos``.
public struct LanczosResult: Sendable {
    /// Ritz values θ_i, ordered by decreasing |θ_i|.
    public var values: [Double]
    /// Unit Ritz vectors, in the order of `values`.
    public var vectors: [[Double]]
    /// Residual norms ‖A y_i − θ_i y_i‖ = |β_m s_{m,i}| (exact in exact arithmetic), in the same order.
    public var residualNorms: [Double]
    /// Lanczos steps taken (the Krylov dimension m).
    public var iterations: Int
}

/// Lanczos iteration with full reorthogonalisation for the eigenpairs of largest absolute
/// value of a symmetric operator A known only through v ↦ Av.
///
/// Starting from a random unit vector q_1, step j computes r = A q_j − α_j q_j − β_{j−1} q_{j−1}
/// (α_j = q_jᵀ A q_j), removes its components along all previous q's twice (classical
/// Gram–Schmidt, "twice is enough", with BLAS gemv), and sets β_j = ‖r‖, q_{j+1} = r / β_j.
/// When β_j falls below 10⁻¹⁰ times the running estimate of ‖A‖ (max |α|, β so far: an
/// invariant subspace was found) the iteration continues from a fresh
/// random vector orthogonal to the basis, with β_j = 0. The eigenpairs (θ, s) of the m × m
/// tridiagonal matrix T_m (LAPACK dsyevd) give Ritz pairs (θ, Q_m s); the k of largest |θ| are
/// returned. With m = dimension the result is exact up to rounding; otherwise the extremes
/// converge first, and `residualNorms` says how well each pair has converged.
///
/// Memory: m vectors of the dimension in float64 (e.g. 300 × 10⁶ × 8 bytes = 2.4 GB).
public enum Lanczos {
    /// The `count` eigenpairs of largest |λ| of the symmetric operator `apply` on ℝ^`dimension`.
    /// - Parameters:
    ///   - iterations: Krylov dimension m, clipped to `dimension`; at least `count`.
    ///     About 2–3 × `count` gives converged extremes on typical Hessian spectra.
    ///   - generator: the source of the random start (and restart) vectors.
    /// - Throws: ``LanczosError``.
    public static func largestMagnitude(dimension: Int, count: Int, iterations: Int, generator: inout SeededGenerator,
                                        apply: ([Double]) -> [Double]) throws -> LanczosResult {
        guard dimension >= 1 else { throw LanczosError.invalidRequest("the dimension is \(dimension)") }
        guard count >= 1, count <= dimension else {
            throw LanczosError.invalidRequest("asked for \(count) eigenpairs of a \(dimension)-dimensional operator; ask for 1 to \(dimension)")
        }
        let m = min(dimension, iterations)
        guard m >= count else {
            throw LanczosError.invalidRequest("\(iterations) iterations cannot give \(count) eigenpairs; use at least \(count)")
        }
        let p = dimension
        var basis = [Double](repeating: 0, count: m * p)  // row j = q_{j+1}
        var alphas: [Double] = []
        var betas: [Double] = []
        var current = randomOrthogonalUnit(dimension: p, basis: basis, filled: 0, generator: &generator)
        var norm = 0.0
        var operatorScale = 0.0  // running estimate of ‖A‖: the largest |α_j| and β_j so far
        for j in 0..<m {
            basis.withUnsafeMutableBufferPointer { b in
                (b.baseAddress! + j * p).update(from: current, count: p)
            }
            var r = apply(current)
            guard r.count == p else { throw LanczosError.badOperatorOutput("it returned \(r.count) entries for dimension \(p)") }
            guard r.allSatisfy({ $0.isFinite }) else { throw LanczosError.badOperatorOutput("it returned a NaN or infinite entry") }
            let alpha = dot(current, r)
            alphas.append(alpha)
            for i in 0..<p { r[i] -= alpha * current[i] }
            if j > 0 {
                let beta = betas[j - 1]
                basis.withUnsafeBufferPointer { b in
                    let previous = b.baseAddress! + (j - 1) * p
                    for i in 0..<p { r[i] -= beta * previous[i] }
                }
            }
            reorthogonalise(&r, basis: basis, filled: j + 1, dimension: p)
            reorthogonalise(&r, basis: basis, filled: j + 1, dimension: p)
            norm = dot(r, r).squareRoot()
            guard j + 1 < m else { break }
            operatorScale = max(operatorScale, abs(alpha), norm)
            if norm <= 1e-10 * operatorScale {
                betas.append(0)
                current = randomOrthogonalUnit(dimension: p, basis: basis, filled: j + 1, generator: &generator)
            } else {
                betas.append(norm)
                current = r.map { $0 / norm }
            }
        }
        // Eigen-decomposition of T_m.
        var tridiagonal = Matrix<Double>(rows: m, columns: m)
        for j in 0..<m {
            tridiagonal[j, j] = alphas[j]
            if j + 1 < m {
                tridiagonal[j, j + 1] = betas[j]
                tridiagonal[j + 1, j] = betas[j]
            }
        }
        let (ritzValues, ritzCoordinates) = try symmetricEigen(tridiagonal)
        let order = ritzValues.indices.sorted { abs(ritzValues[$0]) > abs(ritzValues[$1]) }.prefix(count)
        var values: [Double] = []
        var vectors: [[Double]] = []
        var residuals: [Double] = []
        for index in order {
            var coordinates = [Double](repeating: 0, count: m)
            for j in 0..<m { coordinates[j] = ritzCoordinates[j, index] }
            var vector = [Double](repeating: 0, count: p)
            basisProduct(basis, rows: m, columns: p, transposed: true, alpha: 1, coordinates, beta: 0, into: &vector)
            let length = dot(vector, vector).squareRoot()
            if length > 0 { for i in 0..<p { vector[i] /= length } }
            values.append(ritzValues[index])
            vectors.append(vector)
            residuals.append(abs(norm * coordinates[m - 1]))
        }
        return LanczosResult(values: values, vectors: vectors, residualNorms: residuals, iterations: m)
    }

    /// r ← r − Q Qᵀ r over the first `filled` basis rows.
    private static func reorthogonalise(_ r: inout [Double], basis: [Double], filled: Int, dimension p: Int) {
        guard filled > 0 else { return }
        var coefficients = [Double](repeating: 0, count: filled)
        basisProduct(basis, rows: filled, columns: p, transposed: false, alpha: 1, r, beta: 0, into: &coefficients)
        basisProduct(basis, rows: filled, columns: p, transposed: true, alpha: -1, coefficients, beta: 1, into: &r)
    }

    /// y ← α·B·x + β·y (or α·Bᵀ·x + β·y when `transposed`) for the first `rows` rows of the
    /// row-major basis B, whose rows have `columns` entries.
    private static func basisProduct(_ basis: [Double], rows: Int, columns: Int, transposed: Bool,
                                     alpha: Double, _ x: [Double], beta: Double, into y: inout [Double]) {
        basis.withUnsafeBufferPointer { b in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    cblas_dgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), alpha,
                                b.baseAddress!, Int32(columns), xp.baseAddress!, 1, beta, yp.baseAddress!, 1)
                }
            }
        }
    }

    /// A random unit vector orthogonal to the first `filled` basis rows.
    private static func randomOrthogonalUnit(dimension p: Int, basis: [Double], filled: Int,
                                             generator: inout SeededGenerator) -> [Double] {
        while true {
            var v = (0..<p).map { _ in generator.nextNormal() }
            reorthogonalise(&v, basis: basis, filled: filled, dimension: p)
            reorthogonalise(&v, basis: basis, filled: filled, dimension: p)
            let length = dot(v, v).squareRoot()
            if length > 1e-8 { return v.map { $0 / length } }
        }
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in cblas_ddot(Int32(a.count), x.baseAddress!, 1, y.baseAddress!, 1) }
        }
    }
}
