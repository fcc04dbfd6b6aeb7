import Foundation

/// The output-Hessian experiment behind paper Fig. 5 (Appendix B.4–B.5): full-batch gradient
/// descent of a bias-free ReLU FFNN on a fixed class-balanced training set D, tracking
///
/// - (a) corr(Ψ(t+1)Ỹ − Ψ(t)Ỹ, −H_w(t)Ψ(t)Ỹ) at every step (Eq. 10 / Eq. 23, which rely on
///   Approximation 1), next to corr(Ψ(t+1)Ỹ − Ψ(t)Ỹ, H_Ỹ(t)Δθ(t)) (Eq. 9, exact to first order);
/// - the layer alignments A_l(t) (Eq. 7, full centring) on a class-balanced probe drawn from D,
///   and corr(w_t, Ỹ) (Approximation 1) on D, every `measureEvery` steps;
/// - (b, c) the top eigenpairs of H_w(t) (largest |λ|, Lanczos) and the energy of each
///   eigenvector in every layer, at initialisation, at the middle of the rise of the mean
///   alignment (``HessianStudyResult/halfRiseIndex(_:)``), and at the end.
///
/// Everything is float64 and deterministic in the configuration. Random streams derive from
/// `seed` as in ``RunSpec``: "subset" (training set), "probe" (alignment probe), "init"
/// (He weights), "lanczos" (start vectors).
public struct HessianStudyConfiguration: Codable, Hashable, Sendable, CanonicallyHashed {
    public var dataset: DatasetName
    /// Training samples per class in D (n = classes × this); w and H_w are taken over all of D.
    public var samplesPerClass: Int
    /// Alignment-probe samples per class (drawn from D).
    public var probePerClass: Int
    public var width: Int
    public var depth: Int
    /// Full-batch gradient-descent learning rate η on the mean cross-entropy.
    public var learningRate: Double
    /// Gradient steps.
    public var steps: Int
    /// Alignments, corr(w, Ỹ) and parameter snapshots every this many steps (and at the last step).
    public var measureEvery: Int
    /// Eigenpairs k of H_w per moment.
    public var eigenpairs: Int
    /// Lanczos iterations m per moment.
    public var lanczosIterations: Int
    public var seed: UInt64

    public init(dataset: DatasetName, samplesPerClass: Int, probePerClass: Int, width: Int, depth: Int,
                learningRate: Double, steps: Int, measureEvery: Int, eigenpairs: Int, lanczosIterations: Int, seed: UInt64) {
        self.dataset = dataset
        self.samplesPerClass = samplesPerClass
        self.probePerClass = probePerClass
        self.width = width
        self.depth = depth
        self.learningRate = learningRate
        self.steps = steps
        self.measureEvery = measureEvery
        self.eigenpairs = eigenpairs
        self.lanczosIterations = lanczosIterations
        self.seed = seed
    }

    /// The bias-free architecture of the study.
    public var architecture: DenseArchitecture {
        RunSpec.architecture(for: dataset, width: width, depth: depth, hasBias: false)
    }

}

/// The spectrum of H_w at one moment of training.
public struct HessianMoment: Codable, Sendable, Equatable {
    /// "initialisation", "rise" or "after".
    public var name: String
    /// Gradient steps taken.
    public var step: Int
    /// Ritz values by decreasing |λ|.
    public var eigenvalues: [Double]
    /// Lanczos residual norms of the pairs.
    public var residualNorms: [Double]
    /// energies[i][l − 1] = ‖v_i restricted to layer l‖² for the i-th eigenvector (unit vectors: rows sum to 1).
    public var energies: [[Double]]
    /// Mean cross-entropy on D at this moment.
    public var loss: Double

    /// Σ_i energies[i][l − 1] / k: the mean energy of the top-k eigenvectors in layer l.
    public func meanEnergy(layer l: Int) -> Double {
        guard !energies.isEmpty else { return .nan }
        return energies.reduce(0) { $0 + $1[l - 1] } / Double(energies.count)
    }
}

