import Core
import Foundation

/// What the Appendix F figures share: which datasets they show (the paper's, then Fashion-MNIST,
/// which is always on this machine), how a missing one is reported, and the cached studies.
enum AppendixFSupport {
    static let resamples = 2000

    /// The paper's dataset first, then Fashion-MNIST (unless it is the paper's).
    static func datasets(paper: DatasetName) -> [DatasetName] {
        paper == .fashionMNIST ? [paper] : [paper, .fashionMNIST]
    }

    /// The loaded split of `dataset`, or the sentence saying why it is not here.
    /// - Throws: the ``DatasetError`` of a partial copy in `--data-dir` (an error, never "not run").
    static func availability(_ dataset: DatasetName, in context: FigureContext) throws -> String? {
        if let partial = DatasetLocator.partialCopyError(of: dataset, dataDirectory: context.dataDirectory) { throw partial }
        let availability = DatasetLoader.availability(of: dataset, dataDirectory: context.dataDirectory)
        return availability.isPresent ? nil : SecondOrderSupport.missingReason(dataset, availability)
    }

    /// A cached study result (`<cache>/second-order/<name>-<hash>.json`), or nil under --cached-only.
    static func study<Value: Codable>(_ type: Value.Type, name: String, hash: String, dataset: DatasetName, in context: FigureContext,
                                      run: @escaping (DatasetSplit) throws -> Value) throws -> Value? {
        try SecondOrderSupport.cached(type, name: name, hash: hash, in: context) {
            try run(try DatasetLoader.load(dataset, dataDirectory: context.dataDirectory))
        }
    }

    /// An empty panel that says why it has no data.
    static func notRunPanel(_ title: String, reason: String, xLabel: String = "layer l") -> Panel {
        Panel(title: "\(title): not run", xAxis: .linear(xLabel, range: 0...1), yAxis: .linear("", range: 0...1),
              annotations: wrap(reason, width: 44).enumerated().map { index, line in
                  TextAnnotation(text: literal(line), position: .relative(x: 0.03, y: 0.95 - 0.075 * Double(index)), anchor: .topLeft)
              },
              legend: .none, showsGrid: false)
    }

    /// `text` with the plot markup's special characters escaped, so file names print as written.
    static func literal(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\\^_{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Breaks a sentence into at most 12 lines of about `width` characters.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + word.count + 1 > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return Array(lines.prefix(12))
    }

    /// A_l against l: the final profile solid, the initial one dotted, optionally a band.
    static func profilePanel(_ title: String, final: [Double], initial: [Double]?, band: (lower: [Double], upper: [Double])? = nil,
                             label: String = "after training", colour: Int = 0) -> Panel {
        let layers = (1...max(1, final.count)).map(Double.init)
        var series = [Series(label: label, x: layers, y: final, style: .line(colour, marker: .circle), band: band)]
        if let initial {
            series.append(Series(label: "initialisation", x: layers, y: initial,
                                 style: SeriesStyle(color: .gray, lineWidth: 1, dash: [1.5, 2], marker: .circle, markerSize: 3)))
        }
        return Panel(title: title, xAxis: .linear("layer l", range: 0.5...(Double(final.count) + 0.5)), yAxis: .linear("A_{l}"),
                     series: series, legend: .auto)
    }

    static func percent(_ value: Double) -> String { NumberText.format(100 * value) + "%" }

    static func list(_ values: [Double]) -> String { values.map { NumberText.format($0) }.joined(separator: ", ") }

    static func measurement(_ id: ClaimID, _ estimate: IntervalEstimate, method: UncertaintyMethod, detail: String) -> ClaimMeasurement {
        ClaimMeasurement(claimId: id, value: estimate.value,
                         uncertainty: .bootstrap(method, estimate.interval, sampleSize: estimate.sampleSize), detail: detail)
    }
}

/// What one Appendix F figure accumulates, dataset row by dataset row.
struct AppendixFPage {
    var panels: [Panel] = []
    var measurements: [ClaimMeasurement] = []
    var notes: [String] = []
    var hashes: [String] = []

    /// A row that cannot be drawn: one not-run panel per title (with its x label), each claim not run.
    mutating func notRun(_ dataset: String, panels titles: [(String, String)], claims: [ClaimID], reason: String) {
        panels += titles.map { AppendixFSupport.notRunPanel("\(dataset) \($0.0)", reason: reason, xLabel: $0.1) }
        measurements += claims.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }
        notes.append("\(dataset): not run — \(reason).")
    }

    /// The row's cached study (computed on a miss), or nil after recording the row as not run: the dataset
    /// is missing (``AppendixFSupport/availability(_:in:)``), or the study is not in the cache under --cached-only.
    mutating func study<Value: Codable>(_ type: Value.Type, name: String, hash: String, dataset: DatasetName,
                                        in context: FigureContext, panels titles: [(String, String)], claims: [ClaimID],
                                        run: @escaping (DatasetSplit) throws -> Value) throws -> Value? {
        if let missing = try AppendixFSupport.availability(dataset, in: context) {
            notRun(dataset.displayName, panels: titles, claims: claims, reason: missing)
            return nil
        }
        hashes.append(hash)
        guard let value = try AppendixFSupport.study(type, name: name, hash: hash, dataset: dataset, in: context, run: run) else {
            notRun(dataset.displayName, panels: titles, claims: claims,
                   reason: "the \(name) study \(hash) is not in the cache (--cached-only trains nothing)")
            return nil
        }
        return value
    }
}

