import Foundation

/// How kernels and targets are centred before measuring their alignment (paper Eq. 6–7).
///
/// Indices of the nk-dimensional output space are sample-major: entry (x, i) sits at x·k + i
/// for sample x ∈ 0..<n and output i ∈ 0..<k.
public enum Centring: String, Codable, CaseIterable, Sendable {
    /// C = I − (1/nk) 11ᵀ, the paper's Eq. 6: subtract the mean over all nk entries.
    case full
    /// C = I: no centring (plain kernel–target alignment).
    case none
    /// C = C_n ⊗ I_k with C_n = I − (1/n) 11ᵀ: centre over the samples separately for each
    /// output, as nngeometry-based implementations do.
    case perOutput
}

extension Centring {
    /// Ỹ = C Y for the concatenated one-hot targets Y ∈ ℝⁿᵏ (Y_{x·k+i} = [i = y_x]):
    /// `full` subtracts 1/k from every entry, `perOutput` subtracts the class frequency n_i/n
    /// from entry (x, i), `none` returns Y.
    /// - Precondition: labels lie in 0..<classCount.
    public func centredTargets(labels: [Int], classCount k: Int) -> [Double] {
        let n = labels.count
        var targets = [Double](repeating: 0, count: n * k)
        for (x, label) in labels.enumerated() {
            precondition(label >= 0 && label < k, "label \(label) is outside 0..<\(k)")
            targets[x * k + label] = 1
        }
        guard n > 0 else { return targets }
        switch self {
        case .none:
            break
        case .full:
            let mean = 1.0 / Double(k)
            for index in targets.indices { targets[index] -= mean }
        case .perOutput:
            var frequency = [Double](repeating: 0, count: k)
            for label in labels { frequency[label] += 1 / Double(n) }
            for x in 0..<n {
                for i in 0..<k { targets[x * k + i] -= frequency[i] }
            }
        }
        return targets
    }

    /// The centring matrix C (nk × nk) itself, for tests and small spectra.
    public func matrix(sampleCount n: Int, outputCount k: Int) -> Matrix<Double> {
        let m = n * k
        var c = Matrix<Double>(rows: m, columns: m)
        for r in 0..<m {
            for s in 0..<m {
                let identity: Double = r == s ? 1 : 0
                switch self {
                case .none: c[r, s] = identity
                case .full: c[r, s] = identity - 1 / Double(m)
                case .perOutput: c[r, s] = identity - (r % k == s % k ? 1 / Double(n) : 0)
                }
            }
        }
        return c
    }

    /// C K C for a symmetric nk × nk kernel, computed from row and block means in O((nk)²)
    /// rather than by two matrix products:
    /// `full`: K_rs − ρ_r − ρ_s + μ with ρ the row means and μ the grand mean;
    /// `perOutput`: K_{(x,i),(x′,j)} − ρ_{(x,i)}ʲ − ρ_{(x′,j)}ⁱ + μ_{ij}, where ρ_rʲ averages row r
    /// over the n columns of output j and μ_{ij} averages the (i, j) entries of all sample pairs.
    /// - Precondition: `kernel` is square with a multiple of `outputCount` rows.
    public func centred(_ kernel: Matrix<Double>, outputCount k: Int) -> Matrix<Double> {
        let m = kernel.rows
        precondition(kernel.columns == m && k > 0 && m % k == 0, "kernel must be nk × nk")
        let n = m / k
        guard self != .none, n > 0 else { return kernel }
        // rowMeans[r * k + j] = mean over x′ of K[r, (x′, j)].
        var rowMeans = [Double](repeating: 0, count: m * k)
        for r in 0..<m {
            for s in 0..<m { rowMeans[r * k + s % k] += kernel[r, s] }
        }
        var result = kernel
        switch self {
        case .none:
            break
        case .full:
            var rho = [Double](repeating: 0, count: m)
            for r in 0..<m { for j in 0..<k { rho[r] += rowMeans[r * k + j] } }
            for r in 0..<m { rho[r] /= Double(m) }
            let mu = rho.reduce(0, +) / Double(m)
            for r in 0..<m { for s in 0..<m { result[r, s] = kernel[r, s] - rho[r] - rho[s] + mu } }
        case .perOutput:
            for index in rowMeans.indices { rowMeans[index] /= Double(n) }
            var blockMeans = [Double](repeating: 0, count: k * k)
            for r in 0..<m { for j in 0..<k { blockMeans[(r % k) * k + j] += rowMeans[r * k + j] / Double(n) } }
            for r in 0..<m {
                for s in 0..<m {
                    let i = r % k, j = s % k
                    result[r, s] = kernel[r, s] - rowMeans[r * k + j] - rowMeans[s * k + i] + blockMeans[i * k + j]
                }
            }
        }
        return result
    }
}
