import Foundation

/// The per-layer loss of Algorithm 1 (paper Appendix F), as docs/appendix-f.md reads it: on a
/// minibatch B with layer inputs A (|B| × N_{l−1}, unit rows), the layer's unnormalised output
/// features H = φ(A W_lᵀ + 1b_lᵀ) give the forward kernel K = HHᵀ, and
///
///     ℒ(B) = (1/|B|²) Σ_{i,j ∈ B} (K_ij − ½ δ_{y_i, y_j})²,
///
/// with gradients ∂ℒ/∂K = (2/|B|²)(K − T), ∂ℒ/∂H = 2(∂ℒ/∂K)H, ∂ℒ/∂Z = ∂ℒ/∂H ⊙ φ′(Z),
/// ∂ℒ/∂W_l = (∂ℒ/∂Z)ᵀA and ∂ℒ/∂b_l = 1ᵀ∂ℒ/∂Z. (The mean instead of the sum only rescales the
/// gradient, which Adam's update ignores up to ε.)
public enum ForwardKernelLoss {
    /// The target of a pair: ½ when the labels agree, 0 otherwise.
    public static func target(_ a: Int, _ b: Int) -> Double { a == b ? 0.5 : 0 }

    /// ℒ(B) and, when `wantGradient`, its gradients with respect to W (N_l × N_{l−1}) and b (N_l).
    public static func evaluate<Scalar: BLASScalar>(weights: Matrix<Scalar>, bias: [Scalar], inputs: Matrix<Scalar>,
                                                    labels: [Int], negativeSlope: Double,
                                                    wantGradient: Bool = true) -> (loss: Double, weights: Matrix<Scalar>, bias: [Scalar]) {
        typealias Network = NormalisedLeakyNetwork<Scalar>
        let n = inputs.rows
        precondition(n >= 1 && labels.count == n, "one label per input row")
        let z = Network.affine(inputs, weights, bias)
        let h = Network.leaky(z, slope: negativeSlope)
        let kernel = Matrix.product(h, transposed: false, h, transposed: true)
        let scale = 1 / Double(n * n)
        var loss = 0.0
        var residual = Matrix<Scalar>(rows: n, columns: n)
        for i in 0..<n {
            for j in 0..<n {
                let r = Double(kernel.storage[i * n + j]) - target(labels[i], labels[j])
                loss += r * r
                residual.storage[i * n + j] = Scalar(4 * scale * r)
            }
        }
        guard wantGradient else { return (loss * scale, Matrix(rows: 0, columns: 0), []) }
        var dz = Matrix.product(residual, h)
        Network.gateLeaky(&dz, by: z, slope: negativeSlope, rowsPerSample: 1)
        return (loss * scale, Matrix.product(dz, transposed: true, inputs), Network.columnSums(dz))
    }
}