// MARK: - Figs 16 and 17

/// Paper Figs 16 (MNIST) and 17 (CIFAR-10): A_l of networks trained with layer-wise feature
/// maximisation (Algorithm 1) at two widths, (a) and (b), beside the same architecture trained end
/// to end, (c). One row per dataset: the paper's, then Fashion-MNIST.
public struct LFMFigure: FigureSpec {
    public let id: String
    public let title: String
    public let paperReference: String
    let paperDataset: DatasetName
    /// The paper's widths of (a) and (b).
    let paperWidths: [Int]
    let claims: [DatasetName: (underperforms: ClaimID, lowerPeak: ClaimID?, plateau: ClaimID?)]
    let paperCaption: String

    public var datasets: [DatasetName] { AppendixFSupport.datasets(paper: paperDataset) }

    func configuration(_ dataset: DatasetName, profile: Profile, seed: UInt64) -> LFMStudyConfiguration {
        switch profile {
        case .quick:
            // Narrower than the paper's: Fig 16's (32, 256) → (32, 128), Fig 17's (256, 1024) → (128, 256).
            let quickWidths = paperWidths[0] >= 256 ? [128, 256] : [paperWidths[0], 128]
            return LFMStudyConfiguration(dataset: dataset, trainPerClass: 300, testPerClass: 100, depth: 10, lfmWidths: quickWidths,
                                         endToEndWidth: quickWidths[1], batchSize: 100, patience: 4, maxEpochsPerLayer: 40,
                                         endToEndEpochs: 40, probePerClass: AlignmentHierarchyProtocol.quickProbePerClass, seed: seed)
        case .full:
            return LFMStudyConfiguration(dataset: dataset, trainPerClass: 1000, testPerClass: 200, depth: 10, lfmWidths: paperWidths,
                                         endToEndWidth: paperWidths[1], batchSize: 100, patience: 5, maxEpochsPerLayer: 60,
                                         endToEndEpochs: 60, probePerClass: AlignmentHierarchyProtocol.fullProbePerClass, seed: seed)
        }
    }

    /// The end-to-end run of panel (c): the project's standard depth-10, width-256 ReLU FFNN at lr 0.003 (the run of
    /// Figs 2 and 7, shared through the cache).
    static func endToEndSpec(_ dataset: DatasetName, in context: FigureContext) -> RunSpec {
        AlignmentHierarchyProtocol.spec(dataset: dataset, depth: 10, learningRate: AlignmentHierarchyProtocol.figureLearningRate,
                                        profile: context.profile, seed: context.seed)
    }

    /// Test images of the full test split of MNIST, Fashion-MNIST and CIFAR-10 (the standard runs' final test set).
    static let fullTestCount = 10_000

