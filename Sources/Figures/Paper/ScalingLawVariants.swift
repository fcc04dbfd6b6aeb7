import Core
import Foundation

/// Fig 8 (Section 4, Appendix E): on Fashion-MNIST, (a) the paper's tuned per-depth learning
/// rates at batch 128 (the runs of Fig 3), (b) learning rates 4× smaller, (c) batch size 512.
/// The paper: the intercept C of log l* = (3/5) log L + C rises in (b) and in (c) relative
/// to (a) — the peak of the alignment hierarchy moves toward the last layer.
public struct Fig8Figure: FigureSpec {
    public let id = "fig8"
    public let title = "Learning rate and batch size move the intercept of log l*"
    public let paperReference = "Figure 8, Section 4 and Appendix E"
    public let datasets: [DatasetName] = [.fashionMNIST]

    /// (a), (b), (c) for a profile; (a) is Fig 3's protocol, so its runs come from the cache.
    static func protocols(profile: Profile, seedsPerDepth: Int? = nil, depths: [Int]? = nil,
                          candidate: String? = nil) throws -> [ScalingLawProtocol] {
        let base = try Fig3Figure.protocolFor(.fashionMNIST, profile: profile, depths: depths, candidate: candidate)
        // Under --quick one seed per depth (the first of Fig 3's), so that (b) and (c), which
        // need about 4× as many epochs, stay affordable; --full keeps Fig 3's seeds; --seeds overrides both.
        let seeds = seedsPerDepth ?? (profile == .quick ? 1 : base.seedsPerDepth)
        return [
            base.varied(name: base.name + ", tuned lr, batch 128", seedsPerDepth: seeds),
            base.varied(name: base.name + ", lr / 4, batch 128", learningRateScale: 0.25, epochCapScale: 4, seedsPerDepth: seeds),
            base.varied(name: base.name + ", tuned lr, batch 512", batchSize: 512, epochCapScale: 4, seedsPerDepth: seeds),
        ]
    }

