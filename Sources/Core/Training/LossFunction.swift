import Foundation

/// The per-sample loss between logits f ∈ ℝᵏ and a class label y; training minimises its
/// mean over a batch, ℒ = (1/n) Σ_x loss(f(x), y_x).
///
/// - `crossEntropy`: softmax cross-entropy, loss = log Σ_j exp(f_j) − f_y, evaluated as
///   m + log Σ_j exp(f_j − m) with m = max_j f_j so that large logits cannot overflow
///   (PyTorch's `nn.CrossEntropyLoss`). Gradient: softmax(f) − e_y.
/// - `meanSquaredError`: loss = ½ Σ_j (f_j − [j = y])², i.e. half the squared distance to the
///   one-hot target, summed over the k outputs and then averaged over the batch. Gradient: f − e_y.
///   (PyTorch's `nn.MSELoss()` would instead average over all n·k entries without the ½, which
///   is this loss times 2/k; rescale the learning rate by k/2 to match it.)
public enum LossFunction: String, Codable, Sendable, CaseIterable {
    case crossEntropy
    case meanSquaredError
}

extension LossFunction {
    /// Sum of per-sample losses over `labels.count` rows of `logits` (row-major, `classCount`
    /// columns), the number of rows whose first largest logit is the label, and — when
    /// `gradient` is given — ∂(scale · Σ loss)/∂logits written into it (same shape).
    /// Computed in Double; labels must lie in 0..<classCount.
    func evaluate<Scalar: BLASScalar>(logits: UnsafePointer<Scalar>, labels: [Int], classCount k: Int,
                                      gradient: UnsafeMutablePointer<Scalar>?, gradientScale: Double) -> (lossSum: Double, correct: Int) {
        var lossSum = 0.0
        var correct = 0
        var row = [Double](repeating: 0, count: k)
        for (r, label) in labels.enumerated() {
            precondition(label >= 0 && label < k, "label \(label) is outside 0..<\(k)")
            let f = logits + r * k
            var argmax = 0
            var largest = -Double.infinity
            for j in 0..<k {
                row[j] = Double(f[j])
                if row[j] > largest { largest = row[j]; argmax = j }
            }
            if argmax == label { correct += 1 }
            switch self {
            case .crossEntropy:
                var sum = 0.0
                for j in 0..<k { row[j] = Foundation.exp(row[j] - largest); sum += row[j] }
                lossSum += largest + Foundation.log(sum) - Double(f[label])
                if let g = gradient {
                    let out = g + r * k
                    for j in 0..<k {
                        out[j] = Scalar(gradientScale * (row[j] / sum - (j == label ? 1 : 0)))
                    }
                }
            case .meanSquaredError:
                var squares = 0.0
                for j in 0..<k {
                    let difference = row[j] - (j == label ? 1 : 0)
                    squares += difference * difference
                    gradient?[r * k + j] = Scalar(gradientScale * difference)
                }
                lossSum += 0.5 * squares
            }
        }
        return (lossSum, correct)
    }
}
