import Core
import Foundation

/// The claims of the Appendix G figures, measured on the Fashion-MNIST runs (docs/appendix-g.md).
enum AppendixGClaims {
    typealias Condition = AppendixGProtocol.Condition

    static func measurements(_ kind: AppendixGFigure.Kind, _ runs: SpectralRuns, seed: UInt64) -> [ClaimMeasurement] {
        let ids: [ClaimID]
        switch kind {
        case .fig19: ids = []
        case .fig20: ids = [.fig20IdentityMaxRelativeError, .fig20StableRankRandomLabelsLead, .fig20CorrelationBestLeadMiddleLayers]
        case .fig21: ids = [.fig21NTKBoundsFisherFraction]
        case .fig22: ids = [.fig22FisherStableRankAccuracySpearman]
        case .fig23: ids = [.fig23FisherCorrelationMean]
        }
        if let reason = runs.noneReason { return ids.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) } }
        return ids.map { measure($0, runs, seed: seed) }
    }

    static func measure(_ id: ClaimID, _ runs: SpectralRuns, seed: UInt64) -> ClaimMeasurement {
        let resamples = AppendixGFigure.resamples
        let partial = runs.partialReason
        let measured = runs.measured
        func perRun(_ condition: Condition, _ value: ([LayerSpectrumStatistics]) -> Double) -> [Double] {
            runs.measured(condition).compactMap { $0.spectra.map { value($0.layers) } }.filter(\.isFinite)
        }
        func describe(_ groups: [[Double]]) -> String {
            zip(Condition.allCases, groups).map { condition, values in
                "\(condition.label): " + values.map(NumberText.format).joined(separator: ", ")
            }.joined(separator: "; ")
        }
        let accuracies = Condition.allCases.map { String(format: "%@ %.1f%%", $0.label, 100 * runs.meanTestAccuracy($0)) }.joined(separator: ", ")
        switch id {
        case .fig20IdentityMaxRelativeError:
            let snapshots = measured.compactMap(\.spectra)
            let worst = snapshots.map(\.maxIdentityRelativeError).max() ?? .nan
            let residual = snapshots.map(\.maxResidual).max() ?? .nan
            let layers = snapshots.reduce(0) { $0 + $1.layers.count }
            var float32 = 0.0
            for run in measured {
                guard let spectra = run.spectra, let final = run.record?.finalAlignment else { continue }
                for (layer, a) in zip(spectra.layers, final.trainProbe) where layer.engineAlignment != 0 {
                    float32 = max(float32, abs(a - layer.engineAlignment) / abs(layer.engineAlignment))
                }
            }
            return ClaimMeasurement(
                claimId: id, value: worst, uncertainty: .deterministic(worst),
                detail: "max over \(snapshots.count) runs × layers (\(layers) layers) of |R_l^{-1/2}·Σ(λ_i/λ_1)⟨u_i,Ŷ⟩² − A_l| / A_l, A_l from the engine (LayerAlignment, Eq. 7, full centring) on the float64 copy of the final network; spectra by \(KernelSpectrum.method) of the \(snapshots.first?.dimension ?? 0) × \(snapshots.first?.dimension ?? 0) matrices, largest eigen-residual max‖Mu − λu‖/λ_1 = \(NumberText.format(residual)); for reference, the float32 A_l of the run record differs from the float64 one by at most \(NumberText.format(float32)) relative",
                partialBecause: partial)
        case .fig20StableRankRandomLabelsLead:
            let groups = Condition.allCases.map { perRun($0) { SpectralComparison.mean($0, \.stableRank) } }
            return lead(id, groups, target: .smallRateRandomLabels, seed: seed, partial: partial, missing: "no random-label run or no clean run has spectra",
                        detail: "mean over layers of R_l (stable rank of CK_lC), random-label runs minus the larger of the two clean conditions' means; per run: " + describe(groups) + "; mean test accuracy " + accuracies)
        case .fig20CorrelationBestLeadMiddleLayers:
            let accuracy = { (c: Condition) in runs.meanTestAccuracy(c).isNaN ? -1 : runs.meanTestAccuracy(c) }
            let best = Condition.allCases.max { accuracy($0) < accuracy($1) } ?? .goodRate
            let middle = SpectralComparison.middleLayers(depth: runs.depth)
            let groups = Condition.allCases.map { perRun($0) { SpectralComparison.mean($0, \.correlation, layers: middle) } }
            return lead(id, groups, target: best, seed: seed, partial: partial, missing: "fewer than two conditions have spectra",
                        detail: "mean over the middle layers l = \(middle.lowerBound)…\(middle.upperBound) of Σ(λ_i/λ_1)⟨u_i,Ŷ⟩², the best-generalising condition (highest mean test accuracy: \(best.label)) minus the largest other condition's mean; per run: " + describe(groups) + "; mean test accuracy " + accuracies)
        case .fig21NTKBoundsFisherFraction:
            let fractions = measured.compactMap { $0.spectra.map { SpectralComparison.ntkBoundFraction($0.layers) } }
            let all = measured.compactMap(\.spectra).flatMap(\.layers)
            let held = all.filter { $0.uncentredStableRank >= $0.fisherStableRank }.count
            let heldCentred = all.filter { $0.stableRank >= $0.fisherStableRank }.count
            guard let result = SpectralComparison.meanWithBootstrap(fractions, resamples: resamples, seed: seed, label: id.rawValue) else {
                return ClaimMeasurement(claimId: id, notRunBecause: "no run has spectra")
            }
            return ClaimMeasurement(
                claimId: id, value: result.value, uncertainty: .bootstrap(.runBootstrap, result.interval, sampleSize: fractions.count),
                detail: "fraction of layers with stable rank of Ψ_lᵀΨ_l ≥ stable rank of the Fisher information Ψ_l S Ψ_lᵀ, mean over runs: it holds in \(held) of \(all.count) (run, layer) pairs; with the centred CK_lC of Fig 20b instead it holds in \(heldCentred) of \(all.count); " +
                    "mean over layers NTK / Fisher: " + Condition.allCases.map { c in
                        "\(c.label) \(NumberText.format(mean(perRun(c) { SpectralComparison.mean($0, \.uncentredStableRank) }))) / \(NumberText.format(mean(perRun(c) { SpectralComparison.mean($0, \.fisherStableRank) })))"
                    }.joined(separator: ", "),
                partialBecause: partial)
        case .fig22FisherStableRankAccuracySpearman:
            let accuracy = measured.map { $0.record?.finalTest.accuracy ?? .nan }
            let rank = measured.map { SpectralComparison.mean($0.spectra?.layers ?? [], \.fisherStableRank) }
            guard let estimate = RankCorrelation.spearmanWithBootstrap(accuracy, rank, resamples: resamples, seed: seed, label: id.rawValue) else {
                return ClaimMeasurement(claimId: id, notRunBecause: "Spearman's ρ is undefined (fewer than two runs, or constant values)")
            }
            let pairs = zip(accuracy, rank).map { String(format: "%.1f%%: ", 100 * $0) + NumberText.format($1) }.joined(separator: ", ")
            return ClaimMeasurement(
                claimId: id, value: estimate.value, uncertainty: .bootstrap(.runBootstrap, estimate.interval, sampleSize: estimate.sampleSize),
                detail: "Spearman's ρ over runs between the final test accuracy and the mean over layers of the Fisher stable rank (test accuracy: mean_l R_l^F): " + pairs,
                partialBecause: partial)
        case .fig23FisherCorrelationMean:
            let values = measured.compactMap { $0.spectra.map { SpectralComparison.mean($0.layers, \.fisherCorrelation) } }
            let ntk = measured.compactMap { $0.spectra.map { SpectralComparison.mean($0.layers, \.correlation) } }
            guard let result = SpectralComparison.meanWithBootstrap(values, resamples: resamples, seed: seed, label: id.rawValue) else {
                return ClaimMeasurement(claimId: id, notRunBecause: "no run has spectra")
            }
            let largest = measured.compactMap(\.spectra).flatMap(\.layers).map(\.fisherCorrelation).max() ?? .nan
            return ClaimMeasurement(
                claimId: id, value: result.value, uncertainty: .bootstrap(.runBootstrap, result.interval, sampleSize: values.count),
                detail: "mean over runs and layers of Σ(λ^F_i/λ^F_1)⟨μ_i,Ŷ⟩² (μ_i eigenvectors of S^{1/2}K_lS^{1/2}); largest single layer \(NumberText.format(largest)); for comparison the NTK correlation term of Fig 20c averages \(NumberText.format(mean(ntk))); per condition: " +
                    Condition.allCases.map { c in "\(c.label) \(NumberText.format(mean(perRun(c) { SpectralComparison.mean($0, \.fisherCorrelation) })))" }.joined(separator: ", "),
                partialBecause: partial)
        default:
            return ClaimMeasurement(claimId: id, notRunBecause: "not an Appendix G claim (an internal error)")
        }
    }

    /// A condition's lead over the others (``SpectralComparison/leadWithBootstrap(_:target:resamples:seed:label:)``) as a measurement.
    private static func lead(_ id: ClaimID, _ groups: [[Double]], target: Condition, seed: UInt64, partial: String?, missing: String,
                             detail: String) -> ClaimMeasurement {
        guard let result = SpectralComparison.leadWithBootstrap(groups, target: target.rawValue, resamples: AppendixGFigure.resamples,
                                                                 seed: seed, label: id.rawValue) else {
            return ClaimMeasurement(claimId: id, notRunBecause: missing)
        }
        return ClaimMeasurement(claimId: id, value: result.value,
                                uncertainty: .bootstrap(.runBootstrap, result.interval, sampleSize: groups.reduce(0) { $0 + $1.count }),
                                detail: detail, partialBecause: partial)
    }

    private static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }
}