    public func content(in context: FigureContext) throws -> FigureContent {
        var page = AppendixFPage()
        var settings: [FigureResult.Setting] = []
        let available = try datasets.filter { try AppendixFSupport.availability($0, in: context) == nil }
        let standardSpecs = available.map { Self.endToEndSpec($0, in: context) }
        let standardOutcomes = try HierarchyRuns.execute(standardSpecs, figure: id, in: context)
        for dataset in datasets {
            let name = dataset.displayName
            let c = configuration(dataset, profile: context.profile, seed: context.seed)
            let ids = claims[dataset]
            let allIds = [ids?.underperforms, ids?.lowerPeak, ids?.plateau].compactMap { $0 }
            let titles = ["(a) LFM, N = \(c.lfmWidths[0])", "(b) LFM, N = \(c.lfmWidths[1])", "(c) end to end (Fig 2 protocol)",
                          "(d) end to end, LFM architecture"].map { ($0, "layer l") }
            guard let study = try page.study(LFMStudyResult.self, name: "lfm", hash: c.configurationHash, dataset: dataset,
                                             in: context, panels: titles, claims: allIds,
                                             run: { try LFMStudy.run(c, split: $0) { context.log("\(self.id) \(name): " + $0) } }) else { continue }
            let lfm = study.networks.filter { $0.training == "LFM" }
            guard let sameArchitecture = study.networks.first(where: { $0.training == "end-to-end" }), lfm.count == 2 else {
                page.notRun(name, panels: titles, claims: allIds, reason: "the cached LFM study \(c.configurationHash) is incomplete; delete it to recompute")
                continue
            }
            for (letter, network) in zip(["a", "b"], lfm) {
                page.panels.append(AppendixFSupport.profilePanel("\(name) (\(letter)) LFM, N = \(network.width): test \(AppendixFSupport.percent(network.testAccuracy))",
                                                            final: network.alignments, initial: network.initialAlignments))
            }
            let outcome = available.firstIndex(of: dataset).map { standardOutcomes[$0] }
            let record = outcome?.record
            if let record, let last = record.finalAlignment {
                page.hashes.append(record.configurationHash)
                let initial = record.alignments.first.flatMap { $0.step == 0 ? $0.trainProbe : nil }
                page.panels.append(AppendixFSupport.profilePanel("\(name) (c) end to end, ReLU N = \(AlignmentHierarchyProtocol.width): test \(AppendixFSupport.percent(record.finalTest.accuracy))",
                                                            final: last.trainProbe, initial: initial, colour: 1))
                page.notes.append("\(name) (c) end to end (\(record.spec.label), the run of Figs 2/7): final test accuracy \(AppendixFSupport.percent(record.finalTest.accuracy)) on the full test split, train \(AppendixFSupport.percent(record.finalTrain.accuracy)); A_l (train probe) \(AppendixFSupport.list(last.trainProbe)).")
            } else {
                page.panels.append(AppendixFSupport.notRunPanel("\(name) (c) end to end (Fig 2 protocol)", reason: outcome?.missingReason ?? "the run did not finish"))
            }
            page.panels.append(AppendixFSupport.profilePanel("\(name) (d) end to end, LFM architecture, N = \(sameArchitecture.width): test \(AppendixFSupport.percent(sameArchitecture.testAccuracy))",
                                                        final: sameArchitecture.alignments, initial: sameArchitecture.initialAlignments, colour: 2))
            page.measurements += Self.measure(ids, dataset: name, lfm: lfm, endToEnd: record, sameArchitecture: sameArchitecture,
                                         testCount: 10 * c.testPerClass, missingReason: outcome?.missingReason, seed: context.seed)
            for network in study.networks {
                let layers = network.layerLogs.map { "l\($0.layer): \($0.epochs) epochs (kept \($0.bestEpoch))" }.joined(separator: ", ")
                page.notes.append("\(name) \(network.training == "LFM" ? "LFM" : "(d) end to end, LFM architecture"), N = \(network.width): train accuracy \(AppendixFSupport.percent(network.trainAccuracy)), test \(AppendixFSupport.percent(network.testAccuracy)); A_l after training \(AppendixFSupport.list(network.alignments)); at initialisation \(AppendixFSupport.list(network.initialAlignments))"
                             + (layers.isEmpty ? "; mean train loss per epoch \(AppendixFSupport.list(network.epochLosses))." : "; \(layers)."))
            }
            page.notes.append("\(name): LFM study wall time \(NumberText.format(study.wallSeconds)) s.")
            if settings.isEmpty {
                settings = [
                    .init("LFM architecture", "depth \(c.depth), LeakyReLU (slope \(c.negativeSlope)), inputs and every layer's input normalised to unit norm, biases, He initialisation"),
                    .init("LFM (a), (b)", "widths \(c.lfmWidths.map(String.init).joined(separator: ", ")); Algorithm 1: layers 1…L−1 one at a time on the forward-kernel loss (docs/appendix-f.md), then layer L on cross-entropy; Adam, lr \(c.lfmLearningRate), batch \(c.batchSize); validation stopping: patience \(c.stopping.patience) epochs, at most \(c.stopping.maxEpochs) per layer"),
                    .init("end to end (c)", "the run of Figs 2/7: ReLU FFNN, depth 10, width \(AlignmentHierarchyProtocol.width), SGD lr \(AlignmentHierarchyProtocol.figureLearningRate) with momentum \(AlignmentHierarchyProtocol.momentum) and weight decay \(AlignmentHierarchyProtocol.weightDecay), batch \(AlignmentHierarchyProtocol.batchSize), no validation set (its own profile's data and stopping)"),
                    .init("end to end (d)", "the LFM architecture at width \(c.endToEndWidth), all layers on cross-entropy; Adam, lr \(c.endToEndLearningRate), batch \(c.batchSize), \(c.endToEndEpochs) epochs, no validation set"),
                    .init("LFM data", "\(10 * c.trainPerClass) class-balanced training images (LFM: \(Int((1 - c.validationFraction) * 100))% train / \(Int(c.validationFraction * 100))% validation, as 45000/5000; (d) all of them), \(10 * c.testPerClass) test images, standardised"),
                    .init("A_l", "paper Eq. 7, full centring, training probe of \(c.probePerClass) per class; LFM tangent kernels through the normalisations"),
                ]
            }
        }
        return FigureContent(
            figure: PlotFigure(panels: page.panels, columns: 4, panelSize: (270, 220)),
            caption: "\(paperCaption) Reproduced here: one row per dataset (the paper's, then Fashion-MNIST, titled as such); A_l (Eq. 7) against l after training (solid) and at initialisation (dotted); each panel's title gives the test accuracy. (c) is the project's end-to-end run of Figs 2/7; (d) is the LFM's own architecture trained end to end, a control for the architecture. \(context.profile == .quick ? "Quick profile: 3000 training images, narrower LFM widths; --full uses the paper's widths on 10000 images." : "Full profile: the paper's widths on 10000 training images.")",
            protocolSettings: settings, notes: page.notes + Self.methodNotes, measurements: page.measurements, configurationHashes: page.hashes)
    }

    static let methodNotes = [
        "Algorithm 1's loss is read as ℒ(B) = (1/|B|²)Σ_{i,j∈B}(K(x_i,x_j) − ½δ_{y_i,y_j})² on the unnormalised forward kernel of layer l's outputs, K = φ(z_l)φ(z_l)ᵀ; the reasons and the other readings are in docs/appendix-f.md.",
        "The paper's end-to-end panel (c) names only its learning rate (0.003) and data (50000 images, no validation set), which are the protocol of its Figs 2/7; (c) here is that run (shared with Figs 2 and 7), and (d) adds the LFM's own normalised LeakyReLU architecture trained end to end with Adam, so that the comparison can also be read at a fixed architecture (docs/appendix-f.md).",
    ]

