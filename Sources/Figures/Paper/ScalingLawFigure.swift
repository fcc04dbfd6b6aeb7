import Core
import Foundation

/// Fig 3 (Section 3.4, Corollary 1): the layer l* of largest alignment A_l after training,
/// against depth L, for FFNNs of depth 10–100 trained with the paper's per-depth settings
/// (Tables 1–3), with the fitted line log l* = slope · log L + intercept and the line of
/// slope 3/5 of the Equilibrium Hypothesis.
public struct Fig3Figure: FigureSpec {
    public let id = "fig3"
    public let title = "Layer of peak alignment against depth: l* ∝ L^{3/5}"
    public let paperReference = "Figure 3, Section 3.4 (Corollary 1); Tables 1–3, Appendix E"
    public let datasets: [DatasetName] = [.fashionMNIST, .mnist, .cifar10]

    /// The datasets drawn under a profile: quick trains Fashion-MNIST only (CI-sized);
    /// full trains all three, each when its files are present.
    func datasets(for profile: Profile, family: ScalingLawProtocol.Family = .paper) -> [DatasetName] {
        profile == .quick || family != .paper ? [.fashionMNIST] : [.fashionMNIST, .mnist, .cifar10]
    }

    /// The protocol for one dataset under the profile; `candidate` (`--candidate`) replaces the
    /// quick protocol by a named calibration candidate (docs/calibration.md) and is ignored under `--full`.
    /// `seedsPerDepth` (`--seeds`) replaces the protocol's number of seeds per depth; `depths`
    /// (`--depths`) its depths, each taken with its row of the paper's table.
    static func protocolFor(_ dataset: DatasetName, profile: Profile, seedsPerDepth: Int? = nil, depths: [Int]? = nil,
                            family: ScalingLawProtocol.Family = .paper, candidate: String? = nil) throws -> ScalingLawProtocol {
        var chosen: ScalingLawProtocol
        switch profile {
        case .full:
            chosen = .standard(dataset, profile: .full, family: family)
        case .quick:
            if family != .paper {
                chosen = .standard(dataset, profile: .quick, family: family)
            } else if let name = candidate, !name.isEmpty {
                guard let candidate = ScalingLawProtocol.calibrationCandidates(dataset).first(where: { $0.name == name }) else {
                    throw ScalingLawError.unknownCandidate(name, known: ScalingLawProtocol.calibrationCandidates(dataset).map(\.name))
                }
                chosen = candidate
            } else {
                chosen = .quick(dataset)
            }
        }
        if let seedsPerDepth, seedsPerDepth != chosen.seedsPerDepth {
            chosen = chosen.varied(name: chosen.name + ", \(seedsPerDepth) seed(s) per depth", seedsPerDepth: seedsPerDepth)
        }
        if let depths {
            chosen = try chosen.restricted(toDepths: depths)
        }
        return chosen
    }

