import Core
import Foundation

// Paper Appendix B.4–B.5 and D: the output Hessian H_w = Σ_{x,i} w_{x,i} ∇²_θ f_i(x)
// (w = ∇_F ℒ) as the mechanism behind the alignment hierarchy. Three entries:
// "thmA" (exact identities), "fig5" (update correlation and eigenvector energy), "fig6"
// (Approximation 1).

/// Shared helpers of the second-order figures.
enum SecondOrderSupport {
    /// A cached Codable result in `<cache>/second-order/<name>-<hash>.json`, computed on a miss;
    /// nil on a miss under `--cached-only`, which trains nothing.
    /// - Throws: `FileError.corrupt` naming the file when it exists but cannot be read or decoded
    ///   (as `RunCache` does for run records: exit 65), so a damaged cache is never silently recomputed.
    static func cached<Value: Codable>(_ type: Value.Type, name: String, hash: String, in context: FigureContext,
                                       compute: () throws -> Value) throws -> Value? {
        let url = context.cacheDirectory.appendingPathComponent("second-order", isDirectory: true)
            .appendingPathComponent("\(name)-\(hash).json")
        if FileManager.default.fileExists(atPath: url.path) {
            let value: Value
            do {
                value = try JSONDecoder().decode(Value.self, from: try Data(contentsOf: url))
            } catch {
                throw FileError.corrupt(path: url.path, reason: "it is not a valid cached \(name) result (\(JSONErrorText.describe(error))); delete it to recompute it")
            }
            context.log("\(name): cached result \(hash)")
            return value
        }
        if context.cachedOnly { return nil }
        let value = try compute()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(value), to: url)
        return value
    }

    /// The reason sentence for a missing dataset.
    static func missingReason(_ dataset: DatasetName, _ availability: DatasetAvailability) -> String {
        "\(dataset.displayName) is \(availability)"
    }
}

// MARK: - Theorem A

/// Theorem A (Appendix B.4) and Approximation 2 (Appendix B.5.2), checked to rounding on
/// bias-free ReLU FFNNs with Fashion-MNIST inputs:
/// (a) max relative error of Ψ^i(x) = H^i(x)θ/(L−1) over all inputs and outputs, per depth and
///     width, without biases (the theorem's setting) and with random biases (where it must fail);
/// (b) the same for the gradient step θ(t+1) = (I − η/(L−1) H_w)θ(t);
/// (c) the first-order bookkeeping of Eqs. 9/23: relative error of H_Ỹ Δθ as a prediction of
///     Ψ(θ+Δθ)Ỹ − Ψ(θ)Ỹ against the step size (∝ η), and 1 − corr with −ηH_wΨỸ (Eq. 10, with Approximation 1).
public struct TheoremAFigure: FigureSpec {
    public let id = "thmA"
    public let title = "Theorem A identities: Ψ(x) = H(x)θ/(L−1) and the gradient step"
    public let paperReference = "Appendix B.4 (Theorem A), B.5.2 (Approximation 2), D.2 (Eq. 23)"
    public let datasets: [DatasetName] = [.fashionMNIST]
    /// It computes its checks directly and trains no run.
    public let trainsRuns = false

    /// How every quantity of the figure is computed.
    static let methodNotes = [
        "All second-order quantities are exact float64 computations: H_w v by Pearlmutter's R-operator through the network (tested against central differences of gradients and the dense Hessian), Ψv by back-propagation of v.",
        "Ψ^i(x) = ∇_θ f_i(x), H^i(x) = ∇²_θ f_i(x); w = ∇_F ℒ for the mean cross-entropy over the samples; Ỹ = C Y with the full centring of Eq. 6.",
        "Relative errors: ‖H^i(x)θ/(L−1) − Ψ^i(x)‖/‖Ψ^i(x)‖ maximised over samples and outputs; for the step, ‖(η/(L−1))H_wθ − η∇ℒ‖/‖η∇ℒ‖.",
        "With biases the bias entries b_l enter f with homogeneity degree L − l instead of the L − l + 1 of W_l, so the identity breaks; the with-bias networks draw biases ~ N(0, 0.1²).",
    ]

    struct Settings {
        var depths: [Int]
        var widths: [Int]
        var samples: Int
        var learningRate: Double
        var stepSizes: [Double]
        var firstOrderDepth: Int
        var firstOrderWidth: Int
        var firstOrderSamplesPerClass: Int
    }

