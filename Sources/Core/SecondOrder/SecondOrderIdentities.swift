import Foundation

/// Correlations between vectors, as used for Approximation 1 and Fig 5a.
public enum VectorStatistics {
    /// Pearson correlation Σ(a−ā)(b−b̄) / √(Σ(a−ā)² Σ(b−b̄)²); NaN when either vector is constant
    /// or the lengths differ or are zero.
    public static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return .nan }
        let meanA = a.reduce(0, +) / Double(a.count)
        let meanB = b.reduce(0, +) / Double(b.count)
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices {
            let x = a[i] - meanA, y = b[i] - meanB
            ab += x * y; aa += x * x; bb += y * y
        }
        guard aa > 0, bb > 0 else { return .nan }
        return ab / (aa * bb).squareRoot()
    }

    /// Cosine aᵀb / (‖a‖‖b‖); NaN when either vector is zero or the lengths differ.
    public static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return .nan }
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
        guard aa > 0, bb > 0 else { return .nan }
        return ab / (aa * bb).squareRoot()
    }

    /// ‖a − b‖ / ‖b‖ (infinite when b = 0 and a ≠ b, 0 when both vanish).
    public static func relativeDistance(_ a: [Double], from b: [Double]) -> Double {
        precondition(a.count == b.count, "vectors differ in length")
        var difference = 0.0, norm = 0.0
        for i in a.indices { difference += (a[i] - b[i]) * (a[i] - b[i]); norm += b[i] * b[i] }
        if norm == 0 { return difference == 0 ? 0 : .infinity }
        return (difference / norm).squareRoot()
    }
}

/// The exact identities of paper Appendix B.4 (Theorem A) and the first-order bookkeeping of
/// Appendix B.5.2 / D.2 (Approximation 2, Eqs. 9, 10, 23), evaluated on a concrete network.
public enum SecondOrderIdentities {
    /// Theorem A, first identity: for a bias-free ReLU network of depth L ≥ 2,
    /// Ψ^i(x) = H^i(x) θ / (L − 1) for every input x and output i. Returns the worst relative error
    /// max_{x,i} ‖H^i(x)θ/(L−1) − Ψ^i(x)‖ / ‖Ψ^i(x)‖ over the rows of `inputs` and all k outputs
    /// (outputs whose gradient vanishes are skipped; 0 when all do).
    /// With biases the identity fails (biases enter f with degree L − l, not L − 1 + …), and this
    /// error is of order one — which is what makes the check falsifiable.
    /// - Precondition: depth ≥ 2.
    public static func theoremAFeatureError(network: DenseNetwork<Double>, inputs: Matrix<Double>) -> Double {
        let architecture = network.architecture
        precondition(architecture.depth >= 2, "Theorem A needs depth L ≥ 2")
        let k = architecture.outputDimension
        let d = architecture.inputDimension
        let theta = network.flattenedParameters
        let scale = 1 / Double(architecture.depth - 1)
        var worst = 0.0
        for x in 0..<inputs.rows {
            let row = Matrix(rows: 1, columns: d, storage: Array(inputs.storage[x * d..<(x + 1) * d]))
            for i in 0..<k {
                var unit = [Double](repeating: 0, count: k)
                unit[i] = 1
                let hessian = OutputHessian(network: network, inputs: row, outputWeights: unit)
                let features = hessian.tangentFeaturesTimesWeights
                let predicted = hessian.product(theta).map { $0 * scale }
                let error = VectorStatistics.relativeDistance(predicted, from: features)
                if error.isFinite { worst = max(worst, error) } else if features.contains(where: { $0 != 0 }) { worst = .infinity }
            }
        }
        return worst
    }

