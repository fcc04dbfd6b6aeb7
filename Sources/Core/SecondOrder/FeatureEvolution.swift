import Foundation

/// Paper Appendix D (Generalised Optimal Feature Evolution), evaluated on a concrete network:
/// the exact identities of D.2 (Eqs. 20–21) and the quantities of its approximations (Eqs. 22, 24, 25).
public enum FeatureEvolution {
    /// Central difference of the exact loss gradient along `v`:
    /// ‖v‖ (∇ℒ(θ + ε v̂) − ∇ℒ(θ − ε v̂)) / (2ε), an independent estimate of (∂²ℒ/∂θ²) v
    /// (error O(ε²) inside one ReLU activation region, plus rounding ≈ 10⁻¹⁶/ε of the gradient).
    public static func finiteDifferenceHessianProduct(network: DenseNetwork<Double>, inputs: Matrix<Double>, labels: [Int],
                                                      direction v: [Double], epsilon: Double = 1e-6) throws -> [Double] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [Double](repeating: 0, count: v.count) }
        let theta = network.flattenedParameters
        func gradient(_ s: Double) throws -> [Double] {
            let moved = try DenseNetwork<Double>(architecture: network.architecture,
                                                 flattenedParameters: theta.indices.map { theta[$0] + s * v[$0] / norm })
            return moved.lossAndGradient(features: inputs, labels: labels, loss: .crossEntropy).gradient
        }
        let plus = try gradient(epsilon), minus = try gradient(-epsilon)
        return plus.indices.map { norm * (plus[$0] - minus[$0]) / (2 * epsilon) }
    }

    /// Eq. 20: ‖(H_w + Ψ ∂²ℒ/∂F² Ψᵀ) v − FD(v)‖ / ‖FD(v)‖ for one direction v, FD the central
    /// difference of the exact gradient (``finiteDifferenceHessianProduct(network:inputs:labels:direction:epsilon:)``).
    public static func lossHessianDecompositionError(_ hessian: CrossEntropyLossHessian, labels: [Int], direction v: [Double],
                                                     epsilon: Double = 1e-6) throws -> Double {
        let reference = try finiteDifferenceHessianProduct(network: hessian.features.network, inputs: hessian.features.inputs,
                                                           labels: labels, direction: v, epsilon: epsilon)
        return VectorStatistics.relativeDistance(hessian.product(v), from: reference)
    }

    /// The velocity of the gradient Ψw under GOFE (Eq. 18) with V = −H_w A/‖w‖² and A = I (Eq. 21):
    ///
    ///     ∂(Ψw)/∂t = η‖w‖² V Ψw − η Ψ (∂²ℒ/∂F²) Ψᵀ Ψw,
    ///
    /// where V acts as the operator −H_w/‖w‖² (built from H_w products, not simplified by hand).
    public static func gofeGradientVelocity(_ hessian: CrossEntropyLossHessian, learningRate eta: Double) -> [Double] {
        let w = hessian.outputGradient
        let wSquared = w.reduce(0) { $0 + $1 * $1 }
        let psiW = hessian.gradient
        let velocityOperator: ([Double]) -> [Double] = { u in hessian.outputHessian.product(u).map { -$0 / wSquared } }
        let feature = velocityOperator(psiW).map { eta * wSquared * $0 }
        let output = hessian.gaussNewtonProduct(psiW)
        return feature.indices.map { feature[$0] - eta * output[$0] }
    }

    /// Eq. 21 (GOFE ≡ GD): ‖GOFE velocity − GD velocity‖ / ‖GD velocity‖, where the GD velocity of the
    /// gradient along the flow θ̇ = −ηΨw is measured independently as η times the central difference
    /// of the exact gradient along −Ψw.
    public static func gofeEquivalenceError(_ hessian: CrossEntropyLossHessian, labels: [Int], learningRate eta: Double,
                                            epsilon: Double = 1e-6) throws -> Double {
        let step = hessian.gradient.map { -$0 }
        let gd = try finiteDifferenceHessianProduct(network: hessian.features.network, inputs: hessian.features.inputs,
                                                    labels: labels, direction: step, epsilon: epsilon).map { eta * $0 }
        return VectorStatistics.relativeDistance(gofeGradientVelocity(hessian, learningRate: eta), from: gd)
    }

    // MARK: - Eq. 22: rank-one feature-update predictions

    /// How well a rank-one prediction b sᵀ (b ∈ ℝ^P, s ∈ ℝ^{nk}) matches a measured ΔΨ, per layer
    /// and over all parameters, from ΔΨ s and ‖ΔΨ_l‖_F alone:
    /// ⟨ΔΨ, b sᵀ⟩_F = bᵀ(ΔΨ s), ‖b sᵀ‖_F = ‖b‖‖s‖.
    public struct RankOneComparison: Codable, Sendable, Equatable {
        /// cos(ΔΨ_l, (b sᵀ)_l) in the Frobenius inner product, l = 1…L; then the value over all parameters.
        public var layerCosines: [Double]
        public var cosine: Double
        /// ‖ΔΨ_l − (b sᵀ)_l‖_F / ‖ΔΨ_l‖_F, per layer and overall.
        public var layerRelativeErrors: [Double]
        public var relativeError: Double
    }

    /// Compares the prediction b sᵀ with the measured ΔΨ.
    /// - Parameters:
    ///   - measuredTimesS: ΔΨ s = Ψ(t+1)s − Ψ(t)s.
    ///   - measuredLayerSquaredNorms: ‖ΔΨ_l‖²_F (``TangentFeatureMap/layerSquaredDistances(to:)``).
    public static func compareRankOne(prediction b: [Double], direction s: [Double], measuredTimesS: [Double],
                                      measuredLayerSquaredNorms: [Double], architecture: DenseArchitecture) -> RankOneComparison {
        let sNorm = s.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let layout = ParameterLayout(architecture: architecture)
        var cosines: [Double] = [], errors: [Double] = []
        var totalInner = 0.0, totalPrediction = 0.0, totalMeasured = 0.0
        for l in 0..<architecture.depth {
            let start = layout.weightOffsets[l]
            let end = l + 1 < architecture.depth ? layout.weightOffsets[l + 1] : layout.count
            var inner = 0.0, bb = 0.0
            for j in start..<end { inner += b[j] * measuredTimesS[j]; bb += b[j] * b[j] }
            let predictionSquared = bb * sNorm * sNorm
            let measured = measuredLayerSquaredNorms[l]
            cosines.append(predictionSquared > 0 && measured > 0 ? inner / (predictionSquared * measured).squareRoot() : .nan)
            errors.append(measured > 0 ? max(0, measured - 2 * inner + predictionSquared).squareRoot() / measured.squareRoot() : .nan)
            totalInner += inner; totalPrediction += predictionSquared; totalMeasured += measured
        }
        let cosine = totalPrediction > 0 && totalMeasured > 0 ? totalInner / (totalPrediction * totalMeasured).squareRoot() : .nan
        let error = totalMeasured > 0 ? max(0, totalMeasured - 2 * totalInner + totalPrediction).squareRoot() / totalMeasured.squareRoot() : .nan
        return RankOneComparison(layerCosines: cosines, cosine: cosine, layerRelativeErrors: errors, relativeError: error)
    }

    /// b = −η H_w Ψ s / ‖s‖², the left factor of Eq. 22's prediction ΔΨ ≈ −η H_w Ψ s sᵀ/‖s‖²
    /// (s = w: GOFE with the exact V; s = Ỹ: with Approximation 1).
    public static func rankOneFactor(outputHessian: OutputHessian, featuresTimesS psiS: [Double], direction s: [Double],
                                     learningRate eta: Double) -> [Double] {
        let sSquared = s.reduce(0) { $0 + $1 * $1 }
        return outputHessian.product(psiS).map { -eta * $0 / sSquared }
    }

    // MARK: - Eq. 24: directions orthogonal to Ỹ and 1

    /// `count` random directions in ℝ^{nk}, each orthogonal to Ỹ, to 1 and to the previous ones,
    /// scaled to ‖Ỹ‖ (Gram–Schmidt of Gaussian vectors, seeded).
    /// - Precondition: count + 2 ≤ n·k.
    public static func orthogonalDirections(targets: [Double], count: Int, generator: inout SeededGenerator) -> [[Double]] {
        let m = targets.count
        precondition(count + 2 <= m, "need count + 2 ≤ n·k")
        func normalised(_ v: [Double]) -> [Double] {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        var basis = [normalised(targets), [Double](repeating: 1 / Double(m).squareRoot(), count: m)]
        var directions: [[Double]] = []
        let scale = targets.reduce(0) { $0 + $1 * $1 }.squareRoot()
        while directions.count < count {
            var v = (0..<m).map { _ in generator.nextNormal() }
            for _ in 0..<2 {
                for q in basis {
                    let dot = zip(v, q).reduce(0) { $0 + $1.0 * $1.1 }
                    for i in v.indices { v[i] -= dot * q[i] }
                }
            }
            let unit = normalised(v)
            basis.append(unit)
            directions.append(unit.map { $0 * scale })
        }
        return directions
    }

    // MARK: - Eq. 25: layer moments of H_w

    /// m_k = tr(M_l H_w^k) for k = 2, 3, 4 and one layer (M_l the diagonal projector on layer l's parameters).
    public struct LayerMoments: Codable, Sendable, Equatable {
        public var m2: Double
        public var m3: Double
        public var m4: Double
        /// Standard errors of the estimates (0 when exact).
        public var m2Error: Double
        public var m3Error: Double
        public var m4Error: Double
        /// Standard error of m3/m2 (delta method; 0 when exact).
        public var ratioError: Double

        /// The predicted growth factor A_l(t+1)/A_l(t) ≈ 1 − 2η m₃/m₂ + η² m₄/m₂ (Eq. 25).
        public func predictedGrowthFactor(learningRate eta: Double) -> Double {
            1 - 2 * eta * m3 / m2 + eta * eta * m4 / m2
        }
    }

    /// The parameter range of layer l (1-based) in the flattened θ.
    public static func layerRange(_ l: Int, architecture: DenseArchitecture) -> Range<Int> {
        let layout = ParameterLayout(architecture: architecture)
        let start = layout.weightOffsets[l - 1]
        let end = l < architecture.depth ? layout.weightOffsets[l] : layout.count
        return start..<end
    }

    /// Per-probe values (zᵀH²z, zᵀH³z, zᵀH⁴z) for z supported on layer l: with u = Hz,
    /// zᵀH²z = ‖u‖², zᵀH³z = uᵀHu, zᵀH⁴z = ‖Hu‖² (two products).
    private static func quadraticForms(_ z: [Double], apply: ([Double]) -> [Double]) -> (Double, Double, Double) {
        let u = apply(z)
        let hu = apply(u)
        var a2 = 0.0, a3 = 0.0, a4 = 0.0
        for i in u.indices { a2 += u[i] * u[i]; a3 += u[i] * hu[i]; a4 += hu[i] * hu[i] }
        return (a2, a3, a4)
    }

    /// Exact m_k = Σ_{j ∈ layer l} e_jᵀ H^k e_j (2 products per parameter of the layer; tiny networks).
    public static func exactLayerMoments(layer l: Int, architecture: DenseArchitecture, apply: ([Double]) -> [Double]) -> LayerMoments {
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        var unit = [Double](repeating: 0, count: architecture.parameterCount)
        for j in layerRange(l, architecture: architecture) {
            unit[j] = 1
            let (a2, a3, a4) = quadraticForms(unit, apply: apply)
            unit[j] = 0
            m2 += a2; m3 += a3; m4 += a4
        }
        return LayerMoments(m2: m2, m3: m3, m4: m4, m2Error: 0, m3Error: 0, m4Error: 0, ratioError: 0)
    }

    /// Hutchinson estimates of m_k with `probes` Rademacher vectors supported on layer l
    /// (E[zᵀH^k z] = tr(M_l H^k)), with standard errors (sample standard deviation / √probes; m3/m2
    /// by the delta method, var(a₃ − R a₂)/(probes · ā₂²)).
    /// - Precondition: probes ≥ 2.
    public static func hutchinsonLayerMoments(layer l: Int, architecture: DenseArchitecture, probes: Int,
                                              generator: inout SeededGenerator, apply: ([Double]) -> [Double]) -> LayerMoments {
        precondition(probes >= 2, "Hutchinson needs at least 2 probes for an error bar")
        var samples: [(Double, Double, Double)] = []
        let range = layerRange(l, architecture: architecture)
        for _ in 0..<probes {
            var z = [Double](repeating: 0, count: architecture.parameterCount)
            for j in range { z[j] = generator.nextUniform() < 0.5 ? -1 : 1 }
            samples.append(quadraticForms(z, apply: apply))
        }
        let count = Double(probes)
        func meanAndError(_ values: [Double]) -> (Double, Double) {
            let mean = values.reduce(0, +) / count
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)
            return (mean, (variance / count).squareRoot())
        }
        let (m2, e2) = meanAndError(samples.map(\.0))
        let (m3, e3) = meanAndError(samples.map(\.1))
        let (m4, e4) = meanAndError(samples.map(\.2))
        let ratio = m3 / m2
        let (_, residualError) = meanAndError(samples.map { $0.1 - ratio * $0.0 })
        return LayerMoments(m2: m2, m3: m3, m4: m4, m2Error: e2, m3Error: e3, m4Error: e4, ratioError: residualError / abs(m2))
    }

    /// The weighted-eigenvalue form of D.3: Σ_i c_i λ_i³ / Σ_i c_i λ_i² with c_i = v_iᵀ M_l v_i = ‖v_i|_l‖²,
    /// over the given eigenpairs (exactly m₃/m₂ when they are all P of them; a truncation otherwise).
    /// - Parameter energies: energies[i][l − 1] = ‖v_i|_l‖² (``OutputHessian/layerEnergies(_:architecture:)``).
    public static func weightedEigenvalueRatio(eigenvalues: [Double], energies: [[Double]], layer l: Int) -> Double {
        var numerator = 0.0, denominator = 0.0
        for (i, lambda) in eigenvalues.enumerated() {
            let c = energies[i][l - 1]
            numerator += c * lambda * lambda * lambda
            denominator += c * lambda * lambda
        }
        return denominator > 0 ? numerator / denominator : .nan
    }
}
