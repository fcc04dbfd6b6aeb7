import Core
import Foundation

/// The runs of the Appendix G figures on one dataset, with their spectra, grouped by condition.
struct SpectralRuns {
    struct Run {
        var condition: AppendixGProtocol.Condition
        var spec: RunSpec
        var outcome: RunOutcome
        var record: RunRecord? { outcome.record }
        var spectra: SpectraSnapshot? { record?.spectra }
    }

    var dataset: DatasetName
    var runs: [Run]

    /// Trains (or reads) every run of `dataset` (``AppendixGProtocol/specs(dataset:profile:baseSeed:)``).
    static func load(_ dataset: DatasetName, figure: String, in context: FigureContext) throws -> SpectralRuns {
        let planned = AppendixGProtocol.specs(dataset: dataset, profile: context.profile, baseSeed: context.seed)
        let outcomes = try HierarchyRuns.execute(planned.map(\.spec), figure: figure, in: context)
        return SpectralRuns(dataset: dataset, runs: zip(planned, outcomes).map { Run(condition: $0.condition, spec: $0.spec, outcome: $1) })
    }

    /// The runs of `condition` that have spectra.
    func measured(_ condition: AppendixGProtocol.Condition) -> [Run] {
        runs.filter { $0.condition == condition && $0.spectra != nil }
    }

    /// Every run with spectra.
    var measured: [Run] { runs.filter { $0.spectra != nil } }

    /// Why runs are missing, or nil when all have spectra.
    var partialReason: String? {
        let missing = runs.filter { $0.spectra == nil }
        guard !missing.isEmpty else { return nil }
        return "partial result: \(missing.count) of \(runs.count) runs without spectra (" +
            missing.map { "\($0.spec.label): \($0.outcome.missingReason ?? "no spectra recorded (diverged?)")" }.joined(separator: "; ") + ")"
    }

    /// The reason no claim can be measured, when no run has spectra.
    var noneReason: String? {
        measured.isEmpty ? (runs.first?.outcome.missingReason ?? "no run") : nil
    }

    /// Mean final test accuracy of `condition`'s runs (nan when none finished).
    func meanTestAccuracy(_ condition: AppendixGProtocol.Condition) -> Double {
        let values = runs.filter { $0.condition == condition }.compactMap { $0.record?.finalTest.accuracy }
        return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    var depth: Int { runs.first?.spec.architecture.depth ?? 0 }
}

/// Paper Appendix G (Figs 19–23): the layerwise CKA decomposed into the inverse square root of a
/// stable rank and a correlation term, and the stable rank and correlation of the empirical Fisher
/// information, for models trained to different test accuracies. FFNN analogue on Fashion-MNIST (and
/// CIFAR-10 when present) of the paper's VGG19 on CIFAR-10; the five figures share their runs.
public struct AppendixGFigure: FigureSpec {
    /// Which of the five figures.
    public enum Kind: String, CaseIterable, Sendable {
        case fig19, fig20, fig21, fig22, fig23
    }

    public let kind: Kind
    public var id: String { kind.rawValue }
    public let datasets: [DatasetName] = [.fashionMNIST]

    public var title: String {
        switch kind {
        case .fig19: return "FFNN analogue of Fig 19: top 200 normalised eigenvalues of CΨ_lᵀΨ_lC per layer, with and without random labels"
        case .fig20: return "FFNN analogue of Fig 20: CKA A_l, stable rank R_l and correlation term after training"
        case .fig21: return "FFNN analogue of Fig 21: stable rank of the NTK Ψ_lᵀΨ_l and of the Fisher information per layer"
        case .fig22: return "FFNN analogue of Fig 22: stable rank of the Fisher information against test accuracy"
        case .fig23: return "FFNN analogue of Fig 23: correlation of the Fisher information against test accuracy"
        }
    }

    public var paperReference: String {
        switch kind {
        case .fig19: return "Figure 19, Appendix G.1"
        case .fig20: return "Figure 20, Appendix G.1"
        case .fig21: return "Figure 21, Appendix G.4"
        case .fig22: return "Figure 22, Appendix G.4"
        case .fig23: return "Figure 23, Appendix G.5"
        }
    }