    /// Claim ids (suffix ".quick" under --quick).
    static func claimIds(profile: Profile) -> (learningRate: ClaimID, batch: ClaimID) {
        profile == .quick ? (.fig8InterceptLowerLearningRateQuick, .fig8InterceptLargerBatchQuick)
            : (.fig8InterceptLowerLearningRate, .fig8InterceptLargerBatch)
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        let protocols = try Self.protocols(profile: context.profile, seedsPerDepth: context.seedsPerDepth, depths: context.depths,
                                           candidate: context.calibrationCandidate)
        let ids = Self.claimIds(profile: context.profile)
        let availability = DatasetLocator.availability(of: .fashionMNIST, dataDirectory: context.dataDirectory)
        let letters = ["(a) tuned learning rates, batch 128", "(b) learning rates / 4, batch 128", "(c) tuned learning rates, batch 512"]
        var curves: [ScalingLawCurve] = []
        var measurements: [ClaimMeasurement] = []
        var notes: [String] = []
        var hashes: [String] = []
        if availability.isPresent || context.cachedOnly {
            // All three protocols' runs at once, so that --jobs is used even with one seed per depth.
            let specLists = protocols.map { $0.specs(baseSeed: context.seed) }
            context.log("fig8: \(specLists.reduce(0) { $0 + $1.count }) runs over protocols " + protocols.map { "'\($0.name)'" }.joined(separator: ", "))
            let outcomes = context.execute(specLists.flatMap { $0 })
            if let interruption = outcomes.interruption { throw interruption }
            for protocolUsed in protocols {
                let curve = ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: context.seed, outcomes: outcomes)
                curves.append(curve)
                hashes += curve.hashes
            }
            /// What the cache lacked for the comparison of (a) with curve `index`, if anything.
            func partial(_ index: Int) -> String? {
                let incomplete = [0, index].compactMap { i in curves[i].completenessSentence.map { "\(letters[i]): \($0)" } }
                return incomplete.isEmpty ? nil : incomplete.joined(separator: "; ")
            }
            let standard = try Self.protocols(profile: context.profile)
            let changed = zip(protocols, standard).compactMap { $0.differences(from: $1) }.first
            for (index, id) in [(1, ids.learningRate), (2, ids.batch)] {
                let letter = index == 1 ? "b" : "c"
                if let shift = InterceptShift(base: curves[0], varied: curves[index], bootstrapSeed: context.seed) {
                    measurements.append(ClaimMeasurement(
                        claimId: id, value: shift.shift,
                        uncertainty: .bootstrap(.pairedBootstrapOrDepthMeansT, shift.verdictInterval, sampleSize: shift.pairCount),
                        detail: "C(\(letter)) − C(a) with C = mean of log l* − (3/5) log L (the least-squares intercept of slope 3/5) "
                            + "(95% CI: paired bootstrap \(NumberText.rangeOrDash(shift.bootstrapInterval)), depth-means t \(NumberText.rangeOrDash(shift.depthMeansInterval))) over the "
                            + "\(shift.pairCount) (depth, seed) pairs at \(shift.depthCount) depths that both protocols finished: "
                            + "C(a) = \(NumberText.format(shift.base)), C(\(letter)) = \(NumberText.format(shift.varied)); "
                            + "free slopes over all their runs \(curves.map { $0.fit.map { NumberText.format($0.free.slope) } ?? "—" }.joined(separator: ", "))",
                        partialBecause: partial(index), protocolChangedBecause: changed))
                } else {
                    let short = [letters[0], letters[index]].joined(separator: " and ")
                    measurements.append(ClaimMeasurement(
                        claimId: id, notRunBecause: "\(short) share (depth, seed) runs at fewer than two depths"
                            + (partial(index).map { " (\($0))" } ?? "")))
                }
            }
            for curve in curves {
                if let partial = curve.completenessSentence { notes.append("\(curve.protocolUsed.name): \(partial).") }
                notes.append("\(curve.protocolUsed.name): l* per depth and seed \(curve.peaksText); slope \(curve.fit?.summary ?? "—"); "
                    + "\(curve.depths.reduce(0) { $0 + $1.cappedRuns }) run(s) stopped at the epoch cap above the loss threshold; "
                    + "test accuracy per depth \(curve.depths.map { d in NumberText.format(100 * d.records.reduce(0) { $0 + $1.finalTest.accuracy } / Double(d.records.count)) + "%" }.joined(separator: ", ")).")
            }
        } else {
            let reason = "Fashion-MNIST is not on this machine (\(availability)); pass --data-dir with its files"
            measurements = [ids.learningRate, ids.batch].map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }
            notes.append(reason + ".")
        }
        var panels = curves.isEmpty
            ? letters.map { Panel(title: "\($0) — no data", xAxis: .log10("depth L"), yAxis: .log10("layer l")) }
            : zip(curves, letters).map { $0.0.panel(title: $0.1) }
        // One legend (on the last panel) is enough: the three panels draw the same series.
        for index in panels.indices.dropLast() { panels[index].legend = .none }
        let plot = PlotFigure(panels: panels, columns: 3, panelSize: (width: 330, height: 280))
        var settings = protocols[0].settingRows
        settings.append(.init("(b)", "every learning rate × 0.25, epoch cap × 4"))
        settings.append(.init("(c)", "batch size 512, epoch cap × 4"))
        return FigureContent(
            figure: plot,
            caption: """
                Fashion-MNIST FFNNs of depth 10–100, as Fig 3: (a) the paper's tuned per-depth learning rates, batch 128 (the runs of Fig 3); \
                (b) learning rates 4× smaller; (c) batch 512. Columns: A_l / max_l A_l after training; crosses: l* per seed; \
                solid: free fit; dashed: slope 3/5 with its intercept C. The paper reports C rising in (b) and (c) relative to (a).
                """,
            protocolSettings: settings,
            notes: notes + ScalingLawClaims.commonNotes(profile: context.profile),
            measurements: measurements,
            configurationHashes: hashes)
    }
}