    func settings(_ profile: Profile) -> Settings {
        switch profile {
        case .quick:
            return Settings(depths: [2, 3, 5, 10], widths: [16, 64], samples: 10, learningRate: 0.1,
                            stepSizes: [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 3e-7, 1e-7, 3e-8, 1e-8, 1e-9], firstOrderDepth: 5,
                            firstOrderWidth: 64, firstOrderSamplesPerClass: 10)
        case .full:
            return Settings(depths: [2, 3, 5, 10, 20], widths: [16, 64, 256], samples: 20, learningRate: 0.1,
                            stepSizes: [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 3e-7, 1e-7, 3e-8, 1e-8, 1e-9], firstOrderDepth: 10,
                            firstOrderWidth: 256, firstOrderSamplesPerClass: 50)
        }
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        let s = settings(context.profile)
        let availability = DatasetLoader.availability(of: .fashionMNIST, dataDirectory: context.dataDirectory)
        let claimIds: [ClaimID] = [.thmAFeatureIdentityMaxRelativeError, .thmAGradientStepMaxRelativeError,
                                   .thmAFirstOrderErrorExponent, .thmAWithBiasesFeatureIdentityError]
        var measurements: [ClaimMeasurement] = []
        var panels: [Panel] = []
        var notes = Self.methodNotes
        if availability.isPresent {
            let split = try DatasetLoader.load(.fashionMNIST, dataDirectory: context.dataDirectory)
            var generator = SeededGenerator(seed: context.seed).derived("thmA").derived("samples")
            let sample = try split.train.balancedSubset(totalCount: s.samples, generator: &generator)
            let inputs = Matrix<Double>(rows: sample.count, columns: sample.featureCount, storage: sample.features.storage.map(Double.init))
            var featureErrors: [[Double]] = [], stepErrors: [[Double]] = [], biasErrors: [[Double]] = []
            for width in s.widths {
                var featureRow: [Double] = [], stepRow: [Double] = [], biasRow: [Double] = []
                context.log("thmA: width \(width), depths \(s.depths.map(String.init).joined(separator: ", "))")
                for depth in s.depths {
                    var initGenerator = SeededGenerator(seed: context.seed).derived("thmA").derived("init L\(depth) N\(width)")
                    let architecture = RunSpec.architecture(for: .fashionMNIST, width: width, depth: depth, hasBias: false)
                    let network = DenseNetwork<Double>(architecture: architecture, generator: &initGenerator)
                    featureRow.append(SecondOrderIdentities.theoremAFeatureError(network: network, inputs: inputs))
                    stepRow.append(SecondOrderIdentities.theoremAStepError(network: network, inputs: inputs, labels: sample.labels,
                                                                           learningRate: s.learningRate))
                    var biased = RunSpec.architecture(for: .fashionMNIST, width: width, depth: depth, hasBias: true)
                    biased.hasBias = true
                    var biasedNetwork = DenseNetwork<Double>(architecture: biased, generator: &initGenerator)
                    for l in biasedNetwork.biases.indices {
                        biasedNetwork.biases[l] = biasedNetwork.biases[l].map { _ in 0.1 * initGenerator.nextNormal() }
                    }
                    biasRow.append(SecondOrderIdentities.theoremAFeatureError(network: biasedNetwork, inputs: inputs))
                }
                featureErrors.append(featureRow); stepErrors.append(stepRow); biasErrors.append(biasRow)
            }
            let worstFeature = featureErrors.joined().max() ?? .nan
            let worstStep = stepErrors.joined().max() ?? .nan
            let leastBias = biasErrors.joined().min() ?? .nan
            let grid = "depths \(s.depths.map(String.init).joined(separator: ", ")) × widths \(s.widths.map(String.init).joined(separator: ", ")), \(s.samples) Fashion-MNIST training images, all 10 outputs"
            measurements.append(ClaimMeasurement(claimId: claimIds[0], value: worstFeature, uncertainty: .deterministic(worstFeature),
                                                 detail: "max over \(grid) of ‖H^i(x)θ/(L−1) − Ψ^i(x)‖/‖Ψ^i(x)‖, bias-free He-initialised networks"))
            measurements.append(ClaimMeasurement(claimId: claimIds[1], value: worstStep, uncertainty: .deterministic(worstStep),
                                                 detail: "max over \(grid) of ‖(η/(L−1))H_wθ − η∇ℒ‖/‖η∇ℒ‖, η = \(s.learningRate), mean cross-entropy"))
            measurements.append(ClaimMeasurement(claimId: claimIds[3], value: leastBias, uncertainty: .deterministic(leastBias),
                                                 detail: "min over \(grid) of the feature-identity error of the same networks with biases ~ N(0, 0.1²): the check detects a broken identity"))

            // First-order bookkeeping.
            var fg = SeededGenerator(seed: context.seed).derived("thmA").derived("first-order")
            let firstOrderSample = try split.train.balancedSubset(perClass: s.firstOrderSamplesPerClass, generator: &fg)
            let foInputs = Matrix<Double>(rows: firstOrderSample.count, columns: firstOrderSample.featureCount,
                                          storage: firstOrderSample.features.storage.map(Double.init))
            let foArchitecture = RunSpec.architecture(for: .fashionMNIST, width: s.firstOrderWidth, depth: s.firstOrderDepth, hasBias: false)
            let foNetwork = DenseNetwork<Double>(architecture: foArchitecture, generator: &fg)
            let targets = Centring.full.centredTargets(labels: firstOrderSample.labels, classCount: 10)
            context.log("thmA: first-order bookkeeping over \(s.stepSizes.count) step sizes")
            let changes = try s.stepSizes.map {
                try SecondOrderIdentities.featureChange(network: foNetwork, inputs: foInputs, labels: firstOrderSample.labels,
                                                        direction: targets, learningRate: $0)
            }
            let errors = changes.map(\.firstOrderRelativeError)
            let approximationGap = changes.map { 1 - $0.approximationCorrelation }
            let small = zip(s.stepSizes, errors).filter { $0.0 <= 1e-6 && $0.0 >= 1e-8 && $0.1 > 0 }
            let fit = try? LinearFit(x: small.map { log10($0.0) }, y: small.map { log10($0.1) })
            if let fit {
                measurements.append(ClaimMeasurement(
                    claimId: claimIds[2], value: fit.slope, uncertainty: .deterministic(fit.slope),
                    detail: "OLS slope of log ‖ΔΨỸ − H_ỸΔθ‖/‖H_ỸΔθ‖ on log η over η ∈ [10^-8, 10^-6] (\(small.count) step sizes), depth \(s.firstOrderDepth), width \(s.firstOrderWidth), \(firstOrderSample.count) samples; errors "
                        + errors.map { NumberText.format($0) }.joined(separator: ", ")))
            } else {
                measurements.append(ClaimMeasurement(claimId: claimIds[2], notRunBecause: "the first-order errors were zero or not finite, so no slope could be fitted"))
            }
            notes.append("ReLU kinks: Ψ is discontinuous where a pre-activation changes sign, so over a finite step the first-order prediction is exact only while no unit of any sample crosses zero; with \(firstOrderSample.count) samples × \(s.firstOrderWidth) units × \(s.firstOrderDepth - 1) layers some unit crosses already at small η, and the error falls ∝ η only below about 10^-6 (errors at η = " + s.stepSizes.map { NumberText.format($0) }.joined(separator: ", ") + ": " + errors.map { NumberText.format($0) }.joined(separator: ", ") + "). Below 10^-8 float64 rounding of the difference Ψ(θ+Δθ)Ỹ − Ψ(θ)Ỹ takes over. The claim's slope is fitted over 10^-8 ≤ η ≤ 10^-6.")
            notes.append("First-order check: one full-batch gradient step Δθ = −ηΨw on \(firstOrderSample.count) class-balanced samples; the measured ΔΨỸ is compared with H_ỸΔθ (Eq. 9, exact to first order) and with −ηH_wΨỸ (Eq. 10/23, which also needs Approximation 1, so its gap does not vanish as η → 0: corr = \(NumberText.format(changes.last?.approximationCorrelation ?? .nan)) at η = \(NumberText.format(s.stepSizes.last ?? .nan))).")

            let anchorIndex = s.stepSizes.firstIndex(of: 1e-7) ?? (s.stepSizes.count - 1)
            let anchor = (eta: s.stepSizes[anchorIndex], error: errors[anchorIndex])
            let depthsX = s.depths.map(Double.init)
            var identitySeries: [Series] = []
            for (index, width) in s.widths.enumerated() {
                identitySeries.append(Series(label: "no bias, N = \(width)", x: depthsX, y: featureErrors[index].map { max($0, 1e-17) },
                                             style: .line(index, marker: .circle)))
                identitySeries.append(Series(label: "with biases, N = \(width)", x: depthsX, y: biasErrors[index],
                                             style: SeriesStyle(color: .palette(index), dash: [4, 3], marker: .square)))
            }
            panels.append(Panel(title: "Ψ^{i}(x) = H^{i}(x)θ/(L−1)", xAxis: .linear("depth L"),
                                yAxis: .log10("max relative error"), series: identitySeries, legend: .outsideRight))
            panels.append(Panel(title: "θ(t+1) = (I − ηH_{w}/(L−1))θ(t)", xAxis: .linear("depth L"), yAxis: .log10("relative error of the step"),
                                series: s.widths.enumerated().map { index, width in
                                    Series(label: "N = \(width)", x: depthsX, y: stepErrors[index].map { max($0, 1e-17) }, style: .line(index, marker: .circle))
                                }, legend: .auto))
            panels.append(Panel(
                title: "First order in η (Eqs. 9, 23)", xAxis: .log10("learning rate η"), yAxis: .log10("error"),
                series: [
                    Series(label: "‖ΔΨỸ − H_{Ỹ}Δθ‖/‖H_{Ỹ}Δθ‖", x: s.stepSizes, y: errors, style: .line(0, marker: .circle)),
                    Series(label: "1 − corr(ΔΨỸ, −ηH_{w}ΨỸ)", x: s.stepSizes, y: approximationGap, style: .line(1, marker: .square)),
                    Series(label: "∝ η", x: s.stepSizes, y: s.stepSizes.map { $0 * anchor.error / anchor.eta }, style: .reference),
                ], legend: .bottomRight))
        } else {
            let reason = SecondOrderSupport.missingReason(.fashionMNIST, availability)
            measurements = claimIds.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }
            panels = [Panel(title: "Ψ^{i}(x) = H^{i}(x)θ/(L−1)", xAxis: .linear("depth L"), yAxis: .log10("max relative error")),
                      Panel(title: "Gradient step", xAxis: .linear("depth L"), yAxis: .log10("relative error")),
                      Panel(title: "First order in η", xAxis: .log10("η"), yAxis: .log10("error"))]
        }
        let figure = PlotFigure(panels: panels, columns: 3)
        return FigureContent(
            figure: figure,
            caption: """
                (a) Largest relative error of Theorem A's identity Ψ^i(x) = H^i(x)θ/(L−1) over inputs x and outputs i, for bias-free He-initialised ReLU networks (solid) and the same networks with random biases (dashed), against depth. \
                (b) Relative error of the gradient-step form θ(t+1) = (I − η/(L−1)H_w)θ(t) of one full-batch step of the mean cross-entropy. Errors that are exactly zero in float64 are drawn at 10^{-17}. \
                (c) Over one full-batch step of size η: relative error of H_ỸΔθ as the change of ΨỸ (Eq. 9, Approximation 2; ∝ η, so first order is exact) and 1 − corr(ΔΨỸ, −ηH_wΨỸ) (Eq. 10/23, which also uses Approximation 1).
                """,
            protocolSettings: [
                .init("dataset", "Fashion-MNIST training images (standardised), class-balanced"),
                .init("depths × widths", "\(s.depths.map(String.init).joined(separator: ", ")) × \(s.widths.map(String.init).joined(separator: ", "))"),
                .init("samples for the identities", "\(s.samples)"),
                .init("learning rate of the step identity", "\(s.learningRate)"),
                .init("first-order check", "depth \(s.firstOrderDepth), width \(s.firstOrderWidth), \(s.firstOrderSamplesPerClass) samples per class, η ∈ {\(s.stepSizes.map { NumberText.format($0) }.joined(separator: ", "))}"),
                .init("precision", "float64 throughout"),
            ],
            notes: notes, measurements: measurements,
            configurationHashes: [])
    }
}