    /// The title drawn above the panels (shorter than ``title``).
    var plotTitle: String {
        switch kind {
        case .fig19: return "Fig 19, FFNN analogue: top eigenvalues of CK_{l}C"
        case .fig20: return "Fig 20, FFNN analogue: CKA, stable rank and correlation term"
        case .fig21: return "Fig 21, FFNN analogue: stable rank of NTK and Fisher"
        case .fig22: return "Fig 22, FFNN analogue: Fisher stable rank and test accuracy"
        case .fig23: return "Fig 23, FFNN analogue: Fisher correlation and test accuracy"
        }
    }

    /// Bootstrap resamples of every interval.
    static let resamples = 2000

    public func content(in context: FigureContext) throws -> FigureContent {
        let fashion = try SpectralRuns.load(.fashionMNIST, figure: id, in: context)
        var rows = [fashion]
        var notes = AppendixGText.commonNotes
        let cifar = DatasetLocator.availability(of: .cifar10, dataDirectory: context.dataDirectory)
        if cifar.isPresent {
            rows.append(try SpectralRuns.load(.cifar10, figure: id, in: context))
        } else {
            notes.append("CIFAR-10 FFNN panels not run: CIFAR-10 is \(cifar.description)")
        }
        notes += rows.flatMap(AppendixGText.runNotes)
        let panels = rows.flatMap { AppendixGPanels.panels(kind, $0) }
        let columns = panels.count / max(1, rows.count)
        return FigureContent(
            figure: PlotFigure(panels: panels, columns: max(1, columns), panelSize: (300, 230), title: plotTitle, panelLetters: true),
            caption: AppendixGText.caption(kind, profile: context.profile),
            protocolSettings: AppendixGProtocol.settings(context.profile, seed: context.seed),
            notes: notes,
            measurements: AppendixGClaims.measurements(kind, fashion, seed: context.seed),
            configurationHashes: rows.flatMap { $0.runs.compactMap { $0.record?.configurationHash } })
    }

    /// The five figures in paper order.
    public static let all = Kind.allCases.map { AppendixGFigure(kind: $0) }
}

/// The panels of the Appendix G figures.
enum AppendixGPanels {
    typealias Condition = AppendixGProtocol.Condition

    static func panels(_ kind: AppendixGFigure.Kind, _ runs: SpectralRuns) -> [Panel] {
        let name = runs.dataset.displayName
        switch kind {
        case .fig19:
            return [Condition.smallRateRandomLabels, .goodRate].map { condition in
                eigenvalues(runs, condition, title: "\(name): \(condition.label)" + accuracyText(runs, condition))
            }
        case .fig20:
            return [
                profile(runs, title: "\(name): (a) CKA A_l", axis: .linear("A_{l}"), value: \.spectralAlignment),
                profile(runs, title: "\(name): (b) stable rank R_l of CK_lC", axis: .log10("R_{l}"), value: \.stableRank),
                profile(runs, title: "\(name): (c) Σ(λ_i/λ_1)⟨u_i,Ỹ⟩²", axis: .linear("correlation"), value: \.correlation),
            ]
        case .fig21:
            return [profile(runs, title: "\(name): NTK Ψ_lᵀΨ_l (solid), Fisher (dashed)", axis: .log10("stable rank"),
                            value: \.uncentredStableRank, dashed: \.fisherStableRank)]
        case .fig22:
            return [
                profile(runs, title: "\(name): (a) stable rank of the Fisher information", axis: .log10("R_{l}^{F}"), value: \.fisherStableRank),
                scatter(runs, title: "\(name): (b) mean over layers against test accuracy", axis: .log10("mean_{l} R_{l}^{F}"), value: \.fisherStableRank),
            ]
        case .fig23:
            return [
                profile(runs, title: "\(name): (a) Fisher correlation Σ(λ^F_i/λ^F_1)⟨μ_i,Ỹ⟩²", axis: .linear("Fisher correlation"), value: \.fisherCorrelation),
                scatter(runs, title: "\(name): (b) mean over layers against test accuracy", axis: .linear("mean_{l} Fisher correlation"), value: \.fisherCorrelation),
            ]
        }
    }