    /// The claims of one dataset row: (c) against the better LFM network.
    static func measure(_ ids: (underperforms: ClaimID, lowerPeak: ClaimID?, plateau: ClaimID?)?, dataset: String,
                        lfm: [LFMNetworkResult], endToEnd: RunRecord?, sameArchitecture: LFMNetworkResult, testCount: Int,
                        missingReason: String?, seed: UInt64) -> [ClaimMeasurement] {
        guard let ids else { return [] }
        var result: [ClaimMeasurement] = []
        let best = lfm.max { $0.testAccuracy < $1.testAccuracy }!
        let control = "; control (d), the LFM architecture end to end: test \(AppendixFSupport.percent(sameArchitecture.testAccuracy)), max_l A_l \(NumberText.format(sameArchitecture.alignments.max() ?? .nan))"
        if let endToEnd, let last = endToEnd.finalAlignment {
            let total = fullTestCount
            let gap = AppendixFAnalysis.accuracyDifference(correctA: Int((endToEnd.finalTest.accuracy * Double(total)).rounded()), totalA: total,
                                                           correctB: best.testCorrect.filter { $0 }.count, totalB: best.testCorrect.count,
                                                           resamples: AppendixFSupport.resamples, seed: seed)
            result.append(AppendixFSupport.measurement(ids.underperforms, gap, method: .testSetBootstrap,
                detail: "\(dataset): test accuracy of the end-to-end run (c) \(AppendixFSupport.percent(endToEnd.finalTest.accuracy)) (\(total) test images) minus the better LFM network (N = \(best.width)) \(AppendixFSupport.percent(best.testAccuracy)) (\(testCount) test images); LFM test accuracies \(lfm.map { AppendixFSupport.percent($0.testAccuracy) }.joined(separator: ", "))\(control); interval: bootstrap resampling each test set on its own"))
            if let id = ids.lowerPeak {
                let lfmPeak = lfm.map { $0.alignments.max() ?? .nan }.max() ?? .nan
                let endPeak = last.trainProbe.max() ?? .nan
                result.append(ClaimMeasurement(claimId: id, value: endPeak - lfmPeak, uncertainty: .singleRun,
                    detail: "\(dataset): max_l A_l of the end-to-end run (c) \(NumberText.format(endPeak)) minus the larger of the LFM networks' max_l A_l (\(lfm.map { NumberText.format($0.alignments.max() ?? .nan) }.joined(separator: ", ")))\(control)"))
            }
        } else {
            let reason = "the end-to-end run (c) is missing: \(missingReason ?? "it did not finish")"
            result += [ids.underperforms, ids.lowerPeak].compactMap { $0 }.map { ClaimMeasurement(claimId: $0, notRunBecause: reason) }
        }
        if let id = ids.plateau {
            let counts = lfm.map { AppendixFAnalysis.nearMaximalLayerCount($0.alignments) }
            let endCount = endToEnd?.finalAlignment.map { AppendixFAnalysis.nearMaximalLayerCount($0.trainProbe) }
            let wide = counts.last ?? 0
            result.append(ClaimMeasurement(claimId: id, value: Double(wide), uncertainty: .singleRun,
                detail: "\(dataset): layers with A_l ≥ 0.9·max_l A_l in the wider LFM network (N = \(lfm.last?.width ?? 0)): \(wide); narrower LFM: \(counts.first ?? 0); end to end (c): \(endCount.map(String.init) ?? "—"); (d): \(AppendixFAnalysis.nearMaximalLayerCount(sameArchitecture.alignments))"))
        }
        return result
    }
}

extension LFMFigure {
    /// Paper Fig 16: LFM on MNIST, widths 32 and 256, against end-to-end training.
    public static let fig16 = LFMFigure(
        id: "fig16", title: "Layer-wise feature maximisation (LFM) on MNIST, and on Fashion-MNIST", paperReference: "Figure 16, Appendix F",
        paperDataset: .mnist, paperWidths: [32, 256],
        claims: [.mnist: (.fig16LFMUnderperformsMNIST, .fig16LFMLowerPeakMNIST, .fig16LFMPlateauMNIST),
                 .fashionMNIST: (.fig16LFMUnderperformsFashionMNIST, .fig16LFMLowerPeakFashionMNIST, .fig16LFMPlateauFashionMNIST)],
        paperCaption: "Paper Fig 16: MNIST; (a) and (b) trained with LFM (widths 32 and 256) with Adam at lr 0.01, (c) trained end to end at lr 0.003; the LFM does not give a single peak, its alignments are lower and it underperforms.")

    /// Paper Fig 17: LFM on CIFAR-10, widths 256 and 1024, against end-to-end training.
    public static let fig17 = LFMFigure(
        id: "fig17", title: "Layer-wise feature maximisation (LFM) on CIFAR-10, and on Fashion-MNIST", paperReference: "Figure 17, Appendix F",
        paperDataset: .cifar10, paperWidths: [256, 1024],
        claims: [.cifar10: (.fig17LFMUnderperformsCIFAR10, nil, nil), .fashionMNIST: (.fig17LFMUnderperformsFashionMNIST, nil, nil)],
        paperCaption: "Paper Fig 17: CIFAR-10; (a) and (b) trained with LFM (widths 256 and 1024) with Adam at lr 0.01, (c) end to end at lr 0.003; the alignment of the LFMs differs from end-to-end training and their generalisation is noticeably worse.")
}

// MARK: - Fig 18 and Table 4: studies over seeds