// MARK: - Figure 6

/// Fig. 6 (Appendix B.5.1, Approximation 1): −corr(Ỹ, w_t) over the first epoch of minibatch
/// SGD training of FFNNs, for several depths and every dataset present.
public struct Fig6Figure: FigureSpec {
    public let id = "fig6"
    public let title = "Approximation 1: −corr(Ỹ, w_t) ≈ 1 early in training"
    public let paperReference = "Figure 6, Appendix B.5.1"
    public let datasets: [DatasetName] = [.fashionMNIST, .cifar10]

    func configurations(_ profile: Profile, dataset: DatasetName, seed: UInt64) -> [CollinearityConfiguration] {
        let depths = [5, 10, 20]
        return depths.map { depth in
            CollinearityConfiguration(
                dataset: dataset, trainSubsetPerClass: profile == .quick ? 1000 : nil, probePerClass: profile == .quick ? 50 : 100,
                width: 256, depth: depth, hasBias: true,
                optimizer: .sgd(learningRate: 0.003, momentum: 0.9, weightDecay: 5e-4), batchSize: 128,
                pointsPerDecade: 8, seed: seed)
        }
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        var measurements: [ClaimMeasurement] = []
        var panels: [Panel] = []
        var hashes: [String] = []
        var usedDatasets: [String] = []
        for dataset in datasets {
            let availability = DatasetLoader.availability(of: dataset, dataDirectory: context.dataDirectory)
            let (initialId, minimumId): (ClaimID, ClaimID) = dataset == .fashionMNIST
                ? (.fig6FashionMNISTInitial, .fig6FashionMNISTFirstEpochMinimum) : (.fig6CIFAR10Initial, .fig6CIFAR10FirstEpochMinimum)
            guard availability.isPresent else {
                let reason = SecondOrderSupport.missingReason(dataset, availability)
                measurements.append(ClaimMeasurement(claimId: initialId, notRunBecause: reason))
                measurements.append(ClaimMeasurement(claimId: minimumId, notRunBecause: reason))
                panels.append(Panel(title: "\(dataset.displayName): no data", xAxis: .linear("step"), yAxis: .linear("−corr(Ỹ, w_{t})")))
                continue
            }
            usedDatasets.append(dataset.displayName)
            let split = try DatasetLoader.load(dataset, dataDirectory: context.dataDirectory)
            var series: [Series] = []
            for (index, configuration) in configurations(context.profile, dataset: dataset, seed: context.seed).enumerated() {
                hashes.append(configuration.configurationHash)
                context.log("fig6: \(dataset.displayName) depth \(configuration.depth), first epoch")
                guard let trace = try SecondOrderSupport.cached(CollinearityTraceResult.self, name: "fig6", hash: configuration.configurationHash,
                                                                in: context, compute: { try CollinearityTrace.run(configuration, split: split) }) else {
                    if configuration.depth == 10 {
                        let reason = "the depth-10 first-epoch trace (\(configuration.configurationHash)) is not in the cache (--cached-only trains nothing)"
                        measurements.append(ClaimMeasurement(claimId: initialId, notRunBecause: reason))
                        measurements.append(ClaimMeasurement(claimId: minimumId, notRunBecause: reason))
                    }
                    continue
                }
                let epochs = trace.steps.map { Double($0) / Double(trace.stepsPerEpoch) }
                series.append(Series(label: "L = \(configuration.depth)", x: epochs, y: trace.negativeCorrelation, style: .line(index, marker: .circle)))
                if configuration.depth == 10 {
                    let detail = "depth 10, width 256, \(trace.configuration.probePerClass * 10)-sample class-balanced training probe, SGD lr 0.003 momentum 0.9, batch 128, \(trace.stepsPerEpoch) steps per epoch"
                    measurements.append(ClaimMeasurement(claimId: initialId, value: trace.negativeCorrelation.first ?? .nan, uncertainty: .singleRun,
                                                         detail: "−corr(Ỹ, w_0) at initialisation, " + detail))
                    measurements.append(ClaimMeasurement(claimId: minimumId, value: trace.negativeCorrelation.min() ?? .nan, uncertainty: .singleRun,
                                                         detail: "min over \(trace.steps.count) log-spaced steps of the first epoch of −corr(Ỹ, w_t), " + detail
                                                            + "; values " + trace.negativeCorrelation.map { NumberText.format($0) }.joined(separator: ", ")))
                }
            }
            panels.append(Panel(title: "\(dataset.displayName): first epoch", xAxis: .linear("epoch"),
                                yAxis: .linear("−corr(Ỹ, w_{t})"), series: series, legend: .bottomLeft))
        }
        let figure = PlotFigure(panels: panels, columns: 2)
        let sample = configurations(context.profile, dataset: .fashionMNIST, seed: context.seed)[0]
        return FigureContent(
            figure: figure,
            caption: """
                −corr(Ỹ, w_t) between the centred one-hot targets Ỹ = CY and the loss gradient w_t = ∇_F ℒ on a fixed class-balanced training probe, over the first epoch of SGD training of width-256 ReLU FFNNs of depth 5, 10 and 20 (x: fraction of the epoch; measured at step 0 and about 8 log-spaced steps per decade). \
                Datasets: \(usedDatasets.isEmpty ? "none present" : usedDatasets.joined(separator: ", ")).
                """,
            protocolSettings: [
                .init("architecture", "ReLU FFNN with biases, width 256, depths 5, 10, 20, He initialisation"),
                .init("optimiser", "SGD, lr 0.003, momentum 0.9, weight decay 5·10^-4, batch 128"),
                .init("training set", sample.trainSubsetPerClass.map { "\($0) per class (class-balanced subset)" } ?? "full training set"),
                .init("probe", "\(sample.probePerClass) per class from the training set"),
                .init("centring of Ỹ", "full (Eq. 6); identical to per-output on a balanced probe"),
                .init("measurement steps", "0 and round(10^{i/8}) up to the epoch's last step"),
            ],
            notes: [
                "corr is the Pearson correlation of the nk entries; since Σ_i w_{x,i} = 0 and Ỹ has zero mean it equals the cosine.",
                "Training is the engine's float32 Trainer with the Runner's random streams; w_t is computed in float64 from the float32 weights.",
                "The paper does not state weight decay or momentum for Fig. 6; the Fig. 2/7 protocol (SGD with momentum and weight decay, lr 0.003) is used with momentum 0.9 and weight decay 5·10^-4.",
            ],
            measurements: measurements,
            configurationHashes: hashes)
    }
}