/// Everything the study measured.
public struct HessianStudyResult: Codable, Sendable {
    public var configuration: HessianStudyConfiguration
    /// Steps t at which the update correlations were taken (0 … steps − 1).
    public var updateSteps: [Int]
    /// corr(Ψ(t+1)Ỹ − Ψ(t)Ỹ, −H_w(t)Ψ(t)Ỹ) (Fig 5a, Eq. 10 with Approximation 1).
    public var updateCorrelation: [Double]
    /// corr(Ψ(t+1)Ỹ − Ψ(t)Ỹ, H_Ỹ(t)(θ(t+1) − θ(t))) (Eq. 9, first order, no Approximation 1).
    public var firstOrderCorrelation: [Double]
    /// corr(H_Ỹ(t)Ψ(t)w, H_w(t)Ψ(t)Ỹ): the two first-order predictions against each other, i.e. the
    /// η → 0 limit of the Fig 5a correlation, which isolates Approximation 1 from finite-step effects.
    public var infinitesimalCorrelation: [Double]
    /// Steps of the alignment measurements.
    public var measurementSteps: [Int]
    /// alignments[j][l − 1] = A_l at measurementSteps[j].
    public var alignments: [[Double]]
    /// corr(w_t, Ỹ) on D at measurementSteps.
    public var collinearity: [Double]
    /// Mean loss on D at measurementSteps.
    public var losses: [Double]
    /// H_w spectra at initialisation, during the rise and after it.
    public var moments: [HessianMoment]
    /// Wall-clock seconds.
    public var wallSeconds: Double
}

extension HessianStudyResult {
    /// The index j of the middle of a curve's rise: the first j with
    /// c[j] ≥ c[0] + ½ (max c − c[0]), i.e. where half of the eventual increase has happened.
    /// Robust to isolated spikes late in training (a spike can only move the threshold, not
    /// create an early crossing). 0 for a curve that never rises; nil for an empty curve.
    public static func halfRiseIndex(_ curve: [Double]) -> Int? {
        guard let first = curve.first, let top = curve.max() else { return nil }
        guard top > first else { return 0 }
        let threshold = first + 0.5 * (top - first)
        return curve.firstIndex { $0 >= threshold }
    }
}

