import Core
import Foundation

/// Appendix D (Generalised Optimal Feature Evolution) measured on a bias-free ReLU FFNN trained by
/// full-batch gradient descent on a class-balanced Fashion-MNIST subset (the setting of Fig. 5):
/// (a) the identities Eq. 20 (loss-Hessian decomposition) and Eq. 21 (GOFE ≡ GD) against central
///     differences of the exact gradient;
/// (b, c) Eq. 22: the measured ΔΨ against −ηH_wΨ wwᵀ/‖w‖² and, with Approximation 1, −ηH_wΨ ỸỸᵀ/‖Ỹ‖²;
/// (d, e) Eq. 24: the change of Ψu (u ⟂ Ỹ, 1) against that of ΨỸ, and uᵀK_lu against ỸᵀK_lỸ;
/// (f, g) Eq. 25: predicted against measured growth of A_l per layer, and the weighted-eigenvalue form.
public struct GOFEFigure: FigureSpec {
    public let id = "gofe"
    public let title = "GOFE (Appendix D): feature-evolution identities and the per-layer growth of alignment"
    public let paperReference = "Appendix D.2 (Eqs. 20–24), D.3 (Eq. 25)"
    public let datasets: [DatasetName] = [.fashionMNIST]

    /// Bootstrap resamples of the rank correlation and the anisotropy ratios.
    static let resamples = 2000