// MARK: - Figure 5

/// Fig. 5 (Appendix B.4–B.5): (a) the correlation between the update of the tangent features
/// Ψ(t+1)Ỹ − Ψ(t)Ỹ and −H_w(t)Ψ(t)Ỹ over training steps; (b) the alignments A_l whose sharp
/// rise defines the middle moment; (c–e) the energy of the top eigenvectors of H_w in layers 1,
/// 7 and 10 of a depth-10 FFNN at initialisation, during the rise and after it; (f) the mean
/// energy per layer at the three moments.
public struct Fig5Figure: FigureSpec {
    public let id = "fig5"
    public let title = "Output-Hessian mechanism: update correlation and eigenvector energy"
    public let paperReference = "Figure 5, Appendix B.4–B.5"
    public let datasets: [DatasetName] = [.fashionMNIST, .cifar10]

    /// The layers of the paper's panel (b).
    static let energyLayers = [1, 7, 10]
    /// Steps over which the Fig 5a claim averages the correlation ("the first steps").
    static let earlySteps = 10

    func configuration(_ profile: Profile, dataset: DatasetName, seed: UInt64) -> HessianStudyConfiguration {
        switch profile {
        case .quick:
            return HessianStudyConfiguration(dataset: dataset, samplesPerClass: 50, probePerClass: 10, width: 128, depth: 10,
                                             learningRate: 0.01, steps: 200, measureEvery: 5, eigenpairs: 30, lanczosIterations: 90, seed: seed)
        case .full:
            return HessianStudyConfiguration(dataset: dataset, samplesPerClass: 100, probePerClass: 20, width: 256, depth: 10,
                                             learningRate: 0.01, steps: 400, measureEvery: 5, eigenpairs: 100, lanczosIterations: 250, seed: seed)
        }
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        var measurements: [ClaimMeasurement] = []
        var panels: [Panel] = []
        var hashes: [String] = []
        var usedDatasets: [String] = []
        var notes = [
            "Training is full-batch gradient descent on the mean cross-entropy over a fixed class-balanced training set D, so that w = ∇_F ℒ, H_w and Ψ refer to the same D as in Appendix B.4; the network is bias-free so that Theorem A holds exactly along the trajectory.",
            "Panel (a) uses no projection U (U = I): the paper's U is an nk × nk basis of output space, which does not act on the P-dimensional vectors ΨỸ; the Pearson correlation of the P entries is shown.",
            "Over a finite step the change of ΨỸ also contains jumps where ReLU pre-activations change sign (Ψ is discontinuous there); with hundreds of samples some units cross at any practical η, and these jumps (adding up ∝ √η against the smooth ∝ η) dominate the measured change, which is why even the exact first-order prediction (Eq. 9) correlates weakly with it. The η → 0 curve removes this effect (see thmA panel c).",
            "The rise moment is the first measurement at which the mean alignment (1/L)Σ_l A_l has completed half of its increase from initialisation to its maximum (the middle of the sharp rise; robust to late spikes); 'after' is the last step.",
            "Eigenvectors: Lanczos with full reorthogonalisation on the exact H_w products; energy of eigenvector v in layer l is ‖v restricted to (W_l)‖² (unit vectors, so the energies over all layers sum to 1). Layer sizes differ (layer 1 has d·N weights, layer 10 has N·k), and energies are not normalised by them, as in the paper.",
        ]
        for dataset in datasets {
            let availability = DatasetLoader.availability(of: dataset, dataDirectory: context.dataDirectory)
            let claimIds: [ClaimID] = dataset == .fashionMNIST
                ? [.fig5FashionMNISTUpdateCorrelationEarly, .fig5FashionMNISTEnergyLayer7OverExtremesAtRise, .fig5FashionMNISTEigenvaluePeakAtRise]
                : [.fig5CIFAR10UpdateCorrelationEarly, .fig5CIFAR10EnergyLayer7OverExtremesAtRise, .fig5CIFAR10EigenvaluePeakAtRise]
            guard availability.isPresent else {
                let reason = SecondOrderSupport.missingReason(dataset, availability)
                measurements += claimIds.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }
                panels.append(Panel(title: "\(dataset.displayName): no data", xAxis: .linear("step"), yAxis: .linear("correlation")))
                continue
            }
            usedDatasets.append(dataset.displayName)
            let configuration = configuration(context.profile, dataset: dataset, seed: context.seed)
            hashes.append(configuration.configurationHash)
            guard let study = try SecondOrderSupport.cached(HessianStudyResult.self, name: "fig5", hash: configuration.configurationHash, in: context, compute: {
                let split = try DatasetLoader.load(dataset, dataDirectory: context.dataDirectory)
                return try HessianTrainingStudy.run(configuration, split: split) { context.log("fig5 \(dataset.displayName): " + $0) }
            }) else {
                let reason = "the \(dataset.displayName) study (\(configuration.configurationHash)) is not in the cache (--cached-only trains nothing)"
                measurements += claimIds.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }
                panels.append(Panel(title: "\(dataset.displayName): not in the cache", xAxis: .linear("step"), yAxis: .linear("correlation")))
                continue
            }
            let early = Array(study.updateCorrelation.prefix(Self.earlySteps))
            measurements.append(ClaimMeasurement(
                claimId: claimIds[0], value: early.reduce(0, +) / Double(max(1, early.count)), uncertainty: .singleRun,
                detail: "mean over steps 0–\(early.count - 1) of corr(Ψ(t+1)Ỹ − Ψ(t)Ỹ, −H_w(t)Ψ(t)Ỹ), U = I; values "
                    + early.map { NumberText.format($0) }.joined(separator: ", ")
                    + "; control, corr with the exact first-order change H_ỸΔθ (Eq. 9) over the same steps: "
                    + study.firstOrderCorrelation.prefix(Self.earlySteps).map { NumberText.format($0) }.joined(separator: ", ")
                    + "; η → 0 limit corr(H_ỸΨw, H_wΨỸ) (Approximation 1 alone): "
                    + study.infinitesimalCorrelation.prefix(Self.earlySteps).map { NumberText.format($0) }.joined(separator: ", ")
                    + "; over all \(study.updateCorrelation.count) steps: min \(NumberText.format(study.updateCorrelation.min() ?? .nan)), mean \(NumberText.format(study.updateCorrelation.reduce(0, +) / Double(max(1, study.updateCorrelation.count))))"))
            let summary = study.moments.map { moment in
                "\(moment.name) (step \(moment.step)): top |λ| \(NumberText.format(abs(moment.eigenvalues.first ?? .nan))), energy L1/L7/L10 "
                    + Self.energyLayers.map { NumberText.format(moment.meanEnergy(layer: $0)) }.joined(separator: "/")
            }.joined(separator: "; ")
            if study.moments.count == 3 {
                let rise = study.moments[1]
                let ratio = rise.meanEnergy(layer: 7) / max(rise.meanEnergy(layer: 1), rise.meanEnergy(layer: 10))
                measurements.append(ClaimMeasurement(
                    claimId: claimIds[1], value: ratio, uncertainty: .singleRun,
                    detail: "mean energy of the top \(configuration.eigenpairs) eigenvectors of H_w in layer 7 divided by the larger of layers 1 and 10, at the middle of the alignment rise (step \(rise.step)); " + summary))
                let tops = study.moments.map { abs($0.eigenvalues.first ?? .nan) }
                measurements.append(ClaimMeasurement(
                    claimId: claimIds[2], value: tops[1] / max(tops[0], tops[2]), uncertainty: .singleRun,
                    detail: "top |λ| of H_w at the rise divided by the larger of initialisation and after (paper, CIFAR-10: 2, 15, 6 → 2.5); measured "
                        + tops.map { NumberText.format($0) }.joined(separator: ", ")
                        + "; largest Lanczos residual of the top pair: " + study.moments.map { NumberText.format($0.residualNorms.first ?? .nan) }.joined(separator: ", ")))
            }
            notes.append("\(dataset.displayName): \(summary). Wall time \(NumberText.format(study.wallSeconds)) s.")
            panels += Self.panels(study: study, dataset: dataset)
        }
        let figure = PlotFigure(panels: panels, columns: 3)
        let c = configuration(context.profile, dataset: .fashionMNIST, seed: context.seed)
        return FigureContent(
            figure: figure,
            caption: """
                (a) corr(Ψ(t+1)Ỹ − Ψ(t)Ỹ, −H_w(t)Ψ(t)Ỹ) over full-batch gradient steps of a bias-free depth-10 FFNN (Eq. 10, which needs Approximation 1), the same change against its exact first-order prediction H_Ỹ(t)Δθ (Eq. 9), and the two predictions against each other (the η → 0 limit of the first curve, where only Approximation 1 separates them). \
                (b) Layer alignments A_1, A_7, A_10 (Eq. 7) on a class-balanced probe from the training set; vertical markers: the three moments. \
                (c–e) Energy ‖v_i|_l‖² of the top-\(c.eigenpairs) eigenvectors of H_w (ranked by |λ|) in layers 1, 7 and 10 at initialisation, at the middle of the rise of the mean alignment, and at the end. \
                (f) Mean energy per layer of those eigenvectors at the three moments. Datasets: \(usedDatasets.isEmpty ? "none present" : usedDatasets.joined(separator: ", ")).
                """,
            protocolSettings: [
                .init("architecture", "bias-free ReLU FFNN, depth \(c.depth), width \(c.width), He initialisation"),
                .init("training", "full-batch gradient descent, η = \(c.learningRate), \(c.steps) steps, mean cross-entropy"),
                .init("training set D (= sample set of H_w)", "\(c.samplesPerClass) per class, class-balanced (n = \(c.samplesPerClass * 10))"),
                .init("alignment probe", "\(c.probePerClass) per class from D, full centring"),
                .init("measurements", "every \(c.measureEvery) steps"),
                .init("eigenpairs", "top \(c.eigenpairs) by |λ|, Lanczos with \(c.lanczosIterations) iterations, full reorthogonalisation"),
                .init("Fig 5a claim window", "steps 0–\(Self.earlySteps - 1)"),
            ],
            notes: notes, measurements: measurements,
            configurationHashes: hashes)
    }

    static func panels(study: HessianStudyResult, dataset: DatasetName) -> [Panel] {
        let name = dataset.displayName
        let steps = study.updateSteps.map(Double.init)
        let correlation = Panel(
            title: "\(name): update correlation", xAxis: .linear("step t"), yAxis: .linear("correlation"),
            series: [Series(label: "with −H_{w}ΨỸ (Eq. 10)", x: steps, y: study.updateCorrelation, style: .line(0)),
                     Series(label: "with H_{Ỹ}Δθ (Eq. 9)", x: steps, y: study.firstOrderCorrelation, style: .line(1)),
                     Series(label: "η → 0: H_{Ỹ}Ψw vs H_{w}ΨỸ", x: steps, y: study.infinitesimalCorrelation, style: .line(2))],
            legend: .auto)
        let measured = study.measurementSteps.map(Double.init)
        var alignmentSeries = energyLayers.enumerated().map { index, layer in
            Series(label: "A_{\(layer)}", x: measured, y: study.alignments.map { $0.count >= layer ? $0[layer - 1] : .nan }, style: .line(index))
        }
        let top = study.alignments.joined().max() ?? 1
        for moment in study.moments {
            alignmentSeries.append(Series(label: nil, x: [Double(moment.step), Double(moment.step)], y: [0, top], style: .reference))
        }
        let alignment = Panel(title: "\(name): alignment", xAxis: .linear("step t"), yAxis: .linear("A_{l}"), series: alignmentSeries,
                              legend: .bottomRight)
        var panels = [correlation, alignment]
        for moment in study.moments {
            let index = (1...moment.energies.count).map(Double.init)
            panels.append(Panel(
                title: "\(name), \(moment.name) (t = \(moment.step)), top |λ| = \(NumberText.format(abs(moment.eigenvalues.first ?? .nan)))",
                xAxis: .linear("eigenvector rank by |λ|"), yAxis: .linear("energy in layer"),
                series: energyLayers.enumerated().map { offset, layer in
                    Series(label: "layer \(layer)", x: index, y: moment.energies.map { $0.count >= layer ? $0[layer - 1] : .nan },
                           style: .line(offset, marker: .circle))
                }, legend: .auto))
        }
        let layers = (1...study.configuration.depth).map(Double.init)
        panels.append(Panel(
            title: "\(name): mean energy of the top eigenvectors", xAxis: .linear("layer l"), yAxis: .linear("mean energy"),
            series: study.moments.enumerated().map { offset, moment in
                Series(label: "\(moment.name) (t = \(moment.step))", x: layers, y: layers.map { moment.meanEnergy(layer: Int($0)) },
                       style: .line(offset, marker: .circle))
            }, legend: .auto))
        return panels
    }
}
