import Foundation

/// The Appendix D (GOFE) experiment: full-batch gradient descent of a bias-free ReLU FFNN on a
/// fixed class-balanced training set D (the setting of Fig. 5), measuring at every one of the first
/// `steps` steps
///
/// - Eq. 20 and Eq. 21 as identities (at initialisation and at the last step), against central
///   differences of the exact gradient;
/// - Eq. 22: the measured ΔΨ = Ψ(t+1) − Ψ(t) (all P × nk entries) against −ηH_wΨ wwᵀ/‖w‖² (GOFE with
///   the exact V) and −ηH_wΨ ỸỸᵀ/‖Ỹ‖² (with Approximation 1), per layer and overall;
/// - Eq. 24: Ψ(t)u − Ψ(0)u for random u ⟂ Ỹ, 1 against Ψ(t)Ỹ − Ψ(0)Ỹ, and uᵀK_lu against ỸᵀK_lỸ;
/// - Eq. 25: the predicted factor 1 − 2η m₃/m₂ + η² m₄/m₂ (m_k = tr(M_l H_w^k), Hutchinson) against the
///   measured A_l(t+1)/A_l(t) on D, and at t = 0 the weighted-eigenvalue form from Lanczos eigenpairs.
///
/// Random streams derive from `seed`: "subset", "init", "directions", "hutchinson", "identity", "lanczos".
public struct GOFEStudyConfiguration: Codable, Hashable, Sendable, CanonicallyHashed {
    public var dataset: DatasetName
    public var samplesPerClass: Int
    public var width: Int
    public var depth: Int
    public var learningRate: Double
    /// Gradient steps measured (the early window).
    public var steps: Int
    /// Random directions u ⟂ Ỹ, 1.
    public var orthogonalDirections: Int
    /// Rademacher probes per layer and step.
    public var hutchinsonProbes: Int
    /// Random directions (besides Ψw) for the Eq. 20 check.
    public var identityDirections: Int
    public var eigenpairs: Int
    public var lanczosIterations: Int
    public var seed: UInt64

    public init(dataset: DatasetName, samplesPerClass: Int, width: Int, depth: Int, learningRate: Double, steps: Int,
                orthogonalDirections: Int, hutchinsonProbes: Int, identityDirections: Int, eigenpairs: Int,
                lanczosIterations: Int, seed: UInt64) {
        self.dataset = dataset
        self.samplesPerClass = samplesPerClass
        self.width = width
        self.depth = depth
        self.learningRate = learningRate
        self.steps = steps
        self.orthogonalDirections = orthogonalDirections
        self.hutchinsonProbes = hutchinsonProbes
        self.identityDirections = identityDirections
        self.eigenpairs = eigenpairs
        self.lanczosIterations = lanczosIterations
        self.seed = seed
    }

    public var architecture: DenseArchitecture {
        RunSpec.architecture(for: dataset, width: width, depth: depth, hasBias: false)
    }

}

/// Everything the GOFE study measured. Per-step arrays are indexed by t = 0 … steps − 1 (a change
/// from t to t + 1) or t = 0 … steps (a state); per-layer arrays by l − 1.
public struct GOFEStudyResult: Codable, Sendable {
    public var configuration: GOFEStudyConfiguration
    /// Eq. 20 relative errors, one per direction (random ones, then Ψw), at t = 0 and at t = steps.
    public var lossHessianErrors: [Double]
    /// Eq. 21 relative errors at t = 0 and t = steps.
    public var gofeEquivalenceErrors: [Double]
    /// Eq. 22 per step t: GOFE with the exact V (s = w_t) and with Approximation 1 (s = Ỹ).
    public var gofeUpdate: [FeatureEvolution.RankOneComparison]
    public var approximationUpdate: [FeatureEvolution.RankOneComparison]
    /// Per step: cos(Ψ(t+1)Ỹ − Ψ(t)Ỹ, −ηH_w(t)Ψ(t)Ỹ), the projection of Eq. 22 on Ỹ (Eq. 23, Fig. 5a's quantity).
    public var projectedCosine: [Double]
    /// Per step and layer: ‖((I − ηH_w)Ψ(t)Ỹ)_l‖² / ‖(Ψ(t)Ỹ)_l‖² − 1, the growth of ỸᵀK_lỸ that Eq. 23 alone
    /// predicts (the first line of Eq. 25 before its trace and independence approximations).
    public var eq23Growth: [[Double]]
    /// corr(w_t, Ỹ) per state.
    public var collinearity: [Double]
    /// Eq. 24 per state t and layer l: ‖(Ψ(t)Ỹ)_l‖ and ‖(Ψ(t)Ỹ − Ψ(0)Ỹ)_l‖; the same per direction u (outer index).
    public var targetFeatureNorms: [[Double]]
    public var targetFeatureChanges: [[Double]]
    public var orthogonalFeatureNorms: [[[Double]]]
    public var orthogonalFeatureChanges: [[[Double]]]
    /// A_l on D per state.
    public var alignments: [[Double]]
    /// Hutchinson moments per step t and layer.
    public var moments: [[FeatureEvolution.LayerMoments]]
    /// Top-|λ| Ritz values of H_w(0) and the weighted-eigenvalue ratio Σcλ³/Σcλ² per layer from them.
    public var initialEigenvalues: [Double]
    public var initialWeightedRatios: [Double]
    public var losses: [Double]
    public var wallSeconds: Double

