import Foundation

/// Centred kernel alignment (CKA) of explicit kernel matrices (paper Eq. 6–7), in Double.
///
/// For kernels on the nk-dimensional output space (index (x, i) ↦ x·k + i),
///
///     A(K, K′) = Tr[K_c K′_c] / (‖K_c‖_F ‖K′_c‖_F),   K_c = C K C,
///
/// and against the labels, A(K, YYᵀ) = ỸᵀKỸ / (‖CKC‖_F ‖Ỹ‖²) with Ỹ = CY.
/// When a centred matrix is zero the alignment is undefined; these functions return 0 then. A
/// centred kernel whose norm is below ``undefinedBelow`` × ‖K‖_F counts as zero: it is then made of
/// the kernel's own rounding (a Float network's entries carry relative errors near 10⁻⁶, and C
/// removes everything else), so the ratio would be noise of either sign — as in the layers of a
/// collapsed network whose samples all have nearly the same Jacobian.
public enum KernelAlignment {
    /// ‖CKC‖_F / ‖K‖_F below which A is undefined (returned as 0).
    public static let undefinedBelow = 1e-6

    /// A(K, K′) for two symmetric nk × nk kernels under the given centring.
    public static func alignment(_ kernel: Matrix<Double>, _ other: Matrix<Double>, outputCount k: Int,
                                 centring: Centring) -> Double {
        precondition(kernel.rows == other.rows && kernel.columns == other.columns, "kernels must have the same shape")
        let a = centring.centred(kernel, outputCount: k)
        let b = centring.centred(other, outputCount: k)
        var inner = 0.0, normA = 0.0, normB = 0.0
        for index in a.storage.indices {
            inner += a.storage[index] * b.storage[index]
            normA += a.storage[index] * a.storage[index]
            normB += b.storage[index] * b.storage[index]
        }
        guard normA > 0, normB > 0 else { return 0 }
        return inner / (normA.squareRoot() * normB.squareRoot())
    }

    /// A(K, YYᵀ) = ỸᵀKỸ / (‖CKC‖_F ‖Ỹ‖²) for one-hot targets of `labels` (paper Eq. 7).
    public static func alignment(kernel: Matrix<Double>, labels: [Int], classCount k: Int, centring: Centring) -> Double {
        let m = labels.count * k
        precondition(kernel.rows == m && kernel.columns == m, "kernel must be nk × nk for n labels and k classes")
        let targets = centring.centredTargets(labels: labels, classCount: k)
        let centred = centring.centred(kernel, outputCount: k)
        var numerator = 0.0
        for r in 0..<m where targets[r] != 0 {
            var row = 0.0
            for s in 0..<m { row += kernel[r, s] * targets[s] }
            numerator += targets[r] * row
        }
        let frobenius = centred.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let uncentred = kernel.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let targetNorm = targets.reduce(0) { $0 + $1 * $1 }
        guard frobenius > undefinedBelow * uncentred, targetNorm > 0 else { return 0 }
        return numerator / (frobenius * targetNorm)
    }

    /// ‖C K C‖²_F from uncentred sums, for a symmetric K on m = nk outputs:
    /// `none`: ‖K‖²;  `full`: ‖K‖² − (2/m)‖K1‖² + (1/m²)(1ᵀK1)²;
    /// `perOutput`: ‖K‖² − (2/n) Σ_{r,j} R_{rj}² + (1/n²) Σ_{i,j} S_{ij}², where R_{rj} = Σ_{x′} K[r, (x′, j)]
    /// and S_{ij} = Σ_x R_{(x,i), j}. (Expand C = I − P with P the projection C removes.)
    /// `rowSumsByOutput` is R (m × k, row-major). The result is clamped at 0 against rounding.
    public static func centredFrobeniusSquared(frobeniusSquared: Double, rowSumsByOutput r: [Double],
                                               sampleCount n: Int, outputCount k: Int, centring: Centring) -> Double {
        let m = n * k
        precondition(r.count == m * k, "row sums must be nk × k")
        switch centring {
        case .none:
            return frobeniusSquared
        case .full:
            var rowSquares = 0.0, total = 0.0
            for row in 0..<m {
                var sum = 0.0
                for j in 0..<k { sum += r[row * k + j] }
                rowSquares += sum * sum
                total += sum
            }
            let mm = Double(m)
            return max(0, frobeniusSquared - 2 / mm * rowSquares + total * total / (mm * mm))
        case .perOutput:
            var squares = 0.0
            var blocks = [Double](repeating: 0, count: k * k)
            for row in 0..<m {
                for j in 0..<k {
                    let value = r[row * k + j]
                    squares += value * value
                    blocks[(row % k) * k + j] += value
                }
            }
            let nn = Double(n)
            let blockSquares = blocks.reduce(0) { $0 + $1 * $1 }
            return max(0, frobeniusSquared - 2 / nn * squares + blockSquares / (nn * nn))
        }
    }
}
