import Core
import Foundation

// Shared protocol, run handling and analysis of the Alignment Hierarchy
// figures (paper Section 2.3, Figs 1, 2, 7, 9, 10 and Appendix E).

/// The training protocol of the paper's FFNN alignment-hierarchy experiments
/// (Figs 1, 2, 7, 9, 10), in its two sizes.
///
/// Paper: width 256, depth 10 (20 for Fig 1), batch 128, SGD with momentum
/// and weight decay, learning rate 0.003 (Fig 7 caption), He initialisation,
/// biases, cross-entropy. Not in the paper, chosen here: momentum 0.9 and
/// weight decay 5·10⁻⁴ (the usual PyTorch choices); the full-profile stop of
/// Section 4 ("train loss of 0.1", capped at the 100 epochs Tables 1–2 give
/// for depths 10 and 20).
///
/// Every figure builds its runs through ``spec(dataset:depth:learningRate:profile:seed:)``,
/// so two figures that need the same training (Fig 7 Fashion-MNIST and Fig 9
/// at lr 0.003; Fig 2 CIFAR-10 and Fig 10 at lr 0.003) share one cached run.
public enum AlignmentHierarchyProtocol {
    /// Hidden width N of every layer (Figs 2 and 7).
    public static let width = 256
    /// Minibatch size.
    public static let batchSize = 128
    /// SGD momentum μ (an assumption: the paper says only "momentum").
    public static let momentum = 0.9
    /// L2 weight decay λ (an assumption: the paper says only "weight decay").
    public static let weightDecay = 5e-4
    /// The learning rate of Figs 2 and 7.
    public static let figureLearningRate = 0.003
    /// The three learning rates of Figs 9 and 10: 0.05 is the paper's panel (c);
    /// 0.001 and 0.003 are chosen from the range of Tables 1–2 (0.003 is the
    /// rate of Figs 2 and 7, so that run is shared).
    public static let learningRateSweep = [0.001, 0.003, 0.05]
    /// The training loss of Section 4's stopping rule (full profile).
    public static let stoppingLoss = 0.1
    /// The epoch cap (Tables 1–2: 100 epochs at depths 10 and 20).
    public static let fullEpochCap = 100

    /// Training samples per class in the quick profile (class-balanced subset).
    public static let quickTrainPerClass = 500
    /// Epochs in the quick profile.
    public static let quickEpochs = 8
    /// Probe samples per class (training probe and test probe each), quick profile: nk = 10·k·… = 1000.
    public static let quickProbePerClass = 10
    /// Probe samples per class in the full profile.
    public static let fullProbePerClass = 30

    /// The probe size per class of `profile`.
    public static func probePerClass(_ profile: Profile) -> Int {
        profile == .quick ? quickProbePerClass : fullProbePerClass
    }

    /// When A_l is measured: at initialisation, at 5 log-spaced steps per
    /// decade through the first two epochs (1, 2, 3, 4, 6, 10, 16, 25, …), at the
    /// end of every epoch and at the stop; full centring C = I − 11ᵀ/(nk)
    /// (paper Eq. 6).
    public static let schedule = AlignmentSchedule(
        atInitialisation: true, logSpacedStepsPerDecade: 5, logSpacedUntilEpoch: 2,
        everyEpoch: true, atStop: true, centring: .full)

    /// The stopping rule of `profile`.
    public static func stopping(_ profile: Profile) -> StoppingRule {
        profile == .quick ? .epochs(quickEpochs) : .trainLossBelow(threshold: stoppingLoss, maxEpochs: fullEpochCap)
    }

    /// The run of one panel: a depth-`depth`, width-256 ReLU FFNN with biases
    /// on `dataset`, trained with SGD (momentum 0.9, weight decay 5·10⁻⁴,
    /// batch 128) at `learningRate` under `profile`, from `seed`.
    public static func spec(dataset: DatasetName, depth: Int, learningRate: Double, profile: Profile, seed: UInt64) -> RunSpec {
        RunSpec(
            dataset: dataset,
            trainSubsetPerClass: profile == .quick ? quickTrainPerClass : nil,
            probePerClass: probePerClass(profile),
            architecture: RunSpec.architecture(for: dataset, width: width, depth: depth, hasBias: true),
            optimizer: .sgd(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay),
            loss: .crossEntropy,
            batchSize: batchSize,
            stopping: stopping(profile),
            alignment: schedule,
            labelNoiseFraction: 0,
            seed: seed,
            saveFinalWeights: false)
    }