/// Captions and notes of the Appendix G figures.
enum AppendixGText {
    static let commonNotes = [
        "FFNN ANALOGUE: the paper trains VGG19 on CIFAR-10; its VGG panels are not run, because this engine has no convolutional networks. The conditions keep the paper's learning rates (0.02, 0.001) and its 20% random labels.",
        "Spectra are exact: each layer's nk × nk kernel K_l = Ψ_lᵀΨ_l is formed in float64 from the engine's tangent factors (TangentKernel), and C K_l C, K_l and S^{1/2} K_l S^{1/2} are decomposed whole by LAPACK dsyevd; no Lanczos or truncation. The residual max‖Mu − λu‖/λ_1 is in the identity claim's detail.",
        "The empirical Fisher Ψ_l S Ψ_lᵀ (P_l × P_l, S = block-diag(diag p − ppᵀ)) is never formed: its non-zero spectrum is that of the dual S^{1/2} K_l S^{1/2} (tested against the explicit P × P matrix on a tiny network). No centring, as in the paper.",
        "Ŷ = CY/‖CY‖ with C = I − 11ᵀ/(nk) (Eq. 6) and the labels the network is trained on (20% corrupted in the random-label condition), on the training probe; with this normalisation A_l = R_l^{-1/2}·Σ(λ_i/λ_1)⟨u_i,Ŷ⟩² holds exactly (docs/appendix-g.md).",
        "Fig 21's solid line is the stable rank of the uncentred Ψ_lᵀΨ_l (the caption's NTK; the rank inequality concerns it); the claim's detail also counts the layers where the centred R_l of Fig 20b bounds the Fisher stable rank.",
        "Lines are means over the seeds of a condition, error bars one standard deviation; Fig 19 shows the first seed.",
    ]