/// Runs a ``HessianStudyConfiguration``.
public enum HessianTrainingStudy {
    /// Runs the study on the loaded `split` (standardised), reporting progress through `log`: a line at
    /// the first measurement, then at the first measurement after each further quarter of the steps and
    /// at the last (at most five lines, so a log stays short), and one line per Lanczos run.
    /// - Throws: `DatasetError` when D cannot be drawn, ``LanczosError``, `NetworkParameterError`.
    public static func run(_ configuration: HessianStudyConfiguration, split: DatasetSplit,
                           log: (String) -> Void = { _ in }) throws -> HessianStudyResult {
        let started = Date()
        let root = SeededGenerator(seed: configuration.seed)
        var subsetGenerator = root.derived("subset")
        let train = try split.train.balancedSubset(perClass: configuration.samplesPerClass, generator: &subsetGenerator)
        var probeGenerator = root.derived("probe")
        let probePositions = try train.balancedPositions(perClass: Array(repeating: configuration.probePerClass, count: train.classCount),
                                                         generator: &probeGenerator)
        let probe = train.subset(positions: probePositions)
        let inputs = Matrix<Double>(rows: train.count, columns: train.featureCount, storage: train.features.storage.map(Double.init))
        let probeInputs = Matrix<Double>(rows: probe.count, columns: probe.featureCount, storage: probe.features.storage.map(Double.init))
        let labels = train.labels
        let k = train.classCount
        let targets = Centring.full.centredTargets(labels: labels, classCount: k)
        var initGenerator = root.derived("init")
        var network = DenseNetwork<Double>(architecture: configuration.architecture, generator: &initGenerator)
        let eta = configuration.learningRate
        let depth = configuration.depth

        var result = HessianStudyResult(configuration: configuration, updateSteps: [], updateCorrelation: [], firstOrderCorrelation: [], infinitesimalCorrelation: [],
                                        measurementSteps: [], alignments: [], collinearity: [], losses: [], moments: [], wallSeconds: 0)
        var snapshots: [[Double]] = []
        var previousFeatures: [Double]?
        var previousApproximation: [Double]?
        var previousFirstOrder: [Double]?
        var nextReportStep = 0
        for t in 0...configuration.steps {
            let (loss, w) = OutputHessian.lossOutputGradient(network: network, inputs: inputs, labels: labels, loss: .crossEntropy)
            let lossHessian = OutputHessian(network: network, inputs: inputs, outputWeights: w)
            let targetHessian = OutputHessian(network: network, inputs: inputs, outputWeights: targets)
            let features = targetHessian.tangentFeaturesTimesWeights
            if let before = previousFeatures, let approximation = previousApproximation, let firstOrder = previousFirstOrder {
                let change = features.indices.map { features[$0] - before[$0] }
                result.updateSteps.append(t - 1)
                result.updateCorrelation.append(VectorStatistics.correlation(change, approximation))
                result.firstOrderCorrelation.append(VectorStatistics.correlation(change, firstOrder))
                result.infinitesimalCorrelation.append(VectorStatistics.correlation(firstOrder, approximation))
            }
            if t % configuration.measureEvery == 0 || t == configuration.steps {
                let alignment = LayerAlignment.alignments(network: network, probeFeatures: probeInputs, probeLabels: probe.labels,
                                                          centring: .full)
                result.measurementSteps.append(t)
                result.alignments.append(alignment)
                result.collinearity.append(VectorStatistics.correlation(w, targets))
                result.losses.append(loss)
                snapshots.append(network.flattenedParameters)
                if t >= nextReportStep || t == configuration.steps {
                    log("step \(t)/\(configuration.steps): loss \(String(format: "%.4f", loss)), mean A_l \(String(format: "%.3f", alignment.reduce(0, +) / Double(depth)))")
                    nextReportStep = t + max(1, configuration.steps / 2)
                }
            }
            guard t < configuration.steps else { break }
            let step = lossHessian.tangentFeaturesTimesWeights.map { -eta * $0 }
            previousFeatures = features
            previousApproximation = lossHessian.product(features).map { -eta * $0 }
            previousFirstOrder = targetHessian.product(step)
            var theta = network.flattenedParameters
            for i in theta.indices { theta[i] += step[i] }
            network = try DenseNetwork<Double>(architecture: network.architecture, flattenedParameters: theta)
        }

        // The three moments.
        let meanAlignment = result.alignments.map { $0.reduce(0, +) / Double(depth) }
        let rise = HessianStudyResult.halfRiseIndex(meanAlignment) ?? 0
        let chosen = [("initialisation", 0), ("rise", rise), ("after", result.measurementSteps.count - 1)]
        var lanczosGenerator = root.derived("lanczos")
        for (name, index) in chosen {
            let moment = try DenseNetwork<Double>(architecture: network.architecture, flattenedParameters: snapshots[index])
            let (loss, w) = OutputHessian.lossOutputGradient(network: moment, inputs: inputs, labels: labels, loss: .crossEntropy)
            let hessian = OutputHessian(network: moment, inputs: inputs, outputWeights: w)
            log("Lanczos at \(name) (step \(result.measurementSteps[index])): \(configuration.lanczosIterations) products of dimension \(hessian.parameterCount)")
            let pairs = try Lanczos.largestMagnitude(dimension: hessian.parameterCount, count: configuration.eigenpairs,
                                                     iterations: configuration.lanczosIterations, generator: &lanczosGenerator,
                                                     apply: hessian.product)
            result.moments.append(HessianMoment(
                name: name, step: result.measurementSteps[index], eigenvalues: pairs.values, residualNorms: pairs.residualNorms,
                energies: pairs.vectors.map { OutputHessian.layerEnergies($0, architecture: moment.architecture) }, loss: loss))
        }
        result.wallSeconds = Date().timeIntervalSince(started)
        return result
    }
}