    func configuration(_ profile: Profile, seed: UInt64) -> GOFEStudyConfiguration {
        switch profile {
        case .quick:
            return GOFEStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 10, width: 64, depth: 6, learningRate: 0.01, steps: 20,
                                          orthogonalDirections: 16, hutchinsonProbes: 64, identityDirections: 3, eigenpairs: 20,
                                          lanczosIterations: 60, seed: seed)
        case .full:
            return GOFEStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 50, width: 128, depth: 10, learningRate: 0.01, steps: 40,
                                          orthogonalDirections: 32, hutchinsonProbes: 64, identityDirections: 5, eigenpairs: 50,
                                          lanczosIterations: 150, seed: seed)
        }
    }

    static let claimIds: [ClaimID] = [.gofeEq20LossHessianMaxRelativeError, .gofeEq21EquivalenceMaxRelativeError,
                                      .gofeEq22FeatureUpdateCosineEarly, .gofeEq24FeatureAnisotropyRatio,
                                      .gofeEq24KernelAnisotropyRatio, .gofeEq25GrowthRankCorrelation]

    public func content(in context: FigureContext) throws -> FigureContent {
        let c = configuration(context.profile, seed: context.seed)
        let availability = DatasetLoader.availability(of: .fashionMNIST, dataDirectory: context.dataDirectory)
        var notes = Self.methodNotes
        let protocolSettings: [FigureResult.Setting] = [
            .init("architecture", "bias-free ReLU FFNN, depth \(c.depth), width \(c.width), He initialisation"),
            .init("training", "full-batch gradient descent, η = \(c.learningRate), mean cross-entropy, first \(c.steps) steps"),
            .init("training set D", "Fashion-MNIST, \(c.samplesPerClass) per class (n = \(10 * c.samplesPerClass)), standardised"),
            .init("directions u ⟂ Ỹ, 1", "\(c.orthogonalDirections), Gaussian, Gram–Schmidt"),
            .init("tr(M_l H_w^k)", "Hutchinson, \(c.hutchinsonProbes) Rademacher probes per layer and step"),
            .init("eigenpairs at t = 0", "top \(c.eigenpairs) by |λ|, Lanczos with \(c.lanczosIterations) iterations"),
            .init("Eq. 20 directions", "\(c.identityDirections) Gaussian and Ψw, at t = 0 and t = \(c.steps); central differences, ε = 10^-6"),
            .init("precision", "float64 throughout"),
        ]
        guard availability.isPresent else {
            let reason = SecondOrderSupport.missingReason(.fashionMNIST, availability)
            return FigureContent(figure: PlotFigure(panels: [Panel(title: "no data", xAxis: .linear("step"), yAxis: .linear(""))]),
                                 caption: "Fashion-MNIST is missing.", protocolSettings: protocolSettings, notes: notes,
                                 measurements: Self.claimIds.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }, configurationHashes: [])
        }
        guard let study = try SecondOrderSupport.cached(GOFEStudyResult.self, name: "gofe", hash: c.configurationHash, in: context, compute: {
            let split = try DatasetLoader.load(.fashionMNIST, dataDirectory: context.dataDirectory)
            return try GOFEStudy.run(c, split: split) { context.log("gofe: " + $0) }
        }) else {
            let reason = "the GOFE study (\(c.configurationHash)) is not in the cache (--cached-only trains nothing)"
            return FigureContent(figure: PlotFigure(panels: [Panel(title: "not in the cache", xAxis: .linear("step"), yAxis: .linear(""))]),
                                 caption: "Not in the cache.", protocolSettings: protocolSettings, notes: notes,
                                 measurements: Self.claimIds.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) },
                                 configurationHashes: [c.configurationHash])
        }
        let summary = GOFESummary(study: study, resamples: Self.resamples, seed: context.seed)
        notes.append(contentsOf: summary.notes)
        notes.append("Wall time of the study: \(NumberText.format(study.wallSeconds)) s.")
        return FigureContent(
            figure: PlotFigure(panels: Self.panels(study: study, summary: summary), columns: 3),
            caption: """
                Appendix D on a bias-free depth-\(c.depth), width-\(c.width) ReLU FFNN, full-batch GD (η = \(c.learningRate)) on \(10 * c.samplesPerClass) Fashion-MNIST images. \
                (a) Relative errors of the identities Eq. 20 (∂²ℒ/∂θ² = H_w + Ψ∂²ℒ/∂F²Ψᵀ, per direction) and Eq. 21 (GOFE velocity of Ψw with V = −H_w/‖w‖² = GD's), against central differences of the exact gradient, at t = 0 and t = \(c.steps). \
                (b) Frobenius cosine between the measured ΔΨ = Ψ(t+1) − Ψ(t) (all P × nk entries) and Eq. 22's −ηH_wΨss ᵀ/‖s‖² for s = w_t (GOFE, exact V) and s = Ỹ (Approximation 1). \
                (c) The same per layer, averaged over the steps. \
                (d) Relative change since t = 0 of Ψ(t)Ỹ and of Ψ(t)u for u ⟂ Ỹ, 1 (mean ± s.d. over \(c.orthogonalDirections) u), all parameters (Eq. 24). \
                (e) ỸᵀK_l(t)Ỹ / ỸᵀK_l(0)Ỹ (solid) and the mean of uᵀK_l(t)u / uᵀK_l(0)u (dashed) per layer. \
                (f) Predicted growth 1 − 2ηm₃/m₂ + η²m₄/m₂ − 1 of A_l (Eq. 25, m_k = tr(M_lH_w^k), Hutchinson) and measured A_l(t+1)/A_l(t) − 1, averaged over the steps, per layer; dashed: the growth of the numerator ỸᵀK_lỸ, predicted by Eq. 25's exact first line ‖M_l(I − ηH_w)ΨỸ‖²/‖M_lΨỸ‖² and measured. \
                (g) m₃/m₂ per layer at t = 0: Hutchinson (± s.e.) and the weighted-eigenvalue form Σc_iλ_i³/Σc_iλ_i² from the top \(c.eigenpairs) Lanczos pairs.
                """,
            protocolSettings: protocolSettings, notes: notes, measurements: summary.measurements,
            configurationHashes: [c.configurationHash])
    }

    static let methodNotes = [
        "H_w v is exact (R-operator, float64); Ψᵀv by forward-mode differentiation, Ψu by back-propagation, ∂²ℒ/∂F² = blockdiag((diag p − ppᵀ)/n) in closed form; all tested against finite differences or explicit matrices on tiny networks.",
        "‖ΔΨ_l‖_F is exact: each column of layer l's block of Ψ is an outer product d_l^{(i)}(x) a_{l−1}(x)ᵀ, so ‖ΔΨ_l‖² = Σ_{x,i} ‖d′‖²‖a′‖² + ‖d‖²‖a‖² − 2(d′·d)(a′·a); the inner product with a rank-one prediction bsᵀ is bᵀ(ΔΨ s).",
        "Eq. 21 is checked as the paper states it: GOFE's ∂(Ψw)/∂t = η‖w‖²VΨw − ηΨ∂²ℒ/∂F²ΨᵀΨw with V = −H_w/‖w‖² (A = I), against GD's, η times the central difference of the exact gradient along −Ψw; both Eq. 20 and Eq. 21 are exact, so only rounding and the O(ε²) difference error remain.",
        "A_l is Eq. 7 with full centring, on the training set D itself (the set on which Ψ, w and H_w are taken, as Eq. 25 assumes).",
        "Small sizes (width 64, depth 6, n = 100 in --quick) keep the exact second-order work (≈ 2 H_w products per Hutchinson probe, per layer and step) inside the 2-minute budget on 2 shared cores; the bias-free network makes Theorem A, on which D.2 builds, exact along the trajectory.",
    ]

    static func panels(study: GOFEStudyResult, summary: GOFESummary) -> [Panel] {
        let depth = study.configuration.depth
        let layers = (1...depth).map(Double.init)
        let count = study.configuration.identityDirections + 1
        let floor = 1e-17
        let identity = Panel(
            title: "Eqs. 20, 21: identities", xAxis: .linear("check"), yAxis: .log10("relative error"),
            series: [
                Series(label: "Eq. 20, t = 0", x: (1...count).map(Double.init), y: study.lossHessianErrors.prefix(count).map { max($0, floor) },
                       style: .scatter(.palette(0), marker: .circle)),
                Series(label: "Eq. 20, t = T", x: (1...count).map(Double.init), y: study.lossHessianErrors.suffix(count).map { max($0, floor) },
                       style: .scatter(.palette(1), marker: .square)),
                Series(label: "Eq. 21 (GOFE ≡ GD)", x: [Double(count + 1), Double(count + 2)], y: study.gofeEquivalenceErrors.map { max($0, floor) },
                       style: .scatter(.palette(2), marker: .diamond)),
                Series(label: "tolerance 10^{-6}", x: [1, Double(count + 2)], y: [1e-6, 1e-6], style: .reference),
            ], legend: .auto)
        let steps = study.gofeUpdate.indices.map(Double.init)
        let update = Panel(
            title: "Eq. 22: cos(ΔΨ, −ηH_{w}Ψss^{T}/‖s‖^{2})", xAxis: .linear("step t"), yAxis: .linear("Frobenius cosine"),
            series: [Series(label: "s = w_{t} (GOFE)", x: steps, y: study.gofeUpdate.map(\.cosine), style: .line(0, marker: .circle)),
                     Series(label: "s = Ỹ (Approx. 1)", x: steps, y: study.approximationUpdate.map(\.cosine), style: .line(1, marker: .square))],
            legend: .auto)
        func layerMean(_ rows: [FeatureEvolution.RankOneComparison]) -> [Double] {
            (0..<depth).map { l in rows.reduce(0) { $0 + $1.layerCosines[l] } / Double(max(1, rows.count)) }
        }
        let perLayer = Panel(
            title: "Eq. 22 per layer (mean over steps)", xAxis: .linear("layer l"), yAxis: .linear("Frobenius cosine"),
            series: [Series(label: "s = w_{t}", x: layers, y: layerMean(study.gofeUpdate), style: .line(0, marker: .circle)),
                     Series(label: "s = Ỹ", x: layers, y: layerMean(study.approximationUpdate), style: .line(1, marker: .square))],
            legend: .auto)
        let states = study.targetFeatureNorms.indices.map(Double.init)
        let target = GOFEStudyResult.relativeChange(norms: study.targetFeatureNorms, changes: study.targetFeatureChanges, layer: nil)
        let orthogonal = study.orthogonalFeatureNorms.indices.map {
            GOFEStudyResult.relativeChange(norms: study.orthogonalFeatureNorms[$0], changes: study.orthogonalFeatureChanges[$0], layer: nil)
        }
        let (mean, spread) = Self.meanAndDeviation(orthogonal)
        let anisotropy = Panel(
            title: "Eq. 24: ‖Ψ(t)s − Ψ(0)s‖/‖Ψ(0)s‖", xAxis: .linear("step t"), yAxis: .linear("relative change"),
            series: [Series(label: "s = Ỹ", x: states, y: target, style: .line(0)),
                     Series(label: "s = u (u·Ỹ = u·1 = 0)", x: states, y: mean, style: .line(1), yErrors: spread)],
            legend: .auto)
        var kernelSeries: [Series] = []
        for l in 1...depth {
            kernelSeries.append(Series(label: "layer \(l)", x: states, y: GOFEStudyResult.kernelGrowth(norms: study.targetFeatureNorms, layer: l),
                                       style: .line(l - 1)))
            let u = study.orthogonalFeatureNorms.map { GOFEStudyResult.kernelGrowth(norms: $0, layer: l) }
            kernelSeries.append(Series(label: nil, x: states, y: Self.meanAndDeviation(u).mean,
                                       style: SeriesStyle(color: .palette(l - 1), dash: [4, 3])))
        }
        let kernel = Panel(title: "Eq. 24: ỸᵀK_{l}Ỹ (solid), uᵀK_{l}u (dashed), /t = 0", xAxis: .linear("step t"),
                           yAxis: .linear("kernel growth"), series: kernelSeries, legend: .outsideRight)
        let growth = Panel(
            title: "Eq. 25: growth of A_{l} per step (ρ = \(NumberText.format(summary.rankCorrelation)))", xAxis: .linear("layer l"),
            yAxis: .linear("A_{l}(t+1)/A_{l}(t) − 1"),
            series: [Series(label: "predicted (Eq. 25)", x: layers, y: summary.meanPredicted, style: .line(0, marker: .circle)),
                     Series(label: "measured", x: layers, y: summary.meanMeasured, style: .line(1, marker: .square)),
                     Series(label: "ỸᵀK_{l}Ỹ: Eq. 23 line", x: layers, y: summary.meanEq23, style: SeriesStyle(color: .palette(2), dash: [4, 3], marker: .triangle)),
                     Series(label: "ỸᵀK_{l}Ỹ: measured", x: layers, y: summary.meanProjection, style: SeriesStyle(color: .palette(3), dash: [4, 3], marker: .diamond))],
            legend: .auto)
        let initial = study.moments.first ?? []
        let eigen = Panel(
            title: "D.3: m_{3}/m_{2} at t = 0", xAxis: .linear("layer l"), yAxis: .linear("m_{3}/m_{2}"),
            series: [Series(label: "Hutchinson", x: layers, y: initial.map { $0.m3 / $0.m2 }, style: .line(0, marker: .circle),
                            yErrors: initial.map(\.ratioError)),
                     Series(label: "Σcλ^{3}/Σcλ^{2}, top \(study.initialEigenvalues.count)", x: layers, y: study.initialWeightedRatios,
                            style: .line(1, marker: .square))],
            legend: .auto)
        return [identity, update, perLayer, anisotropy, kernel, growth, eigen]
    }

    /// Pointwise mean and standard deviation over curves of equal length.
    static func meanAndDeviation(_ curves: [[Double]]) -> (mean: [Double], deviation: [Double]) {
        guard let length = curves.first?.count else { return ([], []) }
        let count = Double(curves.count)
        let mean = (0..<length).map { t in curves.reduce(0) { $0 + $1[t] } / count }
        let deviation = (0..<length).map { t in
            count > 1 ? (curves.reduce(0) { $0 + ($1[t] - mean[t]) * ($1[t] - mean[t]) } / (count - 1)).squareRoot() : 0
        }
        return (mean, deviation)
    }
}