    static func runNotes(_ runs: SpectralRuns) -> [String] {
        runs.runs.map { run in
            guard let record = run.record else { return "\(run.spec.label): \(run.outcome.missingReason ?? "not run")" }
            let spectra = record.spectra.map { s in
                "mean R_l \(NumberText.format(SpectralComparison.mean(s.layers, \.stableRank))), mean correlation \(NumberText.format(SpectralComparison.mean(s.layers, \.correlation))), mean Fisher R_l \(NumberText.format(SpectralComparison.mean(s.layers, \.fisherStableRank))), identity error \(NumberText.format(s.maxIdentityRelativeError))"
            } ?? "no spectra (diverged?)"
            return String(format: "%@: train acc. %.1f%%, test acc. %.1f%%, train loss %.3f; ", run.spec.label, 100 * record.finalTrain.accuracy,
                          100 * record.finalTest.accuracy, record.finalTrain.loss) + spectra
        }
    }

    static func caption(_ kind: AppendixGFigure.Kind, profile: Profile) -> String {
        let setting = "FFNN ANALOGUE on Fashion-MNIST (and CIFAR-10 when present) of the paper's VGG19 on CIFAR-10, three conditions: lr 0.02 (blue), lr 0.001 (orange), lr 0.001 with 20% random labels (green); \(AppendixGProtocol.profileText(profile))."
        switch kind {
        case .fig19:
            return "Paper Fig 19: the top 200 normalised eigenvalues of CΨ_lᵀΨ_lC for each layer l, (a) with 20% random labels, (b) without. Here: λ_i/λ_1 of C K_l C on the training probe (first seed), one curve per layer (colour). \(setting)"
        case .fig20:
            return "Paper Fig 20: (a) CKA A_l, (b) stable rank R_l = Σλ_i²/λ_1² of CK_lC, (c) correlation Σ(λ_i/λ_1)⟨u_i,Ỹ⟩² after training, against l; A_l = R_l^{-1/2}·(c). \(setting)"
        case .fig21:
            return "Paper Fig 21: stable rank of the NTK Ψ_lᵀΨ_l (solid) and of the empirical Fisher information Ψ_l(∂²L/∂F²)Ψ_lᵀ (dashed) per layer, for the conditions of Fig 20. \(setting)"
        case .fig22:
            return "Paper Fig 22: ranks of the Fisher information; higher test accuracy goes with smaller stable rank. (a) Fisher stable rank per layer; (b) its mean over layers against the final test accuracy, one point per run. \(setting)"
        case .fig23:
            return "Paper Fig 23: correlation of the Fisher information Σ(λ^F_i/λ^F_1)⟨μ_i,Ỹ⟩², μ_i the left singular vectors of √I_l = S^{1/2}Ψ_lᵀ. (a) per layer; (b) mean over layers against the final test accuracy, one point per run. \(setting)"
        }
    }
}