/// The change of the slope-3/5 intercept C between two protocols, measured on the (depth, seed)
/// runs both finished, so that a run present in only one of them (not yet trained, diverged)
/// cannot move the difference: with slopes far from 3/5, C depends on which depths are present.
struct InterceptShift: Equatable {
    /// C(varied) − C(base).
    var shift: Double
    /// C = mean over the shared pairs of log l* − (3/5) log L, for the base protocol.
    var base: Double
    /// The same for the varied protocol.
    var varied: Double
    /// Shared (depth, seed) pairs.
    var pairCount: Int
    /// Distinct depths among them.
    var depthCount: Int
    /// Percentile 95% interval of the shift over a cluster bootstrap of the pairs: depths drawn
    /// with replacement, then pairs within each drawn depth with replacement (as the slope's,
    /// see ``ScalingLawFit``); the shift of a resample is the mean of its log l*(varied) − log l*(base),
    /// since the 3/5 log L terms cancel within a pair. Nil with fewer than two depths.
    var bootstrapInterval: ClosedRange<Double>?
    /// Exact 95% t-interval of the shift from the depths' mean differences, weighted by their
    /// pair counts (so centred on ``shift``), with G − 1 degrees of freedom for G depths: exact
    /// when the depths' means scatter normally about the shift with a common variance; with one
    /// pair per depth, the textbook paired t-interval. Nil with fewer than two depths.
    var depthMeansInterval: ClosedRange<Double>?
    /// The interval the verdict uses: the hull of ``bootstrapInterval`` and ``depthMeansInterval``
    /// (the wider at each end), as for the slope (``ScalingLawFit/verdictInterval``): with one pair
    /// per depth the percentile bootstrap over 5 depths is too narrow (docs/verdicts.md).
    var verdictInterval: ClosedRange<Double>? { .hull(bootstrapInterval, depthMeansInterval) }

    /// Nil when the shared pairs cover fewer than two depths.
    init?(base: ScalingLawCurve, varied: ScalingLawCurve, bootstrapResamples: Int = 2000, bootstrapSeed: UInt64 = 0) {
        struct Key: Hashable { var depth: Int; var seed: UInt64 }
        let variedPeaks = Dictionary(varied.points.map { (Key(depth: $0.depth, seed: $0.seed), $0.peakLayer) }, uniquingKeysWith: { a, _ in a })
        let pairs = base.points.compactMap { point in
            variedPeaks[Key(depth: point.depth, seed: point.seed)].map { (depth: point.depth, base: point.peakLayer, varied: $0) }
        }
        guard Set(pairs.map(\.depth)).count >= 2 else { return nil }
        func intercept(_ layer: (Int, Int) -> Int) -> Double {
            pairs.reduce(0) { $0 + log(Double(layer($1.base, $1.varied))) - 0.6 * log(Double($1.depth)) } / Double(pairs.count)
        }
        self.base = intercept { b, _ in b }
        self.varied = intercept { _, v in v }
        shift = self.varied - self.base
        pairCount = pairs.count
        depthCount = Set(pairs.map(\.depth)).count
        let differences = Dictionary(grouping: pairs, by: \.depth).sorted { $0.key < $1.key }
            .map { $0.value.map { log(Double($0.varied)) - log(Double($0.base)) } }
        bootstrapInterval = Self.clusterBootstrap(differences, resamples: bootstrapResamples, seed: bootstrapSeed)
        depthMeansInterval = Self.depthMeansInterval(differences)
    }

    /// See ``depthMeansInterval``.
    static func depthMeansInterval(_ groups: [[Double]], level: Double = 0.95) -> ClosedRange<Double>? {
        guard groups.count >= 2 else { return nil }
        let weights = groups.map { Double($0.count) }
        let means = groups.map { $0.reduce(0, +) / Double($0.count) }
        let total = weights.reduce(0, +)
        let centre = zip(weights, means).reduce(0) { $0 + $1.0 * $1.1 } / total
        let degrees = Double(groups.count - 1)
        let variance = zip(weights, means).reduce(0) { $0 + $1.0 * ($1.1 - centre) * ($1.1 - centre) } / degrees
        let halfWidth = StudentT.quantile(0.5 + level / 2, degreesOfFreedom: degrees) * (variance / total).squareRoot()
        return (centre - halfWidth)...(centre + halfWidth)
    }

    /// Percentile 95% interval of the mean over cluster-bootstrap resamples of `groups` (see ``ClusterBootstrap``).
    static func clusterBootstrap(_ groups: [[Double]], resamples: Int, seed: UInt64) -> ClosedRange<Double>? {
        ClusterBootstrap.percentileInterval(groups, resamples: resamples, seed: seed, label: "intercept shift bootstrap") { drawn in
            drawn.reduce(0, +) / Double(drawn.count)
        }
    }
}