    /// The protocol settings every hierarchy figure lists.
    static func settings(_ profile: Profile) -> [FigureResult.Setting] {
        var settings: [FigureResult.Setting] = [
            .init("protocol", profile == .quick
                  ? "quick: class-balanced subset of \(quickTrainPerClass) training images per class, \(quickEpochs) epochs"
                  : "full (paper): whole training set, stop at the end of the first epoch with mean train loss < \(stoppingLoss) or after \(fullEpochCap) epochs"),
            .init("network", "fully connected ReLU, width \(width), biases, He initialisation (weights N(0, 2/fan-in), biases 0)"),
            .init("optimiser", "SGD, momentum \(momentum), weight decay \(weightDecay) (applied to all parameters)"),
            .init("batch size", "\(batchSize)"),
            .init("loss", "cross-entropy on softmax outputs"),
            .init("input normalisation", "per-channel standardisation with training-set statistics"),
            .init("alignment probes", "\(probePerClass(profile)) images per class from the training samples used, and as many from the test set (nk = \(probePerClass(profile) * 100) for 10 classes)"),
            .init("alignment schedule", "initialisation; steps 1, 2, 3, 4, 6, 10, 16, 25, … (5 per decade) through epoch 2; end of every epoch; stop"),
            .init("centring of A_l", "full, C = I − 11ᵀ/(nk) (paper Eq. 6–7)"),
        ]
        if profile == .quick { settings.append(.init("stopping", "after \(quickEpochs) epochs")) }
        return settings
    }
}

/// Runs the trainings of a hierarchy figure, skipping those whose dataset is absent.
enum HierarchyRuns {
    /// Logs and executes `specs` (see ``FigureContext/execute(stages:)``) and returns one outcome per
    /// spec, in order, read the hierarchy figures' way: a run that fails with a ``DatasetError``,
    /// or that is absent from the cache while its dataset is absent too, reports the dataset as missing.
    /// - Throws: any other error of a run (an interruption, a corrupt cache entry …).
    static func execute(_ specs: [RunSpec], figure: String, in context: FigureContext) throws -> [RunOutcome] {
        context.log("\(figure): \(specs.count) runs (\(specs.map(\.label).joined(separator: "; ")))")
        let outcomes = context.execute(specs)
        if let interruption = outcomes.interruption { throw interruption }
        return try specs.map { spec in
            switch outcomes[spec] {
            case let .failed(error as DatasetError)?:
                return .notRun("\(spec.dataset.displayName) could not be read: \(error.description)")
            case .notInCache?:
                let availability = DatasetLocator.availability(of: spec.dataset, dataDirectory: context.dataDirectory)
                return availability.isPresent ? outcomes[spec]! : .notRun("\(spec.dataset.displayName) is \(availability.description)")
            case let .failed(error)?:
                throw error
            case let outcome?:
                return outcome
            case nil:
                return .notRun("the run was not executed")
            }
        }
    }
}

extension AlignmentHierarchyAnalysis {
    /// The A_l values formatted "l: value" with three decimals, for notes and details.
    static func describe(_ alignments: [Double]) -> String {
        alignments.enumerated().map { "A_\($0.offset + 1) = \(String(format: "%.3f", $0.element))" }.joined(separator: ", ")
    }
}

/// The panels shared by the hierarchy figures.
enum HierarchyPanels {
    /// Colour bar for one curve per layer 1…L.
    static func layerColorBar(depth: Int) -> ColorBarSpec {
        let ticks: [Double] = depth <= 10 ? (1...depth).map(Double.init) : stride(from: 1, through: depth, by: max(1, depth / 5)).map(Double.init)
        return ColorBarSpec(colormap: .viridis, range: 1...Double(max(depth, 2)), label: "layer l", ticks: ticks)
    }

    /// Train loss (and test loss) per epoch against SGD iterations on a log axis.
    static func loss(_ record: RunRecord?, title: String) -> Panel {
        guard let record else {
            return Panel(title: title, xAxis: .log10("SGD iterations"), yAxis: .log10("loss"))
        }
        let steps = record.epochs.map { Double($0.step) }
        return Panel(
            title: title, xAxis: .log10("SGD iterations"), yAxis: .log10("loss"),
            series: [
                Series(label: "train (epoch mean)", x: steps, y: record.epochs.map(\.trainLoss), style: .line(0, marker: .circle)),
                Series(label: "test", x: steps, y: record.epochs.map(\.testLoss), style: .line(1, marker: .square)),
            ],
            legend: .auto)
    }