    /// Theorem A, second identity (Eq. 7): one full-batch gradient step θ − η∇ℒ equals
    /// (I − η/(L−1) H_w) θ with w = ∇_F ℒ. Returns ‖θ_A − θ_GD‖ / ‖θ_GD − θ‖, i.e. the error
    /// relative to the size of the update (0 when the gradient vanishes exactly).
    /// - Precondition: depth ≥ 2, one label per input row.
    public static func theoremAStepError(network: DenseNetwork<Double>, inputs: Matrix<Double>, labels: [Int],
                                         learningRate: Double, loss: LossFunction = .crossEntropy) -> Double {
        precondition(network.architecture.depth >= 2, "Theorem A needs depth L ≥ 2")
        let theta = network.flattenedParameters
        let gradient = network.lossAndGradient(features: inputs, labels: labels, loss: loss).gradient
        let w = OutputHessian.lossOutputGradient(network: network, inputs: inputs, labels: labels, loss: loss).gradient
        let hessianTheta = OutputHessian(network: network, inputs: inputs, outputWeights: w).product(theta)
        let scale = learningRate / Double(network.architecture.depth - 1)
        let gradientStep = theta.indices.map { -learningRate * gradient[$0] }
        let theoremStep = theta.indices.map { -scale * hessianTheta[$0] }
        return VectorStatistics.relativeDistance(theoremStep, from: gradientStep)
    }

    /// The change of Ψv over one full-batch gradient step Δθ = −η Ψ w (w = ∇_F ℒ on `inputs`),
    /// against its first-order predictions (Approximation 2 / Eq. 9, and Eq. 10 = Eq. 23 with Approximation 1).
    public struct FeatureChange: Sendable {
        /// Ψ(θ + Δθ) v − Ψ(θ) v, measured.
        public var measured: [Double]
        /// H_v Δθ = −η H_v Ψ w: exact to first order in η (Eq. 9).
        public var firstOrder: [Double]
        /// −η H_w Ψ v: Eq. 10 / Eq. 23, which also uses Approximation 1 (w ∝ −Ỹ).
        public var approximation: [Double]
        /// ‖measured − firstOrder‖ / ‖firstOrder‖: O(η) inside one activation region.
        public var firstOrderRelativeError: Double { VectorStatistics.relativeDistance(measured, from: firstOrder) }
        /// corr(measured, firstOrder).
        public var firstOrderCorrelation: Double { VectorStatistics.correlation(measured, firstOrder) }
        /// corr(measured, approximation): the quantity of Fig 5a.
        public var approximationCorrelation: Double { VectorStatistics.correlation(measured, approximation) }
    }

    /// Measures ``FeatureChange`` for the direction `v` ∈ ℝ^{nk} (e.g. Ỹ = C Y) over one step of size `learningRate`.
    /// - Precondition: one label per input row; `v.count == n·k`.
    public static func featureChange(network: DenseNetwork<Double>, inputs: Matrix<Double>, labels: [Int],
                                     direction v: [Double], learningRate: Double,
                                     loss: LossFunction = .crossEntropy) throws -> FeatureChange {
        let w = OutputHessian.lossOutputGradient(network: network, inputs: inputs, labels: labels, loss: loss).gradient
        let lossHessian = OutputHessian(network: network, inputs: inputs, outputWeights: w)
        let directionHessian = OutputHessian(network: network, inputs: inputs, outputWeights: v)
        let step = lossHessian.tangentFeaturesTimesWeights.map { -learningRate * $0 }
        let features = directionHessian.tangentFeaturesTimesWeights
        var theta = network.flattenedParameters
        for i in theta.indices { theta[i] += step[i] }
        let moved = try DenseNetwork<Double>(architecture: network.architecture, flattenedParameters: theta)
        let movedFeatures = OutputHessian(network: moved, inputs: inputs, outputWeights: v).tangentFeaturesTimesWeights
        return FeatureChange(
            measured: features.indices.map { movedFeatures[$0] - features[$0] },
            firstOrder: directionHessian.product(step),
            approximation: lossHessian.product(features).map { -learningRate * $0 })
    }
}