/// A figure whose study repeats over seeds (Fig 18, Table 4): the profile's configuration, and the same with
/// its seeds offset by a base seed.
protocol MultiSeedStudyFigure {
    associatedtype Settings: MultiSeedSettings
    func configuration(_ dataset: DatasetName, profile: Profile) -> StudyConfiguration<Settings>
}

extension MultiSeedStudyFigure {
    /// The profile's study; its seeds are offset by the base seed `seed`.
    func configuration(_ dataset: DatasetName, profile: Profile, seed: UInt64) -> StudyConfiguration<Settings> {
        configuration(dataset, profile: profile).offsettingSeeds(by: seed)
    }

    /// The context's study for each of `datasets`, in order.
    func configurations(_ datasets: [DatasetName], in context: FigureContext) -> [StudyConfiguration<Settings>] {
        datasets.map { configuration($0, profile: context.profile, seed: context.seed) }
    }
}

// MARK: - Fig 18

/// Paper Fig 18: networks with every layer but the last frozen at He initialisation, the last one
/// started at N(0, s²·2/N) and trained; A_l per layer for several noise scales s. One row per dataset.
public struct FrozenNetworkFigure: FigureSpec, MultiSeedStudyFigure {
    public let id = "fig18"
    public let title = "Frozen networks: A_l when only the last layer trains, against its initial scale s"
    public let paperReference = "Figure 18, Appendix F"
    public var datasets: [DatasetName] { AppendixFSupport.datasets(paper: .mnist) }

    static func claims(_ dataset: DatasetName) -> (shift: ClaimID, change: ClaimID) {
        dataset == .mnist ? (.fig18PeakTowardCentreMNIST, .fig18BackwardEvolutionMNIST)
            : (.fig18PeakTowardCentreFashionMNIST, .fig18BackwardEvolutionFashionMNIST)
    }

