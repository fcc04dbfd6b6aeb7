import Core
import Foundation

/// The measured l*(L) curve of one protocol: per depth, the runs' final alignment profiles
/// and peak layers, the fits, and what each run did (epochs, stop reason, accuracy, time).
public struct ScalingLawCurve: Sendable {
    /// What one depth gave.
    public struct DepthResult: Sendable {
        /// The paper's setting at this depth.
        public var setting: PaperDepthSetting
        /// Records of the seeds that produced a usable alignment profile.
        public var records: [RunRecord]
        /// l* per usable seed (training probe).
        public var peaks: [PeakPoint]
        /// l* per usable seed on the test probe.
        public var testProbePeaks: [PeakPoint]
        /// Mean over seeds of A_l / max A_l (training probe), index 0 = layer 1.
        public var meanRelativeProfile: [Double]
        /// Runs that stopped at the epoch cap above the loss threshold.
        public var cappedRuns: Int
        /// Runs whose loss diverged (excluded from the fits).
        public var divergedRuns: Int
        /// Runs that reached the epoch cap without learning: final train accuracy below twice
        /// chance (2/k). Their A_l profile is that of an untrained, collapsed network (tied hidden
        /// weights at large depth do this), so they are left out of the fits like diverged runs.
        public var collapsedRuns: Int = 0

        /// Geometric mean of l* over seeds (nil without seeds).
        public var geometricMeanPeak: Double? {
            guard !peaks.isEmpty else { return nil }
            return exp(peaks.reduce(0) { $0 + log(Double($1.peakLayer)) } / Double(peaks.count))
        }
    }

    /// The protocol.
    public var protocolUsed: ScalingLawProtocol
    /// Depths with at least one usable run, in increasing order.
    public var depths: [DepthResult]
    /// The fit over every usable (depth, seed) point (nil with fewer than two depths).
    public var fit: ScalingLawFit?
    /// The same fit on the test probe's l*.
    public var testProbeFit: ScalingLawFit?
    /// The first error that prevented runs (e.g. a missing dataset), if any; runs that are
    /// only absent from the cache under `--cached-only` are in ``missingRuns`` instead.
    public var firstError: Error?
    /// The runs asked for (depths × seeds), in protocol order: the one list of this curve.
    public let specs: [RunSpec]
    /// The runs asked for but not in the cache (`--cached-only`), in protocol order.
    public var missingSpecs: [RunSpec]
    /// Labels of ``missingSpecs``.
    public var missingRuns: [String] { missingSpecs.map(\.label) }
    /// Configuration hashes of every run asked for.
    public var hashes: [String] { specs.map(\.configurationHash) }
    /// The base seed the runs were derived from.
    public var baseSeed: UInt64
    /// l* and the fit under per-output centring, from the records that kept it (computed once:
    /// the claim and the figure's note both use it).
    public private(set) var perOutputCentring: AlternativeCentring? = nil
    /// Finished runs left out of the fits because their loss diverged, over every depth (a depth
    /// whose runs are all left out has no ``DepthResult`` but is counted here).
    public private(set) var divergedRunCount = 0
    /// Finished runs left out as collapsed (``DepthResult/collapsedRuns``), over every depth.
    public private(set) var collapsedRunCount = 0

    /// Every usable point.
    public var points: [PeakPoint] { depths.flatMap(\.peaks) }

    /// Total wall-clock seconds of the usable runs (as recorded, summed over sessions).
    public var trainingSeconds: Double { depths.flatMap(\.records).reduce(0) { $0 + $1.wallSeconds } }