/// Tables 1–3 (Appendix E): per depth, width, learning rate, epochs run and final test
/// accuracy of the Fig 3 runs, beside the paper's values. The runs are Fig 3's (shared cache).
public struct DepthTableFigure: FigureSpec {
    public let dataset: DatasetName
    public var id: String { "table\(PaperDepthTables.tableNumber(for: dataset) ?? 0)" }
    public var title: String { "\(dataset.displayName) FFNN protocol and test accuracy per depth" }
    public var paperReference: String { "Table \(PaperDepthTables.tableNumber(for: dataset) ?? 0), Appendix E" }
    public var datasets: [DatasetName] { [dataset] }

    public init(dataset: DatasetName) {
        self.dataset = dataset
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        let protocolUsed = try Fig3Figure.protocolFor(dataset, in: context)
        let availability = DatasetLocator.availability(of: dataset, dataDirectory: context.dataDirectory)
        var curve: ScalingLawCurve?
        var notes: [String] = []
        if availability.isPresent || context.cachedOnly {
            let built = try ScalingLawCurve.measure(protocolUsed, in: context)
            if let partial = built.completenessSentence { notes.append("\(dataset.displayName): \(partial).") }
            curve = built
        } else {
            notes.append("\(dataset.displayName) is not on this machine (\(availability)); pass --data-dir with its files.")
        }
        let paper = protocolUsed.depths
        let paperDepths = paper.filter { $0.paperTestAccuracy != nil }
        var accuracySeries = [Series(label: "paper", x: paperDepths.map { Double($0.depth) },
                                     y: paperDepths.map { 100 * ($0.paperTestAccuracy ?? .nan) }, style: .line(1, marker: .square))]
        var epochSeries = [Series(label: "paper", x: paper.filter { $0.paperEpochs != nil }.map { Double($0.depth) },
                                  y: paper.compactMap(\.paperEpochs).map(Double.init), style: .line(1, marker: .square))]
        if let curve {
            let x = curve.depths.map { Double($0.setting.depth) }
            let accuracies = curve.depths.map { $0.records.map { 100 * $0.finalTest.accuracy } }
            let means = accuracies.map { $0.reduce(0, +) / Double($0.count) }
            accuracySeries.append(Series(label: "this run (\(protocolUsed.name))", x: x, y: means, style: .line(0, marker: .circle),
                                         band: (accuracies.map { $0.min() ?? .nan }, accuracies.map { $0.max() ?? .nan })))
            let epochs = curve.depths.map { $0.records.map { Double($0.epochCount) } }
            epochSeries.append(Series(label: "this run: epochs to loss < \(NumberText.format(protocolUsed.lossThreshold)) or cap",
                                      x: x, y: epochs.map { $0.reduce(0, +) / Double($0.count) }, style: .line(0, marker: .circle),
                                      band: (epochs.map { $0.min() ?? .nan }, epochs.map { $0.max() ?? .nan })))
            notes.append("Bands: range over \(protocolUsed.seedsPerDepth) seed(s). Under --quick the networks train on a subset, so accuracies and epoch counts are not comparable with the paper's; --full is the paper's protocol.")
        }
        let figure = PlotFigure(panels: [
            Panel(title: "Final test accuracy", xAxis: .linear("depth L"), yAxis: .linear("test accuracy (%)"), series: accuracySeries, legend: .auto),
            Panel(title: "Epochs trained", xAxis: .linear("depth L"), yAxis: .log10("epochs"), series: epochSeries, legend: .auto),
        ], columns: 2)
        var settings = protocolUsed.settingRows
        if let curve { settings += DepthTableRows.rows(curve) }
        return FigureContent(
            figure: figure,
            caption: "Per depth: width, learning rate, epochs actually run and final test accuracy of the Fig 3 runs on \(dataset.displayName), against Table \(PaperDepthTables.tableNumber(for: dataset) ?? 0) of the paper (rows under Protocol).",
            protocolSettings: settings,
            notes: notes + ScalingLawClaims.commonNotes(profile: context.profile),
            measurements: [],
            configurationHashes: curve?.hashes ?? [])
    }
}