    func configuration(_ dataset: DatasetName, profile: Profile) -> FrozenStudyConfiguration {
        switch profile {
        case .quick:
            return FrozenStudyConfiguration(dataset: dataset, trainPerClass: 100, testPerClass: 50, depth: 10, width: 512,
                                            noiseScales: [0.1, 1, 10], seeds: [0, 1, 2, 3, 4], probePerClass: 10,
                                            readout: ReadoutTraining(learningRate: 0.01, batchSize: 100, maxEpochs: 100, lossThreshold: 0.01))
        case .full:
            return FrozenStudyConfiguration(dataset: dataset, trainPerClass: 300, testPerClass: 100, depth: 10, width: 1024,
                                            noiseScales: [0.1, 1, 10], seeds: [0, 1, 2, 3, 4, 5], probePerClass: 10,
                                            readout: ReadoutTraining(learningRate: 0.01, batchSize: 100, maxEpochs: 200, lossThreshold: 0.01))
        }
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        var page = AppendixFPage()
        let configurations = configurations(datasets, in: context)
        for c in configurations {
            let dataset = c.dataset, name = dataset.displayName
            let ids = Self.claims(dataset)
            let titles = c.noiseScales.map { ("s = \(NumberText.format($0))", "layer l") } + [("peak layer", "noise scale s")]
            guard let study = try page.study(FrozenStudyResult.self, name: "frozen", hash: c.configurationHash, dataset: dataset,
                                             in: context, panels: titles,
                                             claims: [ids.shift, ids.change],
                                             run: { try FrozenStudy.run(c, split: $0) { context.log("fig18 \(name): " + $0) } }) else { continue }
            for (index, s) in c.noiseScales.enumerated() {
                let runs = study.runs.filter { $0.noiseScale == s }
                let depth = c.depth
                let mean = (0..<depth).map { l in runs.reduce(0) { $0 + $1.alignments[l] } / Double(max(1, runs.count)) }
                let initial = (0..<depth).map { l in runs.reduce(0) { $0 + $1.initialAlignments[l] } / Double(max(1, runs.count)) }
                let band = ((0..<depth).map { l in runs.map { $0.alignments[l] }.min() ?? .nan }, (0..<depth).map { l in runs.map { $0.alignments[l] }.max() ?? .nan })
                let test = runs.map { $0.outcome.bestTestAccuracy }.reduce(0, +) / Double(max(1, runs.count))
                page.panels.append(AppendixFSupport.profilePanel("\(name), s = \(NumberText.format(s)): test \(AppendixFSupport.percent(test))",
                                                            final: mean, initial: initial, band: band, label: "trained (mean, range)", colour: index))
                page.notes.append("\(name), s = \(NumberText.format(s)): " + runs.map { run in
                    "seed \(run.seed): peak l* = \(PeakLayer.index(of: run.alignments).map(String.init) ?? "—"), \(run.outcome.epochs) epochs, best train \(AppendixFSupport.percent(run.outcome.bestTrainAccuracy)), best test \(AppendixFSupport.percent(run.outcome.bestTestAccuracy)), A_l \(AppendixFSupport.list(run.alignments))"
                }.joined(separator: "; ") + ".")
            }
            page.panels.append(Self.peakPanel(study, title: "\(name): peak layer l* against s", depth: c.depth))
            if let shift = AppendixFAnalysis.peakShiftTowardCentre(study.runs, resamples: AppendixFSupport.resamples, seed: context.seed) {
                page.measurements.append(AppendixFSupport.measurement(ids.shift, shift.estimate, method: .runBootstrap,
                    detail: "\(name): per seed |l*(s = \(NumberText.format(c.noiseScales.max()!))) − \(NumberText.format(Double(c.depth + 1) / 2))| − |l*(s = \(NumberText.format(c.noiseScales.min()!))) − \(NumberText.format(Double(c.depth + 1) / 2))| = \(AppendixFSupport.list(shift.perSeed)) (positive: the smaller scale peaks nearer the centre); mean over \(shift.perSeed.count) seeds, bootstrap over seeds"))
            }
            if let change = AppendixFAnalysis.frozenLayerAlignmentChange(study.runs, noiseScale: 1, resamples: AppendixFSupport.resamples, seed: context.seed) {
                page.measurements.append(AppendixFSupport.measurement(ids.change, change.estimate, method: .runBootstrap,
                    detail: "\(name), s = 1: per seed max over the frozen layers l < L of A_l(end) − A_l(init) = \(AppendixFSupport.list(change.perSeed)); mean over seeds, bootstrap over seeds"))
            }
            page.notes.append("\(name): study wall time \(NumberText.format(study.wallSeconds)) s.")
        }
        let c = configurations[configurations.count - 1]  // the settings the rows share (they differ only in the dataset)
        return FigureContent(
            figure: PlotFigure(panels: page.panels, columns: 4, panelSize: (260, 220)),
            caption: "Paper Fig 18: MNIST, all but the last layer frozen during training (no forward feature learning; an NNGP in the infinite-width limit); noise scale s sets the last layer's initialisation N(0, s²·2/N); decreasing s appears to shift the peak towards the centre. Reproduced here: one row per dataset (MNIST, then Fashion-MNIST, titled as such); per s, A_l against l after training (mean and range over \(c.seeds.count) seeds) and at initialisation (dotted); right: the peak layer per seed against s. Depth \(c.depth), width \(c.width)\(context.profile == .quick ? " (quick profile; the paper's panels use width 2048)" : "").",
            protocolSettings: [
                .init("network", "ReLU FFNN, depth \(c.depth), width \(c.width), biases; layers 1…L−1 frozen at He initialisation N(0, 2/N_{l−1})"),
                .init("last layer", "W_L = s·W_He, i.e. N(0, s²·2/N), s ∈ {\(c.noiseScales.map { NumberText.format($0) }.joined(separator: ", "))}, b_L = 0; Adam, lr \(c.readout.learningRate), batch \(c.readout.batchSize), cross-entropy until the epoch's mean loss < \(NumberText.format(c.readout.lossThreshold)) or \(c.readout.maxEpochs) epochs"),
                .init("data", "\(10 * c.trainPerClass) class-balanced training images, \(10 * c.testPerClass) test images, standardised; seeds \(c.seeds.map(String.init).joined(separator: ", "))"),
                .init("A_l", "paper Eq. 7, full centring, training probe of \(c.probePerClass) per class"),
            ],
            notes: page.notes, measurements: page.measurements, configurationHashes: page.hashes)
    }

    static func peakPanel(_ study: FrozenStudyResult, title: String, depth: Int) -> Panel {
        let seeds = Array(Set(study.runs.map(\.seed))).sorted()
        let series = seeds.enumerated().map { index, seed -> Series in
            let runs = study.runs.filter { $0.seed == seed }.sorted { $0.noiseScale < $1.noiseScale }
            return Series(label: "seed \(seed)", x: runs.map(\.noiseScale), y: runs.map { Double(PeakLayer.index(of: $0.alignments) ?? 0) },
                          style: .line(index, marker: .circle))
        }
        let centre = Series(label: "centre (L+1)/2", x: [study.configuration.noiseScales.min()!, study.configuration.noiseScales.max()!],
                            y: [Double(depth + 1) / 2, Double(depth + 1) / 2], style: .reference)
        return Panel(title: title, xAxis: .log10("noise scale s"), yAxis: .linear("l*", range: 0.5...(Double(depth) + 0.5)),
                     series: series + [centre], legend: .topRight)
    }
}

// MARK: - Table 4

/// Paper Table 4: best train/test accuracy of frozen networks (only the last layer trained) against
/// width, ending with the exact N → ∞ row: the NNGP kernel readout, the limit of training only the last layer.
public struct FrozenWidthTableFigure: FigureSpec, MultiSeedStudyFigure {
    public let id = "table4"
    public let title = "Frozen networks: accuracy against width, and the exact infinite-width (NNGP) row"
    public let paperReference = "Table 4, Appendix F"
    public var datasets: [DatasetName] { AppendixFSupport.datasets(paper: .mnist) }

    /// The paper's rows (MNIST, depth 10): width, max train and test accuracy.
    static let paperRows: [(width: Int, train: Double, test: Double)] = [(2048, 0.926, 0.919), (10000, 0.964, 0.956), (75000, 0.976, 0.964)]

    static func claims(_ dataset: DatasetName) -> (distance: ClaimID, accuracy: ClaimID) {
        dataset == .mnist ? (.table4NNGPDistanceSlopeMNIST, .table4AccuracyWidthSlopeMNIST)
            : (.table4NNGPDistanceSlopeFashionMNIST, .table4AccuracyWidthSlopeFashionMNIST)
    }