    /// A_l against SGD iterations + 1 (so that initialisation sits at 1 on the
    /// log axis): one curve per layer coloured by l, solid for the training
    /// probe and thin dashed for the test probe when `showsTestProbe`.
    static func alignmentProgress(_ record: RunRecord?, title: String, depth: Int, showsTestProbe: Bool = true) -> Panel {
        let bar = layerColorBar(depth: depth)
        let xAxis = Axis.log10("SGD iterations + 1")
        let yAxis = Axis.linear("A_{l}")
        guard let record, !record.alignments.isEmpty else {
            return Panel(title: title, xAxis: xAxis, yAxis: yAxis, colorBar: bar)
        }
        let steps = record.alignments.map { Double($0.step + 1) }
        var series: [Series] = []
        if showsTestProbe {
            for layer in 0..<depth {
                series.append(Series(
                    x: steps, y: record.alignments.map { layer < $0.testProbe.count ? $0.testProbe[layer] : .nan },
                    style: SeriesStyle(color: bar.color(for: Double(layer + 1)).withAlpha(0.8), lineWidth: 0.8, dash: [3, 2])))
            }
        }
        for layer in 0..<depth {
            series.append(Series(
                x: steps, y: record.alignments.map { layer < $0.trainProbe.count ? $0.trainProbe[layer] : .nan },
                style: SeriesStyle(color: bar.color(for: Double(layer + 1)), lineWidth: 1.4)))
        }
        var annotations: [TextAnnotation] = []
        if showsTestProbe {
            annotations.append(TextAnnotation(text: "solid: train probe, dashed: test probe", position: .relative(x: 0.03, y: 0.95), anchor: .topLeft, color: .gray, fontSize: 7))
        }
        return Panel(title: title, xAxis: xAxis, yAxis: yAxis, series: series, annotations: annotations,
                     legend: .none, colorBar: bar)
    }

    /// Final A_l against the layer index l, for the training and test probes,
    /// with the initial profile dotted.
    static func finalProfile(_ record: RunRecord?, title: String, depth: Int) -> Panel {
        let xAxis = Axis.linear("layer l", range: 0.5...(Double(depth) + 0.5))
        let yAxis = Axis.linear("A_{l}")
        guard let record, let last = record.finalAlignment else {
            return Panel(title: title, xAxis: xAxis, yAxis: yAxis)
        }
        let layers = (1...last.trainProbe.count).map(Double.init)
        var series = [
            Series(label: "end, train probe", x: layers, y: last.trainProbe, style: .line(0, marker: .circle)),
            Series(label: "end, test probe", x: layers, y: last.testProbe, style: .line(1, marker: .square)),
        ]
        if let first = record.alignments.first, first.step == 0 {
            series.append(Series(label: "initialisation", x: layers, y: first.trainProbe,
                                 style: SeriesStyle(color: .gray, lineWidth: 1, dash: [1.5, 2], marker: .circle, markerSize: 3)))
        }
        return Panel(title: title, xAxis: xAxis, yAxis: yAxis, series: series, legend: .auto)
    }

    /// Final A_l (training probe) against l for several runs, one colour each.
    static func finalProfiles(_ runs: [(label: String, record: RunRecord?)], title: String, depth: Int) -> Panel {
        let xAxis = Axis.linear("layer l", range: 0.5...(Double(depth) + 0.5))
        var series: [Series] = []
        for (index, run) in runs.enumerated() {
            guard let last = run.record?.finalAlignment else { continue }
            let layers = (1...last.trainProbe.count).map(Double.init)
            series.append(Series(label: run.label, x: layers, y: last.trainProbe, style: .line(index, marker: .circle)))
        }
        return Panel(title: title, xAxis: xAxis, yAxis: .linear("A_{l} (train probe, end)"), series: series, legend: .auto)
    }
}

/// The claim measurements shared by the hierarchy figures.
enum HierarchyClaims {
    /// ``hierarchy(_:_:)`` under the run's own centring (Eq. 6), then, as its sensitivity twin
    /// (``ClaimID/perOutputCentringTwin``), under per-output centring from the same records.
    static func hierarchyBothCentrings(_ claimId: ClaimID, _ runs: [(label: String, outcome: RunOutcome)]) -> [ClaimMeasurement] {
        var result = [hierarchy(claimId, runs)]
        if let twin = claimId.perOutputCentringTwin {
            result.append(hierarchy(twin, runs.map { ($0.label, $0.outcome.recentred(.perOutput)) }))
        }
        return result
    }