    /// ‖Ψ(t)s − Ψ(0)s‖ / ‖Ψ(0)s‖ over layer l (1…L) or, for nil, over all parameters, per state t.
    public static func relativeChange(norms: [[Double]], changes: [[Double]], layer: Int?) -> [Double] {
        norms.indices.map { t in
            if let l = layer { return changes[t][l - 1] / norms[0][l - 1] }
            let change = changes[t].reduce(0) { $0 + $1 * $1 }.squareRoot()
            let initial = norms[0].reduce(0) { $0 + $1 * $1 }.squareRoot()
            return change / initial
        }
    }

    /// sᵀK_l(t)s / sᵀK_l(0)s = ‖(Ψ(t)s)_l‖² / ‖(Ψ(0)s)_l‖² (layer l, or all layers: sᵀK s for nil), per state t.
    public static func kernelGrowth(norms: [[Double]], layer: Int?) -> [Double] {
        func value(_ t: Int) -> Double {
            if let l = layer { return norms[t][l - 1] * norms[t][l - 1] }
            return norms[t].reduce(0) { $0 + $1 * $1 }
        }
        return norms.indices.map { value($0) / value(0) }
    }

    /// Measured ỸᵀK_l(t+1)Ỹ / ỸᵀK_l(t)Ỹ − 1 per step and layer (the numerator of A_l alone).
    public var measuredProjectionGrowth: [[Double]] {
        var growth: [[Double]] = []
        for t in 0..<max(0, targetFeatureNorms.count - 1) {
            let before: [Double] = targetFeatureNorms[t], after: [Double] = targetFeatureNorms[t + 1]
            growth.append(before.indices.map { (index: Int) -> Double in (after[index] * after[index]) / (before[index] * before[index]) - 1 })
        }
        return growth
    }

    /// Predicted A_l(t+1)/A_l(t) − 1 per step and layer (Eq. 25).
    public var predictedGrowth: [[Double]] {
        moments.map { $0.map { $0.predictedGrowthFactor(learningRate: configuration.learningRate) - 1 } }
    }

    /// Measured A_l(t+1)/A_l(t) − 1 per step and layer.
    public var measuredGrowth: [[Double]] {
        var growth: [[Double]] = []
        for t in 0..<max(0, alignments.count - 1) {
            let before: [Double] = alignments[t], after: [Double] = alignments[t + 1]
            growth.append(before.indices.map { (index: Int) -> Double in after[index] / before[index] - 1 })
        }
        return growth
    }
}

