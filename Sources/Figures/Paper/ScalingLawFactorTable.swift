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
        /// Runs left out of the fit: diverged, or collapsed at chance (``ScalingLawCurve/DepthResult/collapsedRuns``).
        public var leftOutRuns: Int = 0
        /// l* over the epochs before each run's l* snapshot (nil when not asked for).
        public var stability: Stability?
    }

    /// How stable l* is over the last `window` epochs before each run's l* snapshot, from
    /// replays of the runs (``RunSpec/replay(of:endEpoch:window:)``), and the slopes of the two
    /// robust peak locations of ``PeakStability``.
    public struct Stability: Sendable {
        /// Epochs per replay window.
        public var window: Int
        /// Replays found / runs of the row.
        public var replaysFound: Int
        public var replaysPlanned: Int
        /// Per run: (depth, seed, statistics over the window).
        public var runs: [(depth: Int, seed: UInt64, stability: PeakStability)]
        /// The fit of log(arg-max of the window's mean profile) on log L (cluster bootstrap).
        public var meanProfileFit: ScalingLawFit?
        /// The OLS fit of log(centroid of the window's mean profile) on log L.
        public var centroidFit: LinearFit?

        /// max − min of the per-epoch l* over the window, per depth: "10: 0, 2, 0; 20: …".
        public var spreadText: String {
            Dictionary(grouping: runs, by: \.depth).sorted { $0.key < $1.key }.map { depth, runs in
                "\(depth): " + runs.map { "\($0.stability.spread.lowerBound)–\($0.stability.spread.upperBound)" }.joined(separator: ", ")
            }.joined(separator: "; ")
        }

        /// The median of max − min over the runs.
        public var medianSpreadWidth: Double? {
            let widths = runs.map { Double($0.stability.spread.upperBound - $0.stability.spread.lowerBound) }.sorted()
            guard !widths.isEmpty else { return nil }
            return widths.count % 2 == 1 ? widths[widths.count / 2] : (widths[widths.count / 2 - 1] + widths[widths.count / 2]) / 2
        }

        init(window: Int, planned: Int, runs: [(depth: Int, seed: UInt64, stability: PeakStability)], baseSeed: UInt64) {
            self.window = window
            self.replaysPlanned = planned
            self.replaysFound = runs.count
            self.runs = runs
            meanProfileFit = try? ScalingLawFit(points: runs.map { PeakPoint(depth: $0.depth, seed: $0.seed, peakLayer: $0.stability.meanProfilePeak) },
                                                bootstrapSeed: baseSeed)
            centroidFit = try? LinearFit(x: runs.map { log(Double($0.depth)) }, y: runs.map { log($0.stability.centroid) })
        }
    }

    /// The rows, in the order of docs/factor-table.md.
    public var rows: [Row]

    /// Reads every row's runs from the first of `caches` that holds each record. With a
    /// `stabilityWindow`, each row also gets ``Stability`` from the replays of its runs; replays
    /// not in the caches are trained by `trainReplays` when given (they go to its cache), else left out.
    /// - Throws: `FileError` when a record exists but is corrupt.
    public init(dataset: DatasetName = .fashionMNIST, caches: [URL], baseSeed: UInt64 = 1, stabilityWindow: Int? = nil,
                trainReplays: (([RunSpec]) -> [Result<RunRecord, Error>])? = nil) throws {
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
            ("factor-tiedHiddenWeights", "tied hidden weights (layers 2…L−1 share one matrix, as the scripts' `fc` model; not in the Fig 3 script, so not in the last row)"),
        ]
        for (name, text) in described {
            if let chosen = named(name) { entries.append((text, chosen, nil)) }
        }
        entries.append(("all factors together (--quick --protocol authors; its own centring is per output)", .authorsQuick(dataset), nil))

        func cached(_ spec: RunSpec) throws -> RunRecord? {
            for directory in caches {
                if let record = try RunCache(directory: directory).record(for: spec) { return record }
            }
            return nil
        }
        rows = try entries.map { factor, chosen, centring in
            let results = try chosen.specs(baseSeed: baseSeed).map { spec -> Result<RunRecord, Error> in
                try cached(spec).map { .success($0) } ?? .failure(RunSchedulerError.notInCache(spec.label))
            }
            let curve = ScalingLawCurve(protocolUsed: chosen, baseSeed: baseSeed, results: results)
            let found = curve.plannedRunCount - curve.missingRuns.count
            var row: Row
            if let centring {
                let other = curve.alternative(centring: centring)
                row = Row(factor: factor, protocolName: chosen.name, centring: centring, runsFound: other?.peaks.count ?? 0,
                          runsPlanned: curve.plannedRunCount, fit: other?.fit, peaksText: other?.peaksText ?? "",
                          cappedRuns: curve.depths.reduce(0) { $0 + $1.cappedRuns })
            } else {
                row = Row(factor: factor, protocolName: chosen.name, centring: chosen.centring, runsFound: found,
                          runsPlanned: curve.plannedRunCount, fit: curve.fit, peaksText: curve.peaksText,
                          cappedRuns: curve.depths.reduce(0) { $0 + $1.cappedRuns })
            }
            row.leftOutRuns = curve.divergedRunCount + curve.collapsedRunCount
            if let window = stabilityWindow {
                let records = curve.depths.flatMap(\.records)
                let replays = records.compactMap { record in chosen.peakEpoch(of: record).flatMap { RunSpec.replay(of: record, endEpoch: $0, window: window) } }
                if let trainReplays {
                    let missing = try replays.filter { try cached($0) == nil }
                    if !missing.isEmpty { _ = trainReplays(missing) }
                }
                var runs: [(depth: Int, seed: UInt64, stability: PeakStability)] = []
                for spec in replays {
                    guard let replay = try cached(spec) else { continue }
                    let own = spec.alignment.centring
                    let profiles = replay.alignments.compactMap { $0.trainProbe(centring: row.centring, own: own) }
                    if let stability = PeakStability(profiles: profiles) {
                        runs.append((spec.architecture.depth, spec.seed, stability))
                    }
                }
                row.stability = Stability(window: window, planned: records.count, runs: runs, baseSeed: baseSeed)
            }
            return row
        }
    }

    /// The table as Markdown, with the intervals as numbers.
    public var markdown: String {
        var lines = [
            "| factor changed | protocol | centring | runs | slope | bootstrap 95% CI | OLS 95% CI | R² | capped | left out (diverged or at chance) | l* per depth (seeds) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows {
            let slope = row.fit.map { NumberText.format($0.free.slope) } ?? "—"
            let r2 = row.fit.map { NumberText.format($0.free.rSquared) } ?? "—"
            lines.append("| \(row.factor) | `\(row.protocolName)` | \(row.centring.rawValue) | \(row.runsFound)/\(row.runsPlanned) | \(slope) | "
                + "\(NumberText.rangeOrDash(row.fit?.bootstrapInterval)) | \(NumberText.rangeOrDash(row.fit?.olsInterval)) | \(r2) | \(row.cappedRuns) | \(row.leftOutRuns) | \(row.peaksText) |")
        }
        let stable = rows.filter { $0.stability != nil }
        if !stable.isEmpty {
            lines += ["", "l* over the last epochs before each run's l* snapshot (replays; spread = smallest–largest per-epoch l*):", "",
                      "| factor changed | window (epochs) | replays | median spread width | slope of mean-profile peak | bootstrap 95% CI | slope of centroid | OLS 95% CI | spread per depth (seeds) |",
                      "|---|---|---|---|---|---|---|---|---|"]
            for row in stable {
                guard let stability = row.stability else { continue }
                lines.append("| \(row.factor) | \(stability.window) | \(stability.replaysFound)/\(stability.replaysPlanned) | "
                    + "\(stability.medianSpreadWidth.map { NumberText.format($0) } ?? "—") | "
                    + "\(stability.meanProfileFit.map { NumberText.format($0.free.slope) } ?? "—") | \(NumberText.rangeOrDash(stability.meanProfileFit?.bootstrapInterval)) | "
                    + "\(stability.centroidFit.map { NumberText.format($0.slope) } ?? "—") | \(NumberText.rangeOrDash(stability.centroidFit?.slopeConfidenceInterval())) | "
                    + "\(stability.spreadText) |")
            }
        }
        return lines.joined(separator: "\n")
    }
}