    /// ``earlyRise(_:label:_:)`` under both centrings, as ``hierarchyBothCentrings(_:_:)``.
    static func earlyRiseBothCentrings(_ claimId: ClaimID, label: String, _ outcome: RunOutcome) -> [ClaimMeasurement] {
        var result = [earlyRise(claimId, label: label, outcome)]
        if let twin = claimId.perOutputCentringTwin {
            result.append(earlyRise(twin, label: label, outcome.recentred(.perOutput)))
        }
        return result
    }

    /// "The layer with the largest final alignment is a hidden layer, for
    /// every run": the fraction of `runs` with 1 < argmax_l A_l < L (training
    /// probe), with each run's peak layer in the detail. Not run when no run
    /// has data; runs without data are named in the detail.
    static func hierarchy(_ claimId: ClaimID, _ runs: [(label: String, outcome: RunOutcome)]) -> ClaimMeasurement {
        let finished = runs.compactMap { run in run.outcome.record.map { (run.label, $0) } }
        let missing = runs.compactMap { run in run.outcome.missingReason.map { (run.label, $0) } }
        guard !finished.isEmpty else {
            return ClaimMeasurement(claimId: claimId, notRunBecause: missing.map { "\($0.0): \($0.1)" }.joined(separator: " "))
        }
        var hidden = 0
        var parts: [String] = []
        for (label, record) in finished {
            guard let last = record.finalAlignment else {
                parts.append("\(label): no final alignment")
                continue
            }
            let train = last.trainProbe
            let ok = AlignmentHierarchyAnalysis.peaksAtHiddenLayer(train)
            if ok { hidden += 1 }
            let peak = PeakLayer.index(of: train).map(String.init) ?? "—"
            let testPeak = PeakLayer.index(of: last.testProbe).map(String.init) ?? "—"
            parts.append("\(label): peak at layer \(peak) of \(train.count) (test probe: \(testPeak))\(ok ? "" : " — not a hidden layer")")
        }
        var detail = "runs whose largest final A_l (train probe) is at a hidden layer: \(hidden) of \(finished.count); " + parts.joined(separator: "; ")
        if !missing.isEmpty {
            detail += ". Not run: " + missing.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
        }
        let uncached = runs.filter { $0.outcome.isNotCached }.map(\.label)
        let partial = uncached.isEmpty ? nil
            : "partial result from \(finished.count) of \(runs.count) planned runs (--cached-only; not yet trained: \(uncached.joined(separator: ", ")))"
        // One run per configuration (the runs differ in dataset or learning rate, not in seed): no interval.
        let uncertainty: Uncertainty = finished.count == 1 ? .singleRun : .notEstimated(runs: finished.count)
        return ClaimMeasurement(claimId: claimId, value: Double(hidden) / Double(finished.count), uncertainty: uncertainty,
                                detail: detail, partialBecause: partial)
    }

    /// "Most of the increase of the peak layer's alignment happens in the first
    /// epochs": the fraction (A(2) − A(0)) / (A(end) − A(0)) of the peak layer
    /// (training probe), 0 when the alignment did not rise at all.
    static func earlyRise(_ claimId: ClaimID, label: String, _ outcome: RunOutcome) -> ClaimMeasurement {
        guard let record = outcome.record else {
            return ClaimMeasurement(claimId: claimId, notRunBecause: outcome.missingReason ?? "the run did not finish")
        }
        guard let rise = AlignmentHierarchyAnalysis.earlyRise(record) else {
            return ClaimMeasurement(claimId: claimId, notRunBecause: "\(label): the run has no alignment at initialisation and at the end")
        }
        let numbers = "A_\(rise.peakLayer): \(String(format: "%.3f", rise.initial)) at initialisation, \(String(format: "%.3f", rise.atEpoch)) after epoch \(rise.epoch) (step \(rise.epoch * record.stepsPerEpoch)), \(String(format: "%.3f", rise.final)) at the end (epoch \(record.epochCount), step \(record.totalSteps))"
        guard let fraction = rise.fraction else {
            return ClaimMeasurement(claimId: claimId, value: 0, uncertainty: .singleRun, detail: "\(label): the peak layer's alignment did not increase (\(numbers)); reported as 0")
        }
        return ClaimMeasurement(claimId: claimId, value: fraction, uncertainty: .singleRun,
                                detail: "\(label): fraction of the peak layer's total rise reached by the end of epoch \(rise.epoch) = \(String(format: "%.3f", fraction)); \(numbers)")
    }
}
