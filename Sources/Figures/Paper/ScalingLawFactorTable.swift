import Core
import Foundation

/// The factor table of issue "the scaling-law verdict under the protocol the authors ran"
/// (docs/factor-table.md): starting from the quick protocol, one setting at a time is moved to
/// what the authors' code does, and each row gives the slope of log l* on log L with its
/// intervals. Every row uses the same seeds, so rows are paired comparisons. Nothing is trained:
/// the rows are read from finished records (`reproduce factors --cache DIR …`).
public struct ScalingLawFactorTable: Sendable {
    /// One row.
    public struct Row: Sendable {
        /// What the row changes, in words.
        public var factor: String
        /// The protocol's name (`--candidate` / `--protocol`).
        public var protocolName: String
        /// The centring l* is read under.
        public var centring: Centring
        /// Runs found / planned.
        public var runsFound: Int
        public var runsPlanned: Int
        /// The fit (nil with fewer than two depths).
        public var fit: ScalingLawFit?
        /// l* per depth and seed, as text.
        public var peaksText: String
        /// Runs that stopped at the cap above the threshold.
        public var cappedRuns: Int
    }

    /// The rows, in the order of docs/factor-table.md.
    public var rows: [Row]
    /// Factors that have no row because the engine cannot express them, with the reason.
    public var notBuilt: [(factor: String, reason: String)]

    /// Reads every row's runs from the first of `caches` that holds each record.
    /// - Throws: `FileError` when a record exists but is corrupt.
    public init(dataset: DatasetName = .fashionMNIST, caches: [URL], baseSeed: UInt64 = 1) throws {
        let base = ScalingLawProtocol.quick(dataset)
        let factors = ScalingLawProtocol.factorCandidates(dataset)
        func named(_ name: String) -> ScalingLawProtocol? { factors.first { $0.name == name } }
        var entries: [(String, ScalingLawProtocol, Centring?)] = [
            ("none (the quick protocol: Eq. 6 centring, weight decay 5·10⁻⁴, paper learning rates, width 100, epoch-mean stop, balanced probe)", base, nil),
            ("centring per output (C_n ⊗ I_k), same runs", base, .perOutput),
        ]
        let described: [(String, String)] = [
            ("factor-noWeightDecay", "no weight decay"),
            ("factor-authorsLearningRates", "the authors' learning rates (differs at L = 10 only: 0.005 for 0.003)"),
            ("factor-width256", "width 256"),
            ("factor-runningLossStop", "running-average stop, l* at the 0.1 milestone"),
            ("factor-leadingProbe", "probe: first 500 shuffled training and 500 test images (unbalanced)"),
        ]
        for (name, text) in described {
            if let chosen = named(name) { entries.append((text, chosen, nil)) }
        }
        entries.append(("all factors together (--quick --protocol authors; its own centring is per output)", .authorsQuick(dataset), nil))

        rows = try entries.map { factor, chosen, centring in
            let results = try chosen.specs(baseSeed: baseSeed).map { spec -> Result<RunRecord, Error> in
                for directory in caches {
                    if let record = try RunCache(directory: directory).record(for: spec) { return .success(record) }
                }
                return .failure(RunSchedulerError.notInCache(spec.label))
            }
            let curve = ScalingLawCurve(protocolUsed: chosen, baseSeed: baseSeed, results: results)
            let found = curve.plannedRunCount - curve.missingRuns.count
            if let centring {
                let other = curve.alternative(centring: centring)
                return Row(factor: factor, protocolName: chosen.name, centring: centring, runsFound: other?.peaks.count ?? 0,
                           runsPlanned: curve.plannedRunCount, fit: other?.fit, peaksText: other?.peaksText ?? "",
                           cappedRuns: curve.depths.reduce(0) { $0 + $1.cappedRuns })
            }
            return Row(factor: factor, protocolName: chosen.name, centring: chosen.centring, runsFound: found,
                       runsPlanned: curve.plannedRunCount, fit: curve.fit, peaksText: curve.peaksText,
                       cappedRuns: curve.depths.reduce(0) { $0 + $1.cappedRuns })
        }
        notBuilt = [("tied hidden weights (the scripts' `fc` model repeats one nn.Linear)",
                     "the engine has no tied-weight network; the Fig 3 scripts use separate layers (`fcfree`)")]
    }

    /// The table as Markdown, with the intervals as numbers.
    public var markdown: String {
        func interval(_ range: ClosedRange<Double>?) -> String {
            range.map { "[\(NumberText.format($0.lowerBound)), \(NumberText.format($0.upperBound))]" } ?? "—"
        }
        var lines = [
            "| factor changed | protocol | centring | runs | slope | bootstrap 95% CI | OLS 95% CI | R² | capped | l* per depth (seeds) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows {
            let slope = row.fit.map { NumberText.format($0.free.slope) } ?? "—"
            let r2 = row.fit.map { NumberText.format($0.free.rSquared) } ?? "—"
            lines.append("| \(row.factor) | `\(row.protocolName)` | \(row.centring.rawValue) | \(row.runsFound)/\(row.runsPlanned) | \(slope) | "
                + "\(interval(row.fit?.bootstrapInterval)) | \(interval(row.fit?.olsInterval)) | \(r2) | \(row.cappedRuns) | \(row.peaksText) |")
        }
        for missing in notBuilt {
            lines.append("| \(missing.factor) | — | — | — | not built | — | — | — | — | \(missing.reason) |")
        }
        return lines.joined(separator: "\n")
    }
}