    /// Runs the protocol through `context`, shallowest depth first (each depth's seeds in
    /// parallel), so that an interrupted long run leaves the cheap depths finished and cached,
    /// and builds the curve from the outcomes.
    /// - Throws: the interruption (Ctrl-C), so that the same command resumes.
    public static func measure(_ protocolUsed: ScalingLawProtocol, in context: FigureContext) throws -> ScalingLawCurve {
        let specs = protocolUsed.specs(baseSeed: context.seed)
        let stages = Dictionary(grouping: specs, by: \.architecture.depth).sorted { $0.key < $1.key }.map(\.value)
        let outcomes = context.execute(stages: stages)
        if let interruption = outcomes.interruption { throw interruption }
        return ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: context.seed, specs: specs, outcomes: outcomes)
    }

    /// Builds the curve from run outcomes, each spec's looked up by its configuration hash.
    public init(protocolUsed: ScalingLawProtocol, baseSeed: UInt64, outcomes: RunOutcomes) {
        self.init(protocolUsed: protocolUsed, baseSeed: baseSeed, specs: protocolUsed.specs(baseSeed: baseSeed), outcomes: outcomes)
    }

    /// Builds the curve from results given in the order of `protocolUsed.specs(baseSeed:)` (as
    /// ``RunScheduler/run(_:)`` returns them).
    public init(protocolUsed: ScalingLawProtocol, baseSeed: UInt64, results: [Result<RunRecord, Error>]) {
        let specs = protocolUsed.specs(baseSeed: baseSeed)
        self.init(protocolUsed: protocolUsed, baseSeed: baseSeed, specs: specs, outcomes: RunOutcomes(specs: specs, results: results))
    }

    private init(protocolUsed: ScalingLawProtocol, baseSeed: UInt64, specs: [RunSpec], outcomes: RunOutcomes) {
        self.protocolUsed = protocolUsed
        self.baseSeed = baseSeed
        self.specs = specs
        var byDepth: [Int: [RunRecord]] = [:]
        var firstError: Error?
        var missing: [RunSpec] = []
        for spec in specs {
            switch outcomes[spec] {
            case let .finished(record)?: byDepth[spec.architecture.depth, default: []].append(record)
            case .notInCache?: missing.append(spec)
            case let .notRun(reason)?: if firstError == nil { firstError = RunNotStarted(description: reason) }
            case let .failed(error)?: if firstError == nil { firstError = error }
            case nil: break  // not reached (an earlier depth was interrupted)
            }
        }
        self.firstError = firstError
        missingSpecs = missing
        let finished = byDepth.values.flatMap { $0 }
        divergedRunCount = finished.filter { $0.stopReason == .diverged }.count
        collapsedRunCount = finished.filter(Self.isCollapsed).count
        depths = protocolUsed.depths.compactMap { setting in
            guard let records = byDepth[setting.depth] else { return nil }
            return Self.depthResult(setting: setting, records: records, peakSnapshot: protocolUsed.peakSnapshot(of:))
        }
        fit = try? ScalingLawFit(points: depths.flatMap(\.peaks), bootstrapSeed: baseSeed)
        testProbeFit = try? ScalingLawFit(points: depths.flatMap(\.testProbePeaks), bootstrapSeed: baseSeed)
        perOutputCentring = alternative(centring: .perOutput)
    }

    /// Runs asked for (depths × seeds).
    public var plannedRunCount: Int { specs.count }

    /// One sentence on how complete the curve is, e.g. "38 of 50 runs (missing: 12; L60 seeds 3–5, …)";
    /// nil when every run is present.
    public var completenessSentence: String? {
        guard !missingSpecs.isEmpty else { return nil }
        if missingSpecs.count == plannedRunCount {
            return "none of the \(plannedRunCount) planned runs is in the cache (--cached-only trains nothing)"
        }
        let missingByDepth = Dictionary(grouping: missingSpecs, by: \.architecture.depth)
        let perDepth = missingByDepth.keys.sorted().map { depth in
            "L = \(depth): seed " + missingByDepth[depth, default: []].map { "\($0.seed)" }.joined(separator: ", ")
        }
        return "partial result from \(plannedRunCount - missingSpecs.count) of \(plannedRunCount) planned runs "
            + "(--cached-only; not yet trained: \(perDepth.joined(separator: "; ")))"
    }

    /// Whether a run stopped at the epoch cap with its train accuracy below twice chance (see ``DepthResult/collapsedRuns``).
    static func isCollapsed(_ record: RunRecord) -> Bool {
        record.stopReason == .epochCap && record.finalTrain.accuracy < 2 / Double(max(1, record.spec.architecture.outputDimension))
    }

    /// Summarises one depth's records (diverged and collapsed runs, and runs without an alignment, are left out).
    /// `peakSnapshot` picks the snapshot whose arg-max is l* (``ScalingLawProtocol/peakSnapshot(of:)``).
    static func depthResult(setting: PaperDepthSetting, records all: [RunRecord],
                            peakSnapshot: (RunRecord) -> AlignmentSnapshot? = { $0.finalAlignment }) -> DepthResult? {
        let diverged = all.filter { $0.stopReason == .diverged }.count
        let collapsed = all.filter(isCollapsed).count
        let records = all.filter { $0.stopReason != .diverged && !isCollapsed($0) && peakSnapshot($0) != nil }
        var peaks: [PeakPoint] = [], testPeaks: [PeakPoint] = []
        var profileSum = [Double](repeating: 0, count: setting.depth)
        var profileCount = 0
        var usable: [RunRecord] = []
        for record in records {
            guard let snapshot = peakSnapshot(record), let peak = PeakLayer.index(of: snapshot.trainProbe) else { continue }
            usable.append(record)
            peaks.append(PeakPoint(depth: setting.depth, seed: record.spec.seed, peakLayer: peak))
            if let testPeak = PeakLayer.index(of: snapshot.testProbe) {
                testPeaks.append(PeakPoint(depth: setting.depth, seed: record.spec.seed, peakLayer: testPeak))
            }
            let relative = PeakLayer.relativeProfile(snapshot.trainProbe)
            if relative.count == setting.depth, relative.allSatisfy(\.isFinite) {
                for index in relative.indices { profileSum[index] += relative[index] }
                profileCount += 1
            }
        }
        guard !usable.isEmpty else { return nil }
        return DepthResult(
            setting: setting, records: usable, peaks: peaks, testProbePeaks: testPeaks,
            meanRelativeProfile: profileCount > 0 ? profileSum.map { $0 / Double(profileCount) } : profileSum.map { _ in .nan },
            cappedRuns: usable.filter { $0.stopReason == .epochCap }.count,
            divergedRuns: diverged, collapsedRuns: collapsed)
    }

    /// l* from A_l under another centring than the protocol's, over the usable runs whose
    /// records kept it (``AlignmentSnapshot/otherCentrings``), with the same fit.
    public struct AlternativeCentring: Sendable {
        /// The centring.
        public var centring: Centring
        /// l* per run that kept this centring.
        public var peaks: [PeakPoint]
        /// The fit (nil with fewer than two depths).
        public var fit: ScalingLawFit?
        /// Runs of the curve that did not keep it (written before records kept other centrings).
        public var runsWithout: Int
        /// The fit of the protocol's own l* over the same runs, for a paired comparison.
        public var ownFit: ScalingLawFit?

        /// l* per depth as text, as ``ScalingLawCurve/peaksText``.
        public var peaksText: String {
            Dictionary(grouping: peaks, by: \.depth).sorted { $0.key < $1.key }
                .map { "\($0.key): " + $0.value.map { "\($0.peakLayer)" }.joined(separator: ", ") }.joined(separator: "; ")
        }
    }

    /// The curve's l* and fit under `centring` (nil when it is the protocol's own or no run kept it).
    public func alternative(centring: Centring) -> AlternativeCentring? {
        guard centring != protocolUsed.centring else { return nil }
        var peaks: [PeakPoint] = [], ownPeaks: [PeakPoint] = []
        var without = 0
        for depth in depths {
            for record in depth.records {
                guard let values = protocolUsed.peakSnapshot(of: record)?.trainProbe(centring: centring, own: record.spec.alignment.centring),
                      let peak = PeakLayer.index(of: values) else { without += 1; continue }
                peaks.append(PeakPoint(depth: depth.setting.depth, seed: record.spec.seed, peakLayer: peak))
                ownPeaks += depth.peaks.filter { $0.seed == record.spec.seed }
            }
        }
        guard !peaks.isEmpty else { return nil }
        return AlternativeCentring(centring: centring, peaks: peaks, fit: try? ScalingLawFit(points: peaks, bootstrapSeed: baseSeed),
                                   runsWithout: without, ownFit: try? ScalingLawFit(points: ownPeaks, bootstrapSeed: baseSeed))
    }

    /// One sentence on l* under per-output centring, when any run kept it.
    public var perOutputCentringSentence: String? {
        guard let other = perOutputCentring else { return nil }
        var fitText = other.fit.map { "slope \($0.summary)" } ?? "fewer than two depths, no fit"
        if other.runsWithout > 0, let own = other.ownFit {
            fitText += "; the protocol's own centring on the same \(other.peaks.count) run(s) gives slope \(NumberText.format(own.free.slope))"
        }
        return "With A_l centred per output (C_n ⊗ I_k, as nngeometry-based code does; not the paper's Eq. 6, which every verdict here uses) "
            + "the same runs give l* \(other.peaksText); \(fitText)"
            + (other.runsWithout > 0 ? " (\(other.runsWithout) run(s) were recorded before the other centrings were kept and are left out)" : "")
    }

    /// l* per depth as text, e.g. "10: 3, 3, 4; 20: 6, 7, 6".
    public var peaksText: String {
        depths.map { "\($0.setting.depth): " + $0.peaks.map { "\($0.peakLayer)" }.joined(separator: ", ") }.joined(separator: "; ")
    }

    // MARK: - Drawing

    /// The Fig 3 panel: depth L against layer l, both logarithmic; each column is the mean of
    /// A_l / max_l A_l over seeds; markers at each seed's l*, the geometric mean of l* per depth,
    /// the free OLS line and the line of slope 3/5 with its least-squares intercept.
    public func panel(title: String) -> Panel {
        guard let last = depths.last else {
            return Panel(title: title + " — no runs", xAxis: .log10("depth L"), yAxis: .log10("layer l"))
        }
        let allDepths = protocolUsed.depths.map { Double($0.depth) }
        let xEdges = HeatMap.edges(aroundCentres: allDepths, scale: .log10)
        var cells: [HeatCell] = []
        for depth in depths {
            guard let column = allDepths.firstIndex(of: Double(depth.setting.depth)) else { continue }
            let x0 = xEdges[column] * 1.02, x1 = xEdges[column + 1] / 1.02
            for (index, value) in depth.meanRelativeProfile.enumerated() {
                let layer = Double(index + 1)
                cells.append(HeatCell(x: x0...x1, y: max(0.5, layer - 0.5)...(layer + 0.5), value: value))
            }
        }
        var series: [Series] = []
        let seedPoints = points
        series.append(Series(label: "l^{*} per seed", x: seedPoints.map { Double($0.depth) }, y: seedPoints.map { Double($0.peakLayer) },
                             style: .scatter(.ink, marker: .cross, size: 6)))
        series.append(Series(label: "geometric mean of l^{*}", x: depths.map { Double($0.setting.depth) },
                             y: depths.map { $0.geometricMeanPeak ?? .nan },
                             style: .scatter(PlotColor(hex: 0xE4572E), marker: .circle, size: 6)))
        var annotations: [TextAnnotation] = []
        let lineX = [xEdges.first ?? 8, xEdges.last ?? 120]
        if let fit {
            series.append(Series(label: "fit: slope \(NumberText.format(fit.free.slope))", x: lineX,
                                 y: lineX.map { exp(fit.free.intercept) * pow($0, fit.free.slope) },
                                 style: SeriesStyle(color: PlotColor(hex: 0xE4572E), lineWidth: 1.6)))
            series.append(Series(label: "slope 3/5 (C = \(NumberText.format(fit.fixedSlopeIntercept)))", x: lineX,
                                 y: lineX.map { exp(fit.fixedSlopeIntercept) * pow($0, 0.6) },
                                 style: SeriesStyle(color: .ink, lineWidth: 1.2, dash: [5, 3])))
            func two(_ value: Double) -> String { String(format: "%.2f", value) }
            let ci = fit.verdictInterval.map { "[\(two($0.lowerBound)), \(two($0.upperBound))]" } ?? "—"
            annotations.append(TextAnnotation(
                text: "slope \(two(fit.free.slope)), 95% CI \(ci), R^{2} = \(two(fit.free.rSquared))",
                position: .relative(x: 0.03, y: 0.97), anchor: .topLeft))
        }
        return Panel(
            title: title, xAxis: .log10("depth L", range: (xEdges.first ?? 8)...(xEdges.last ?? 120)),
            yAxis: .log10("layer l", range: 0.5...Double(last.setting.depth) + 0.5),
            series: series,
            heatMap: HeatMap(cells: cells, colormap: .viridis, valueRange: 0...1, colorBarLabel: "A_{l} / max_{l} A_{l}"),
            annotations: annotations, legend: .outsideRight, showsGrid: false)
    }
}