/// The claim measurements of ``GOFEFigure`` from a ``GOFEStudyResult``.
struct GOFESummary {
    var measurements: [ClaimMeasurement] = []
    var notes: [String] = []
    var meanPredicted: [Double] = []
    var meanMeasured: [Double] = []
    var meanEq23: [Double] = []
    var meanProjection: [Double] = []
    var rankCorrelation: Double = .nan

    init(study: GOFEStudyResult, resamples: Int, seed: UInt64) {
        let c = study.configuration
        let depth = c.depth
        func list(_ values: [Double]) -> String { values.map { NumberText.format($0) }.joined(separator: ", ") }

        // Eq. 20, Eq. 21.
        let lossError = study.lossHessianErrors.max() ?? .nan
        measurements.append(ClaimMeasurement(
            claimId: .gofeEq20LossHessianMaxRelativeError, value: lossError, uncertainty: .deterministic(lossError),
            detail: "max over \(c.identityDirections) Gaussian directions and Ψw, at t = 0 and t = \(c.steps), of ‖(H_w + Ψ∂²ℒ/∂F²Ψᵀ)v − FD(v)‖/‖FD(v)‖ (FD: central difference of the exact gradient, ε = 10^-6); errors \(list(study.lossHessianErrors))"))
        let gofeError = study.gofeEquivalenceErrors.max() ?? .nan
        measurements.append(ClaimMeasurement(
            claimId: .gofeEq21EquivalenceMaxRelativeError, value: gofeError, uncertainty: .deterministic(gofeError),
            detail: "max at t = 0 and t = \(c.steps) of ‖∂(Ψw)/∂t|_GOFE − ∂(Ψw)/∂t|_GD‖/‖∂(Ψw)/∂t|_GD‖, V = −H_w/‖w‖²; errors \(list(study.gofeEquivalenceErrors))"))

        // Eq. 22.
        let approximation = study.approximationUpdate.map(\.cosine)
        let gofe = study.gofeUpdate.map(\.cosine)
        let meanCosine = approximation.reduce(0, +) / Double(max(1, approximation.count))
        let layerCosines = (0..<depth).map { l in study.approximationUpdate.reduce(0) { $0 + $1.layerCosines[l] } / Double(max(1, study.approximationUpdate.count)) }
        let relativeErrors = study.approximationUpdate.map(\.relativeError)
        measurements.append(ClaimMeasurement(
            claimId: .gofeEq22FeatureUpdateCosineEarly, value: meanCosine, uncertainty: .singleRun,
            detail: "mean over steps 0–\(approximation.count - 1) of the Frobenius cosine between ΔΨ = Ψ(t+1) − Ψ(t) and −ηH_wΨỸỸᵀ/‖Ỹ‖² over all P × nk entries; per step \(list(approximation)); per layer (mean) \(list(layerCosines)); relative error ‖ΔΨ − pred‖/‖ΔΨ‖ per step \(list(relativeErrors)); with s = w_t (GOFE, no Approximation 1) per step \(list(gofe)); corr(w_t, Ỹ) \(list(study.collinearity))"))
        let projected = study.projectedCosine
        notes.append("Eq. 22 projected on Ỹ (Eq. 23, Fig. 5a's quantity): cos(Ψ(t+1)Ỹ − Ψ(t)Ỹ, −ηH_wΨỸ) per step \(list(projected)), mean \(NumberText.format(projected.reduce(0, +) / Double(max(1, projected.count)))).")
        notes.append("Eq. 22: mean cosine over the steps, all parameters: s = Ỹ \(NumberText.format(meanCosine)), s = w_t \(NumberText.format(gofe.reduce(0, +) / Double(max(1, gofe.count)))); per layer (s = Ỹ) \(list(layerCosines)); mean relative error (s = Ỹ) \(NumberText.format(relativeErrors.reduce(0, +) / Double(max(1, relativeErrors.count)))).")

        // Eq. 24 at the end of the window, bootstrap over the directions u.
        let last = study.targetFeatureNorms.count - 1
        let targetChange = GOFEStudyResult.relativeChange(norms: study.targetFeatureNorms, changes: study.targetFeatureChanges, layer: nil)[last]
        let orthogonalChanges = study.orthogonalFeatureNorms.indices.map {
            GOFEStudyResult.relativeChange(norms: study.orthogonalFeatureNorms[$0], changes: study.orthogonalFeatureChanges[$0], layer: nil)[last]
        }
        func meanRatio(_ values: [Double], over denominator: Double) -> Double? {
            values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) / denominator
        }
        let featureRatio = meanRatio(orthogonalChanges, over: targetChange) ?? .nan
        let featureInterval = ClusterBootstrap.percentileInterval(orthogonalChanges.map { [$0] }, resamples: resamples, seed: seed,
                                                                  label: "gofe-feature-anisotropy") { meanRatio($0, over: targetChange) }
        let perLayerFeature = (1...depth).map { l -> Double in
            let y = GOFEStudyResult.relativeChange(norms: study.targetFeatureNorms, changes: study.targetFeatureChanges, layer: l)[last]
            let u = study.orthogonalFeatureNorms.indices.map {
                GOFEStudyResult.relativeChange(norms: study.orthogonalFeatureNorms[$0], changes: study.orthogonalFeatureChanges[$0], layer: l)[last]
            }
            return (meanRatio(u, over: y) ?? .nan)
        }
        measurements.append(ClaimMeasurement(
            claimId: .gofeEq24FeatureAnisotropyRatio, value: featureRatio,
            uncertainty: .bootstrap(.clusterBootstrap, featureInterval, sampleSize: orthogonalChanges.count),
            detail: "after \(c.steps) steps, mean over \(orthogonalChanges.count) random u ⟂ Ỹ, 1 of ‖Ψu − Ψ₀u‖/‖Ψ₀u‖, divided by ‖ΨỸ − Ψ₀Ỹ‖/‖Ψ₀Ỹ‖ = \(NumberText.format(targetChange)); per u \(list(orthogonalChanges)); per layer \(list(perLayerFeature)); interval: bootstrap over the directions u"))
        let targetGrowth = log(GOFEStudyResult.kernelGrowth(norms: study.targetFeatureNorms, layer: nil)[last])
        let orthogonalGrowth = study.orthogonalFeatureNorms.map { log(GOFEStudyResult.kernelGrowth(norms: $0, layer: nil)[last]) }
        let absolute = orthogonalGrowth.map(abs)
        let kernelRatio = meanRatio(absolute, over: abs(targetGrowth)) ?? .nan
        let kernelInterval = ClusterBootstrap.percentileInterval(absolute.map { [$0] }, resamples: resamples, seed: seed,
                                                                 label: "gofe-kernel-anisotropy") { meanRatio($0, over: abs(targetGrowth)) }
        let perLayerKernel = (1...depth).map { l -> String in
            let y = GOFEStudyResult.kernelGrowth(norms: study.targetFeatureNorms, layer: l)[last]
            let u = study.orthogonalFeatureNorms.map { GOFEStudyResult.kernelGrowth(norms: $0, layer: l)[last] }
            return "L\(l): Ỹ \(NumberText.format(y)), u \(NumberText.format(u.reduce(0, +) / Double(max(1, u.count))))"
        }
        measurements.append(ClaimMeasurement(
            claimId: .gofeEq24KernelAnisotropyRatio, value: kernelRatio,
            uncertainty: .bootstrap(.clusterBootstrap, kernelInterval, sampleSize: absolute.count),
            detail: "after \(c.steps) steps, mean over u of |log(uᵀK(T)u/uᵀK(0)u)| divided by |log(ỸᵀK(T)Ỹ/ỸᵀK(0)Ỹ)| = \(NumberText.format(abs(targetGrowth))) (ỸᵀKỸ grew by the factor \(NumberText.format(exp(targetGrowth)))); per u log-growth \(list(orthogonalGrowth)); per layer growth factors \(perLayerKernel.joined(separator: "; ")); interval: bootstrap over u"))
        notes.append("Eq. 24 after \(c.steps) steps: relative change of ΨỸ \(NumberText.format(targetChange)), of Ψu (mean) \(NumberText.format(orthogonalChanges.reduce(0, +) / Double(max(1, orthogonalChanges.count)))), ratio \(NumberText.format(featureRatio)); per layer ratio \(list(perLayerFeature)). Kernel growth factors: \(perLayerKernel.joined(separator: "; ")).")