    func configuration(_ dataset: DatasetName, profile: Profile) -> FrozenWidthConfiguration {
        let readout = ReadoutTraining(learningRate: 0.01, batchSize: 100, maxEpochs: profile == .quick ? 60 : 150, lossThreshold: 0.01)
        switch profile {
        case .quick:
            return FrozenWidthConfiguration(dataset: dataset, trainPerClass: 100, testPerClass: 50, depth: 10, widths: [128, 512, 2048],
                                            seeds: [0, 1, 2], readout: readout, relativeRidge: 1e-2)
        case .full:
            return FrozenWidthConfiguration(dataset: dataset, trainPerClass: 300, testPerClass: 100, depth: 10, widths: [256, 1024, 4096],
                                            seeds: [0, 1, 2, 3], readout: readout, relativeRidge: 1e-2)
        }
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        var page = AppendixFPage()
        var rows: [FigureResult.Setting] = []
        let configurations = configurations(datasets, in: context)
        for c in configurations {
            let dataset = c.dataset, name = dataset.displayName
            let ids = Self.claims(dataset)
            let titles = [("accuracy against width", "width N"), ("distance to the NNGP readout", "width N")]
            guard let study = try page.study(FrozenWidthResult.self, name: "frozen-width", hash: c.configurationHash, dataset: dataset,
                                             in: context, panels: titles,
                                             claims: [ids.distance, ids.accuracy],
                                             run: { try FrozenWidthStudy.run(c, split: $0) { context.log("table4 \(name): " + $0) } }) else { continue }
            let table = FrozenWidthTable(study)
            rows += table.settingRows(dataset: name)
            page.panels += table.panels(dataset: dataset)
            if let slope = AppendixFAnalysis.widthSlope(study.rows.map { ($0.seed, $0.width, $0.distanceToNNGP) }, logY: true,
                                                        resamples: AppendixFSupport.resamples, seed: context.seed) {
                page.measurements.append(AppendixFSupport.measurement(ids.distance, slope, method: .runBootstrap,
                    detail: "\(name): least-squares slope of log ‖F_N − F_∞‖/‖F_∞‖ (kernel readout test predictions against the NNGP readout's) against log N over widths \(c.widths.map(String.init).joined(separator: ", ")) and \(c.seeds.count) seeds; mean distances \(AppendixFSupport.list(table.meanDistances)) (1/√N would give −0.5); interval: bootstrap over seeds"))
            }
            if let slope = AppendixFAnalysis.widthSlope(study.rows.map { ($0.seed, $0.width, $0.readout.bestTestAccuracy) }, logY: false,
                                                        resamples: AppendixFSupport.resamples, seed: context.seed) {
                page.measurements.append(AppendixFSupport.measurement(ids.accuracy, slope, method: .runBootstrap,
                    detail: "\(name): slope of the best test accuracy of the cross-entropy-trained last layer against log N (per e-fold of width); mean best test accuracies \(table.meanCETest.map { AppendixFSupport.percent($0) }.joined(separator: ", ")) at N = \(c.widths.map(String.init).joined(separator: ", ")); NNGP readout \(AppendixFSupport.percent(table.nngpTest)); interval: bootstrap over seeds"))
            }
            page.notes.append("\(name): study wall time \(NumberText.format(study.wallSeconds)) s.")
        }
        let c = configurations[configurations.count - 1]  // the settings the rows share (they differ only in the dataset)
        return FigureContent(
            figure: PlotFigure(panels: page.panels, columns: 2, panelSize: (330, 240)),
            caption: "Paper Table 4: best train/test accuracy of depth-10 frozen networks (He initialisation N(0, 2/N)) against width on MNIST: 92.6/91.9% at N = 2048, 96.4/95.6% at 10000, 97.6/96.4% at 75000. Reproduced here, one row per dataset (MNIST, then Fashion-MNIST, titled as such): left, best train and test accuracy of the last layer trained on cross-entropy (mean and range over seeds), of the kernel readout of the same frozen layers, and the exact infinite-width row (NNGP kernel readout, dashed); right, the distance of the finite-width readout's test predictions from the NNGP readout's, with a 1/√N reference. Widths \(c.widths.map(String.init).joined(separator: ", ")) (\(context.profile == .quick ? "quick profile" : "full profile; wider does not fit the 1-core-hour budget of --full on this machine"))). The table's rows are under Protocol.",
            protocolSettings: [
                .init("network", "ReLU FFNN, depth \(c.depth), biases, layers 1…L−1 frozen at He initialisation; \(10 * c.trainPerClass) class-balanced training and \(10 * c.testPerClass) test images, standardised; seeds \(c.seeds.map(String.init).joined(separator: ", "))"),
                .init("last layer, cross-entropy", "W_L ~ N(0, 2/N), Adam lr \(c.readout.learningRate), batch \(c.readout.batchSize), until the epoch's mean loss < \(NumberText.format(c.readout.lossThreshold)) or \(c.readout.maxEpochs) epochs; best train/test accuracy over the epochs (the paper's 'max')"),
                .init("kernel readout", "ridge regression on centred one-hot targets with K + 1, K = (2/N)φ(z_{L−1})φ(z_{L−1})ᵀ at width N and the NNGP Σ_L (ReLU arc-cosine recursion, Core/Theory's g) at N = ∞; λ = \(NumberText.format(c.relativeRidge))·tr(K + 1)/n"),
            ] + rows,
            notes: page.notes + ["Why a kernel readout beside the paper's cross-entropy training: training only the last layer on the squared loss to convergence from zero is exactly this regression with the frozen layers' kernel, and its N → ∞ limit is the same regression with the NNGP kernel, computed exactly here; the cross-entropy readout has no closed-form limit, so the infinite-width row is the kernel readout's."],
            measurements: page.measurements, configurationHashes: page.hashes)
    }
}

/// Table 4's rows and panels from one width study.
struct FrozenWidthTable {
    let study: FrozenWidthResult
    let widths: [Int]
    let meanCETrain: [Double], meanCETest: [Double], meanKernelTrain: [Double], meanKernelTest: [Double], meanDistances: [Double]
    let nngpTrain: Double, nngpTest: Double

