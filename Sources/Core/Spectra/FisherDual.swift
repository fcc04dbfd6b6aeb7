import Foundation

/// The cross-entropy output Hessian S = ∂²L/∂F² = block-diag_x(diag(p(x)) − p(x)p(x)ᵀ) (paper
/// Appendix G.4, p = softmax of the logits) and the dual through which the empirical Fisher
/// information I_l = Ψ_l S Ψ_lᵀ (P_l × P_l) is measured without forming it:
///
///     D_l = S^{1/2} K_l S^{1/2}   (nk × nk, K_l = Ψ_lᵀΨ_l),
///
/// with S^{1/2} the symmetric square root, block by block. I_l = (Ψ_l S^{1/2})(Ψ_l S^{1/2})ᵀ and
/// D_l = (Ψ_l S^{1/2})ᵀ(Ψ_l S^{1/2}) share their non-zero eigenvalues, and the eigenvectors μ_i of D_l
/// are the left singular vectors in function space of √I_l = S^{1/2}Ψ_lᵀ of Appendix G.5. No
/// centring (the paper drops C for the Fisher information).
/// Indices are sample-major, (x, i) ↦ x·k + i.
public struct SoftmaxHessian: Sendable {
    /// n, the samples.
    public let sampleCount: Int
    /// k, the outputs.
    public let outputCount: Int
    /// The k × k blocks diag(p) − ppᵀ, one after another (sample x at x·k²), row-major.
    public let blocks: [Double]
    /// The k × k symmetric square roots of the blocks, laid out as ``blocks``.
    public let squareRootBlocks: [Double]

    /// S from the logits (n × k, row-major), through a stable softmax.
    /// - Throws: ``EigenDecompositionError`` when a block cannot be decomposed (non-finite logits).
    public init(logits: Matrix<Double>) throws {
        let n = logits.rows, k = logits.columns
        sampleCount = n
        outputCount = k
        var blocks = [Double](repeating: 0, count: n * k * k)
        var roots = [Double](repeating: 0, count: n * k * k)
        for x in 0..<n {
            let row = (0..<k).map { logits[x, $0] }
            let top = row.max() ?? 0
            let exps = row.map { Foundation.exp($0 - top) }
            let total = exps.reduce(0, +)
            let p = exps.map { $0 / total }
            var block = Matrix<Double>(rows: k, columns: k)
            for i in 0..<k {
                for j in 0..<k { block[i, j] = (i == j ? p[i] : 0) - p[i] * p[j] }
            }
            let (values, vectors) = try symmetricEigen(block)
            // √B = V diag(√max(λ, 0)) Vᵀ; rounding can leave λ ≈ −1e-17 for the null direction 1.
            for i in 0..<k {
                for j in 0..<k {
                    var sum = 0.0
                    for c in 0..<k { sum += vectors[i, c] * max(values[c], 0).squareRoot() * vectors[j, c] }
                    roots[x * k * k + i * k + j] = sum
                }
            }
            blocks.replaceSubrange((x * k * k)..<((x + 1) * k * k), with: block.storage)
        }
        self.blocks = blocks
        squareRootBlocks = roots
    }

    /// S itself (nk × nk), for tests and small cases.
    public var matrix: Matrix<Double> { blockDiagonal(blocks) }

    /// S^{1/2} (nk × nk).
    public var squareRoot: Matrix<Double> { blockDiagonal(squareRootBlocks) }

    /// S^{1/2} K S^{1/2} for an nk × nk kernel, exploiting the block structure (O((nk)²·k)).
    /// - Precondition: `kernel` is nk × nk for this S.
    public func dual(of kernel: Matrix<Double>) -> Matrix<Double> {
        let k = outputCount, m = sampleCount * outputCount
        precondition(kernel.rows == m && kernel.columns == m, "the kernel is \(kernel.rows) × \(kernel.columns), S is \(m) × \(m)")
        // Left: L = S^{1/2} K, row block x = R_x · K[block x, :].
        var left = Matrix<Double>(rows: m, columns: m)
        for x in 0..<sampleCount {
            for i in 0..<k {
                let target = (x * k + i) * m
                for a in 0..<k {
                    let weight = squareRootBlocks[x * k * k + i * k + a]
                    guard weight != 0 else { continue }
                    let source = (x * k + a) * m
                    for s in 0..<m { left.storage[target + s] += weight * kernel.storage[source + s] }
                }
            }
        }
        // Right: D = L S^{1/2}, column block x′: D[r, (x′, j)] = Σ_b L[r, (x′, b)] R_{x′}[b, j].
        var result = Matrix<Double>(rows: m, columns: m)
        for r in 0..<m {
            let row = r * m
            for xp in 0..<sampleCount {
                let base = xp * k
                for j in 0..<k {
                    var sum = 0.0
                    for b in 0..<k { sum += left.storage[row + base + b] * squareRootBlocks[xp * k * k + b * k + j] }
                    result.storage[row + base + j] = sum
                }
            }
        }
        return result
    }

    private func blockDiagonal(_ storage: [Double]) -> Matrix<Double> {
        let k = outputCount, m = sampleCount * outputCount
        var result = Matrix<Double>(rows: m, columns: m)
        for x in 0..<sampleCount {
            for i in 0..<k {
                for j in 0..<k { result[x * k + i, x * k + j] = storage[x * k * k + i * k + j] }
            }
        }
        return result
    }
}