        // Eq. 25.
        let predicted = study.predictedGrowth, measured = study.measuredGrowth
        let rows = min(predicted.count, measured.count)
        meanPredicted = (0..<depth).map { l in (0..<rows).reduce(0) { $0 + predicted[$1][l] } / Double(max(1, rows)) }
        meanMeasured = (0..<depth).map { l in (0..<rows).reduce(0) { $0 + measured[$1][l] } / Double(max(1, rows)) }
        let rank = RankCorrelation.spearmanOfColumnMeans(predicted: Array(predicted.prefix(rows)), measured: Array(measured.prefix(rows)),
                                                         resamples: resamples, seed: seed)
        rankCorrelation = rank.value
        let perLayer = (0..<depth).map { l -> String in
            let p = (0..<rows).map { predicted[$0][l] }, m = (0..<rows).map { measured[$0][l] }
            let r = VectorStatistics.correlation(p, m)
            let interval = ClusterBootstrap.percentileInterval((0..<rows).map { [$0] }, resamples: resamples, seed: seed, label: "gofe-layer-\(l + 1)") { picked -> Double? in
                let value = VectorStatistics.correlation(picked.map { p[$0] }, picked.map { m[$0] })
                return value.isFinite ? value : nil
            }
            let range = interval.map(NumberText.range) ?? "no interval"
            return "L\(l + 1): corr over steps \(NumberText.format(r)) \(range), predicted \(NumberText.format(meanPredicted[l])), measured \(NumberText.format(meanMeasured[l]))"
        }
        measurements.append(ClaimMeasurement(
            claimId: .gofeEq25GrowthRankCorrelation, value: rank.value,
            uncertainty: .bootstrap(.clusterBootstrap, rank.interval, sampleSize: rows),
            detail: "Spearman ρ across the \(depth) layers between the mean over steps 0–\(rows - 1) of the predicted growth −2ηm₃/m₂ + η²m₄/m₂ (Hutchinson, \(c.hutchinsonProbes) probes) and of the measured A_l(t+1)/A_l(t) − 1; interval: bootstrap over steps. Per layer: \(perLayer.joined(separator: "; "))"))
        let eq23 = study.eq23Growth, projection = study.measuredProjectionGrowth
        let projectionRows = min(eq23.count, projection.count, predicted.count)
        meanEq23 = (0..<depth).map { l in (0..<projectionRows).reduce(0) { $0 + eq23[$1][l] } / Double(max(1, projectionRows)) }
        meanProjection = (0..<depth).map { l in (0..<projectionRows).reduce(0) { $0 + projection[$1][l] } / Double(max(1, projectionRows)) }
        func rho(_ a: [[Double]], _ b: [[Double]]) -> String {
            let r = RankCorrelation.spearmanOfColumnMeans(predicted: Array(a.prefix(projectionRows)), measured: Array(b.prefix(projectionRows)),
                                                          resamples: resamples, seed: seed)
            return NumberText.format(r.value) + (r.interval.map { " " + NumberText.range($0) } ?? "")
        }
        notes.append("Eq. 25, step by step (Spearman across layers of window means, bootstrap over steps): Eq. 25 against the growth of the numerator ỸᵀK_lỸ alone \(rho(predicted, projection)); Eq. 23's exact first line ‖M_l(I − ηH_w)ΨỸ‖²/‖M_lΨỸ‖² − 1 against the numerator's growth \(rho(eq23, projection)) and against A_l's \(rho(eq23, measured)). Window means per layer: Eq. 23 first line \(list(meanEq23)); measured numerator growth \(list(meanProjection)); Eq. 25 \(list(meanPredicted)); measured A_l growth \(list(meanMeasured)).")
        notes.append("Eq. 25 per layer (Pearson over steps with bootstrap interval over steps; window means): \(perLayer.joined(separator: "; ")). Spearman across layers \(NumberText.format(rank.value)).")
        let initial = study.moments.first ?? []
        notes.append("D.3 at t = 0: m₃/m₂ per layer (Hutchinson ± s.e.) " + initial.map { "\(NumberText.format($0.m3 / $0.m2)) ± \(NumberText.format($0.ratioError))" }.joined(separator: ", ")
            + "; weighted-eigenvalue form from the top \(study.initialEigenvalues.count) pairs " + list(study.initialWeightedRatios)
            + "; top |λ| \(NumberText.format(study.initialEigenvalues.map(abs).max() ?? .nan)), so 2η·max|λ| = \(NumberText.format(2 * c.learningRate * (study.initialEigenvalues.map(abs).max() ?? .nan))).")
    }
}