    static func accuracyText(_ runs: SpectralRuns, _ condition: Condition) -> String {
        let accuracy = runs.meanTestAccuracy(condition)
        return accuracy.isFinite ? String(format: " (test acc. %.1f%%)", 100 * accuracy) : " (not run)"
    }

    /// λ_i/λ_1 of C K_l C against i (log axis) for the first seed of `condition`, one curve per layer.
    static func eigenvalues(_ runs: SpectralRuns, _ condition: Condition, title: String) -> Panel {
        let bar = HierarchyPanels.layerColorBar(depth: max(runs.depth, 1))
        let xAxis = Axis.linear("i")
        let yAxis = Axis.log10("λ_{i} / λ_{1}")
        guard let spectra = runs.measured(condition).first?.spectra else {
            return Panel(title: title, xAxis: xAxis, yAxis: yAxis, colorBar: bar)
        }
        let series = spectra.layers.map { layer in
            Series(x: layer.normalisedEigenvalues.indices.map { Double($0 + 1) }, y: layer.normalisedEigenvalues,
                   style: SeriesStyle(color: bar.color(for: Double(layer.layer)), lineWidth: 1.2))
        }
        return Panel(title: title, xAxis: xAxis, yAxis: yAxis, series: series, legend: .none, colorBar: bar)
    }

    /// `value` against l, mean ± s.d. over each condition's seeds; with `dashed`, a second quantity dashed.
    static func profile(_ runs: SpectralRuns, title: String, axis: Axis, value: KeyPath<LayerSpectrumStatistics, Double>,
                        dashed: KeyPath<LayerSpectrumStatistics, Double>? = nil) -> Panel {
        let depth = max(runs.depth, 1)
        var series: [Series] = []
        for condition in Condition.allCases {
            let measured = runs.measured(condition).compactMap(\.spectra)
            guard !measured.isEmpty else { continue }
            let layers = (1...depth).map(Double.init)
            for (path, isDashed) in [(value, false)] + (dashed.map { [($0, true)] } ?? []) {
                let columns = (0..<depth).map { l in measured.compactMap { l < $0.layers.count ? $0.layers[l][keyPath: path] : nil } }
                let means = columns.map { $0.isEmpty ? Double.nan : $0.reduce(0, +) / Double($0.count) }
                let deviations = zip(columns, means).map { column, mean in
                    column.count < 2 ? 0 : (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(column.count - 1)).squareRoot()
                }
                var style = SeriesStyle.line(condition.colorIndex, marker: isDashed ? .square : .circle)
                if isDashed { style.dash = [4, 3] }
                series.append(Series(label: isDashed ? nil : condition.label + accuracyText(runs, condition), x: layers, y: means,
                                     style: style, yErrors: deviations))
            }
        }
        return Panel(title: title, xAxis: .linear("layer l", range: 0.5...(Double(depth) + 0.5)), yAxis: axis, series: series, legend: .auto)
    }

    /// One point per run: mean over layers of `value` against the final test accuracy.
    static func scatter(_ runs: SpectralRuns, title: String, axis: Axis, value: KeyPath<LayerSpectrumStatistics, Double>) -> Panel {
        let series = Condition.allCases.compactMap { condition -> Series? in
            let measured = runs.measured(condition)
            guard !measured.isEmpty else { return nil }
            return Series(label: condition.label, x: measured.map { 100 * ($0.record?.finalTest.accuracy ?? .nan) },
                          y: measured.map { SpectralComparison.mean($0.spectra?.layers ?? [], { $0[keyPath: value] }) },
                          style: .scatter(.palette(condition.colorIndex)))
        }
        return Panel(title: title, xAxis: .linear("test accuracy (%)"), yAxis: axis, series: series, legend: .auto)
    }
}