    init(_ study: FrozenWidthResult) {
        self.study = study
        widths = study.configuration.widths
        func mean(_ width: Int, _ value: (FrozenWidthRow) -> Double) -> Double {
            let rows = study.rows.filter { $0.width == width }
            return rows.reduce(0) { $0 + value($1) } / Double(max(1, rows.count))
        }
        meanCETrain = widths.map { mean($0) { $0.readout.bestTrainAccuracy } }
        meanCETest = widths.map { mean($0) { $0.readout.bestTestAccuracy } }
        meanKernelTrain = widths.map { mean($0) { $0.kernelTrainAccuracy } }
        meanKernelTest = widths.map { mean($0) { $0.kernelTestAccuracy } }
        meanDistances = widths.map { mean($0) { $0.distanceToNNGP } }
        nngpTrain = study.nngpTrainAccuracies.reduce(0, +) / Double(max(1, study.nngpTrainAccuracies.count))
        nngpTest = study.nngpTestAccuracies.reduce(0, +) / Double(max(1, study.nngpTestAccuracies.count))
    }

    func settingRows(dataset: String) -> [FigureResult.Setting] {
        let p = AppendixFSupport.percent
        var rows = widths.indices.map { i in
            FigureResult.Setting("\(dataset), N = \(widths[i])",
                                 "cross-entropy readout: max train \(p(meanCETrain[i])), max test \(p(meanCETest[i])); kernel readout: train \(p(meanKernelTrain[i])), test \(p(meanKernelTest[i])); distance to the N = ∞ readout \(NumberText.format(meanDistances[i]))")
        }
        rows.append(FigureResult.Setting("\(dataset), N = ∞ (NNGP, exact)", "kernel readout: train \(p(nngpTrain)), test \(p(nngpTest)) (mean over \(study.nngpTestAccuracies.count) seeds' subsets: \(study.nngpTestAccuracies.map { p($0) }.joined(separator: ", ")))"))
        return rows
    }

    func panels(dataset: DatasetName) -> [Panel] {
        let x = widths.map(Double.init)
        func band(_ value: (FrozenWidthRow) -> Double) -> (lower: [Double], upper: [Double]) {
            (widths.map { w in study.rows.filter { $0.width == w }.map(value).min() ?? .nan },
             widths.map { w in study.rows.filter { $0.width == w }.map(value).max() ?? .nan })
        }
        func scaled(_ b: (lower: [Double], upper: [Double])) -> (lower: [Double], upper: [Double]) { (b.lower.map { 100 * $0 }, b.upper.map { 100 * $0 }) }
        let span = [x.first! / 1.5, x.last! * 1.5]
        var accuracy = [
            Series(label: "CE readout, max train", x: x, y: meanCETrain.map { 100 * $0 }, style: .line(0, marker: .circle), band: scaled(band { $0.readout.bestTrainAccuracy })),
            Series(label: "CE readout, max test", x: x, y: meanCETest.map { 100 * $0 }, style: .line(1, marker: .circle), band: scaled(band { $0.readout.bestTestAccuracy })),
            Series(label: "kernel readout, test", x: x, y: meanKernelTest.map { 100 * $0 }, style: .line(2, marker: .diamond)),
            Series(label: "N = ∞ (NNGP), test", x: span, y: [100 * nngpTest, 100 * nngpTest], style: SeriesStyle(color: .palette(2), lineWidth: 1.2, dash: [4, 3])),
            Series(label: "N = ∞ (NNGP), train", x: span, y: [100 * nngpTrain, 100 * nngpTrain], style: SeriesStyle(color: .palette(0), lineWidth: 1, dash: [2, 2])),
        ]
        if dataset == .mnist {
            accuracy.append(Series(label: "paper, max test", x: Self.paperWidths, y: FrozenWidthTableFigure.paperRows.map { 100 * $0.test },
                                   style: .scatter(.palette(3), marker: .square)))
        }
        let reference = meanDistances.first.map { d0 in x.map { d0 * (x[0] / $0).squareRoot() } } ?? []
        let distance = [
            Series(label: "‖F_N − F_∞‖/‖F_∞‖ (mean, range over seeds)", x: x, y: meanDistances, style: .line(0, marker: .circle), band: band { $0.distanceToNNGP }),
            Series(label: "∝ 1/√N", x: x, y: reference, style: .reference),
        ]
        return [
            Panel(title: "\(dataset.displayName): accuracy against width", xAxis: .log10("width N"), yAxis: .linear("accuracy (%)"), series: accuracy, legend: .auto),
            Panel(title: "\(dataset.displayName): distance to the N = ∞ readout", xAxis: .log10("width N"), yAxis: .log10("relative distance"), series: distance, legend: .auto),
        ]
    }

    static let paperWidths = FrozenWidthTableFigure.paperRows.map { Double($0.width) }
}