    /// The same for a figure context's overrides.
    static func protocolFor(_ dataset: DatasetName, in context: FigureContext) throws -> ScalingLawProtocol {
        try protocolFor(dataset, profile: context.profile, seedsPerDepth: context.seedsPerDepth, depths: context.depths,
                        family: context.protocolFamily, candidate: context.calibrationCandidate)
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        var measurements: [ClaimMeasurement] = []
        var panels: [Panel] = []
        var notes: [String] = []
        var settings: [FigureResult.Setting] = []
        var hashes: [String] = []
        var slopeSentences: [String] = []
        var centringUsed = Centring.full
        let family = context.protocolFamily
        for dataset in datasets(for: context.profile, family: family) {
            let protocolUsed = try Self.protocolFor(dataset, in: context)
            centringUsed = protocolUsed.centring
            let availability = DatasetLocator.availability(of: dataset, dataDirectory: context.dataDirectory)
            // Under --cached-only finished records are drawn even where the dataset is absent.
            let cachedWithoutData: ScalingLawCurve? = availability.isPresent || !context.cachedOnly ? nil
                : try ScalingLawCurve.measure(protocolUsed, in: context)
            guard availability.isPresent || !(cachedWithoutData?.depths.isEmpty ?? true) else {
                let reason = "\(dataset.displayName) is not on this machine (\(availability)); pass --data-dir with its files to run this panel"
                panels.append(Panel(title: "\(dataset.displayName) — no data", xAxis: .log10("depth L"), yAxis: .log10("layer l")))
                measurements += ScalingLawClaims.claimIds(dataset, profile: context.profile, family: family)
                    .map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }
                notes.append(reason + ".")
                continue
            }
            context.log("fig3: \(dataset.displayName), protocol '\(protocolUsed.name)', \(protocolUsed.depths.count * max(1, protocolUsed.seedsPerDepth)) runs"
                + (context.cachedOnly ? " (--cached-only: finished records only)" : ""))
            let curve = try cachedWithoutData ?? ScalingLawCurve.measure(protocolUsed, in: context)  // an interruption is rethrown: the same command resumes
            hashes += curve.hashes
            if let error = curve.firstError {
                notes.append("\(dataset.displayName): some runs failed: \(error).")
            }
            if let partial = curve.completenessSentence {
                notes.append("\(dataset.displayName): \(partial).")
            }
            let runsShown = curve.missingRuns.isEmpty ? "" : ", \(curve.plannedRunCount - curve.missingRuns.count)/\(curve.plannedRunCount) runs"
            panels.append(curve.panel(title: "\(dataset.displayName) (\(protocolUsed.name) protocol\(runsShown))"))
            settings += protocolUsed.settingRows.map { .init("\(dataset.displayName): \($0.name)", $0.value) }
            settings += DepthTableRows.rows(curve).map { .init("\(dataset.displayName) Table \(PaperDepthTables.tableNumber(for: dataset) ?? 0): \($0.name)", $0.value) }
            measurements += ScalingLawClaims.measurements(curve, dataset: dataset, profile: context.profile, family: family)
            if let fit = curve.fit {
                slopeSentences.append("\(dataset.displayName): slope \(fit.summary)")
            }
            let collapsed = curve.collapsedRunCount
            notes.append("\(dataset.displayName): l* per depth and seed (training probe): \(curve.peaksText). "
                + "Runs that hit the epoch cap above the loss threshold: \(curve.depths.reduce(0) { $0 + $1.cappedRuns }); diverged (left out): \(curve.divergedRunCount)"
                + (collapsed > 0 ? "; at the cap with train accuracy below twice chance (collapsed, left out): \(collapsed)" : "") + ". "
                + "Training wall time \(NumberText.format(curve.trainingSeconds / 60)) min (summed over runs).")
            if let perOutput = curve.perOutputCentringSentence {
                notes.append("\(dataset.displayName): \(perOutput).")
            }
            if let testFit = curve.testProbeFit {
                notes.append("\(dataset.displayName): on the test probe instead of the training probe the slope is \(testFit.summary).")
            }
        }
        let figure = PlotFigure(panels: panels, columns: min(3, max(1, panels.count)), panelSize: (width: 330, height: 280))
        notes += ScalingLawClaims.commonNotes(profile: context.profile, centring: centringUsed, family: family)
        return FigureContent(
            figure: figure,
            caption: """
                Layer alignment after training for FFNNs of depth L = 10, 20, …, 100 (x, log scale) at every layer l (y, log scale). \
                Each column shows A_l / max_l A_l (mean over seeds; brighter = closer to the maximum), crosses mark l* = argmax_l A_l for each seed, \
                red dots the geometric mean of l* over seeds. Solid: least-squares line of log l* on log L over all (depth, seed) points; \
                dashed: slope 3/5 (Corollary 1) with its least-squares intercept C. \
                The panel's 95% CI is the one the verdict uses: the hull of the cluster bootstrap and the depth-means t-interval (docs/verdicts.md). \
                \(slopeSentences.joined(separator: ". ")). \
                The paper's slope is 3/5 = 0.6; the infinite-width theory's own slope over L ∈ [10, 100] is 0.81 (figure 'theory', claim theory.equilibrium.slope.depths10to100). \
                Whether the slope reproduces 3/5 is the verdict of the fig3 claims below; docs/calibration.md compares the quick protocol with the paper's and measures the quick slope's seed spread.
                """,
            protocolSettings: settings,
            notes: notes,
            measurements: measurements,
            configurationHashes: hashes,
            protocolFamily: family == .paper ? nil : family.rawValue)
    }
}

/// Why the scaling-law figures cannot run.
public enum ScalingLawError: Error, CustomStringConvertible, Equatable {
    /// The candidate named by `--candidate` is not defined.
    case unknownCandidate(String, known: [String])
    /// `--depths` named a depth the paper's table for the dataset does not have.
    case unknownDepths([Int], dataset: DatasetName, known: [Int])

    public var description: String {
        switch self {
        case let .unknownCandidate(name, known):
            return "--candidate \(name) names no calibration candidate; use one of \(known.joined(separator: ", ")), or leave the flag out for the quick protocol."
        case let .unknownDepths(depths, dataset, known):
            return "--depths \(depths.map(String.init).joined(separator: ",")): the paper's table for \(dataset.displayName) has depths "
                + known.map(String.init).joined(separator: ", ") + "; choose among them."
        }
    }
}

/// The per-depth rows of Tables 1–3: width, learning rate, epochs run, test accuracy, beside the paper's.
enum DepthTableRows {
    static func rows(_ curve: ScalingLawCurve) -> [FigureResult.Setting] {
        curve.depths.map { depth in
            let setting = depth.setting
            let epochs = depth.records.map { "\($0.epochCount)" }.joined(separator: "/")
            let accuracies = depth.records.map(\.finalTest.accuracy)
            let meanAccuracy = accuracies.reduce(0, +) / Double(max(1, accuracies.count))
            let paperEpochs = setting.paperEpochs.map(String.init) ?? "not given"
            let paperAccuracy = setting.paperTestAccuracy.map { NumberText.format($0 * 100) + "%" } ?? "not given"
            let lr = setting.learningRate * curve.protocolUsed.learningRateScale
            return .init("L = \(setting.depth)",
                         "width \(setting.width), lr \(NumberText.format(lr)), epochs run \(epochs) (paper \(paperEpochs)), "
                            + "test accuracy \(NumberText.format(meanAccuracy * 100))% (paper \(paperAccuracy)), "
                            + "final train loss \(depth.records.map { NumberText.format($0.epochs.last?.trainLoss ?? .nan) }.joined(separator: "/"))")
        }
    }
}