public enum GOFEStudy {
    /// Runs the study on the loaded `split`, logging a line per quarter of the steps.
    /// - Throws: `DatasetError` when D cannot be drawn, ``LanczosError``, `NetworkParameterError`.
    public static func run(_ configuration: GOFEStudyConfiguration, split: DatasetSplit,
                           log: (String) -> Void = { _ in }) throws -> GOFEStudyResult {
        let started = Date()
        let root = SeededGenerator(seed: configuration.seed)
        var subsetGenerator = root.derived("subset")
        let train = try split.train.balancedSubset(perClass: configuration.samplesPerClass, generator: &subsetGenerator)
        let inputs = Matrix<Double>(rows: train.count, columns: train.featureCount, storage: train.features.storage.map(Double.init))
        let labels = train.labels
        let targets = Centring.full.centredTargets(labels: labels, classCount: train.classCount)
        var initGenerator = root.derived("init")
        var network = DenseNetwork<Double>(architecture: configuration.architecture, generator: &initGenerator)
        let architecture = network.architecture
        let eta = configuration.learningRate
        var directionGenerator = root.derived("directions")
        let directions = FeatureEvolution.orthogonalDirections(targets: targets, count: configuration.orthogonalDirections,
                                                               generator: &directionGenerator)
        var hutchinsonGenerator = root.derived("hutchinson")
        var identityGenerator = root.derived("identity")

        var result = GOFEStudyResult(configuration: configuration, lossHessianErrors: [], gofeEquivalenceErrors: [], gofeUpdate: [],
                                     approximationUpdate: [], projectedCosine: [], eq23Growth: [], collinearity: [], targetFeatureNorms: [], targetFeatureChanges: [],
                                     orthogonalFeatureNorms: directions.map { _ in [] }, orthogonalFeatureChanges: directions.map { _ in [] },
                                     alignments: [], moments: [],
                                     initialEigenvalues: [], initialWeightedRatios: [], losses: [], wallSeconds: 0)
        func identities(_ hessian: CrossEntropyLossHessian) throws {
            var probes = (0..<configuration.identityDirections).map { _ in (0..<architecture.parameterCount).map { _ in identityGenerator.nextNormal() } }
            probes.append(hessian.gradient)
            for v in probes {
                result.lossHessianErrors.append(try FeatureEvolution.lossHessianDecompositionError(hessian, labels: labels, direction: v))
            }
            result.gofeEquivalenceErrors.append(try FeatureEvolution.gofeEquivalenceError(hessian, labels: labels, learningRate: eta))
        }
        func layerNorms(_ v: [Double]) -> [Double] { OutputHessian.layerEnergies(v, architecture: architecture).map { $0.squareRoot() } }
        func difference(_ a: [Double], _ b: [Double]) -> [Double] { a.indices.map { a[$0] - b[$0] } }

        var initialTarget: [Double] = [], initialOrthogonal: [[Double]] = []
        var previousMap: TangentFeatureMap?
        var previous: (psiY: [Double], w: [Double], psiW: [Double], bW: [Double], bY: [Double])?
        var nextReport = 0
        for t in 0...configuration.steps {
            let hessian = CrossEntropyLossHessian(network: network, inputs: inputs, labels: labels)
            let map = hessian.features
            let w = hessian.outputGradient
            let psiY = map.product(targets)
            let psiU = directions.map { map.product($0) }
            result.losses.append(hessian.loss)
            result.collinearity.append(VectorStatistics.correlation(w, targets))
            result.alignments.append(LayerAlignment.alignments(network: network, probeFeatures: inputs, probeLabels: labels, centring: .full))
            if t == 0 {
                initialTarget = psiY
                initialOrthogonal = psiU
                try identities(hessian)
            }
            // Eq. 24 relative to t = 0.
            result.targetFeatureNorms.append(layerNorms(psiY))
            result.targetFeatureChanges.append(layerNorms(difference(psiY, initialTarget)))
            for (j, u) in psiU.enumerated() {
                result.orthogonalFeatureNorms[j].append(layerNorms(u))
                result.orthogonalFeatureChanges[j].append(layerNorms(difference(u, initialOrthogonal[j])))
            }
            // Eq. 22 for the step t − 1 → t.
            if let before = previous, let beforeMap = previousMap {
                let squared = beforeMap.layerSquaredDistances(to: map)
                let changeY = difference(psiY, before.psiY)
                let changeW = difference(map.product(before.w), before.psiW)
                result.approximationUpdate.append(FeatureEvolution.compareRankOne(
                    prediction: before.bY, direction: targets, measuredTimesS: changeY, measuredLayerSquaredNorms: squared, architecture: architecture))
                let ySquared = targets.reduce(0) { $0 + $1 * $1 }
                result.projectedCosine.append(VectorStatistics.cosine(changeY, before.bY.map { $0 * ySquared }))
                result.gofeUpdate.append(FeatureEvolution.compareRankOne(
                    prediction: before.bW, direction: before.w, measuredTimesS: changeW, measuredLayerSquaredNorms: squared, architecture: architecture))
            }
            if t >= nextReport || t == configuration.steps {
                log("step \(t)/\(configuration.steps): loss \(String(format: "%.4f", hessian.loss)), mean A_l \(String(format: "%.4f", result.alignments[t].reduce(0, +) / Double(architecture.depth)))")
                nextReport = t + max(1, configuration.steps / 2)
            }
            guard t < configuration.steps else {
                try identities(hessian)
                break
            }
            // Eq. 25 moments of H_w(t).
            result.moments.append((1...architecture.depth).map { l in
                FeatureEvolution.hutchinsonLayerMoments(layer: l, architecture: architecture, probes: configuration.hutchinsonProbes,
                                                        generator: &hutchinsonGenerator, apply: hessian.outputHessian.product)
            })
            if t == 0 {
                var lanczosGenerator = root.derived("lanczos")
                let pairs = try Lanczos.largestMagnitude(dimension: architecture.parameterCount, count: configuration.eigenpairs,
                                                         iterations: configuration.lanczosIterations, generator: &lanczosGenerator,
                                                         apply: hessian.outputHessian.product)
                let energies = pairs.vectors.map { OutputHessian.layerEnergies($0, architecture: architecture) }
                result.initialEigenvalues = pairs.values
                result.initialWeightedRatios = (1...architecture.depth).map {
                    FeatureEvolution.weightedEigenvalueRatio(eigenvalues: pairs.values, energies: energies, layer: $0)
                }
            }
            let psiW = hessian.gradient
            let hwPsiY = hessian.outputHessian.product(psiY)
            let before = layerNorms(psiY), after = layerNorms(psiY.indices.map { psiY[$0] - eta * hwPsiY[$0] })
            result.eq23Growth.append(before.indices.map { (after[$0] * after[$0]) / (before[$0] * before[$0]) - 1 })
            previous = (psiY, w, psiW,
                        FeatureEvolution.rankOneFactor(outputHessian: hessian.outputHessian, featuresTimesS: psiW, direction: w, learningRate: eta),
                        FeatureEvolution.rankOneFactor(outputHessian: hessian.outputHessian, featuresTimesS: psiY, direction: targets, learningRate: eta))
            previousMap = map
            var theta = network.flattenedParameters
            for i in theta.indices { theta[i] -= eta * psiW[i] }
            network = try DenseNetwork<Double>(architecture: architecture, flattenedParameters: theta)
        }
        result.wallSeconds = Date().timeIntervalSince(started)
        return result
    }
}
