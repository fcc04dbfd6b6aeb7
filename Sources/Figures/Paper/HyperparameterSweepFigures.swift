import Core
import Foundation

/// FFNN analogues on Fashion-MNIST of the paper's Figs 11–15 (Appendix E), which train VGG19 and
/// ResNet18 on CIFAR-10/100: a learning-rate sweep with SGD at a fixed epoch budget (Fig 11), SGD
/// learning-rate sweeps until train loss 0.1 (Figs 12, 15), Adam at three learning rates (Fig 13) and
/// a batch-size sweep (Fig 14). Each panel is drawn as a cell of Fig 4(a): final A_l against l on a
/// background coloured by the final test loss, the loss gap top left. The conv/CIFAR panels are
/// listed as not run with the reason.
public struct FFNNSweepFigure: FigureSpec {
    public let id: String
    public let title: String
    public let paperReference: String
    public let datasets: [DatasetName] = [.fashionMNIST]
    /// The paper's caption, quoted.
    let paperCaption: String
    /// The network and dataset of the paper's panels (not run here).
    let paperSetting: String
    /// The datasets of the paper's panels (to say whether they are on this machine).
    let paperDatasets: [DatasetName]
    /// What is swept, one panel per value.
    let axis: SweepAxis
    /// Where the values come from and which runs are shared, in words.
    let remark: String

    /// One figure of Appendix E: `number` is the paper's figure number, `subject` what it sweeps.
    init(number: Int, subject: String, paperCaption: String, paperSetting: String, paperDatasets: [DatasetName],
         axis: SweepAxis, remark: String) {
        id = "fig\(number)"
        title = "FFNN analogue of Fig \(number): \(subject) (Fashion-MNIST)"
        paperReference = "Figure \(number), Appendix E"
        self.paperCaption = paperCaption
        self.paperSetting = paperSetting
        self.paperDatasets = paperDatasets
        self.axis = axis
        self.remark = remark
    }

    /// What is swept, with the settings held fixed.
    var sweepDescription: String { axis.description + " (" + remark + "), " + axis.stoppingDescription }

    /// The runs of the panels.
    func specs(_ profile: Profile, _ seed: UInt64) -> [RunSpec] { axis.specs(profile: profile, seed: seed) }

    public func content(in context: FigureContext) throws -> FigureContent {
        let profile = context.profile
        let panelSpecs = specs(profile, context.seed)
        let comparison = id == "fig13" ? FFNNSweepFigure.fig12.specs(profile, context.seed) : []
        let outcomes = try HierarchyRuns.execute(panelSpecs + comparison, figure: id, in: context)
        let cells = zip(panelSpecs + comparison, outcomes).map { GridCell(spec: $0, outcome: $1) }
        let shown = Array(cells.prefix(panelSpecs.count))
        let scales = GridPanels.Scales(shown)
        let panels = shown.enumerated().map { index, cell -> Panel in
            var title = axis.panelTitle(cell.spec)
            if let gap = cell.lossGap, let accuracy = cell.accuracyGap, gap.isFinite {
                title += String(format: ", acc gap %.1f%%", accuracy)
            }
            return GridPanels.cell(cell, title: title, scales: scales, showsColorBar: index == shown.count - 1)
        }
        let plot = PlotFigure(panels: panels, columns: panels.count, panelSize: (220, 180),
                              title: "FFNN analogue of \(paperReference.components(separatedBy: ",").first ?? id) (Fashion-MNIST)",
                              panelLetters: true)
        var measurements: [ClaimMeasurement] = []
        if id == "fig13" {
            measurements.append(Self.saliency(sgd: Array(cells.dropFirst(panelSpecs.count)), adam: shown, seed: context.seed))
        }
        let paperPanels = paperDatasets.map { dataset -> String in
            let availability = DatasetLocator.availability(of: dataset, dataDirectory: context.dataDirectory)
            let state = availability.isPresent ? "present" : availability.description
            return "\(dataset.displayName) is " + (state.hasSuffix(".") ? String(state.dropLast()) : state)
        }.joined(separator: "; ")
        return FigureContent(
            figure: plot,
            caption: """
                FFNN ANALOGUE of paper \(paperReference): \(paperCaption) Reproduced here on a fully connected network on Fashion-MNIST, \
                not on \(paperSetting): \(sweepDescription). Each panel draws the final A_l (paper Eq. 7) against l on the training \
                probe (white on black) and the test probe (dashed); background = final test loss (colour bar), top left = loss gap \
                (test − train loss), top right = how the run ended; titles give the train − test accuracy gap. \
                \(HyperparameterGridProtocol.profileText(profile)). The paper's panels (\(paperSetting)) are not run: this engine has no \
                convolutional networks.
                """,
            protocolSettings: [.init("sweep", sweepDescription)] + HyperparameterGridProtocol.settings(profile, seed: context.seed),
            notes: GridText.commonNotes(profile) + [
                "The paper's panels — \(paperSetting) — are not run: this engine trains fully connected networks only (no convolutional layers); \(paperPanels).",
            ] + cells.map(GridText.cellNote),
            measurements: measurements,
            configurationHashes: cells.compactMap { $0.record?.configurationHash })
    }

    /// Fig 13's claim: mean saliency of the SGD runs minus that of the Adam runs.
    static func saliency(sgd: [GridCell], adam: [GridCell], seed: UInt64) -> ClaimMeasurement {
        let claim = ClaimID.fig13SaliencySGDMinusAdam
        let sgdValues = sgd.compactMap { $0.isUsable ? $0.peak?.saliency : nil }
        let adamValues = adam.compactMap { $0.isUsable ? $0.peak?.saliency : nil }
        guard let result = MeanDifference.withBootstrap(sgdValues, adamValues, resamples: GridClaims.resamples, seed: seed, label: claim.rawValue) else {
            return ClaimMeasurement(claimId: claim, notRunBecause: "no finished SGD or Adam run with finite losses (\(sgd.count + adam.count) planned)")
        }
        func meanHeight(_ cells: [GridCell]) -> Double {
            let heights = cells.filter(\.isUsable).compactMap { $0.peak?.height }
            return heights.isEmpty ? .nan : heights.reduce(0, +) / Double(heights.count)
        }
        func list(_ cells: [GridCell]) -> String {
            cells.map { cell in "lr \(cell.spec.optimizer.learningRate): " + (cell.peak.map { String(format: "%.3f", $0.saliency) } ?? "—") + " (\(cell.status))" }
                .joined(separator: ", ")
        }
        let detail = String(format: "mean saliency max_l A_l / mean_l A_l: SGD %.3f − Adam %.3f = %.3f; ", result.value + adamValues.reduce(0, +) / Double(adamValues.count),
                            adamValues.reduce(0, +) / Double(adamValues.count), result.value)
            + "SGD (batch 128) " + list(sgd) + "; Adam (batch 128) " + list(adam)
            + "; for comparison, mean peak height max_l A_l: " + String(format: "SGD %.3f, Adam %.3f", meanHeight(sgd), meanHeight(adam))
        let missing = (sgd + adam).filter { $0.record == nil }.count
        return ClaimMeasurement(claimId: claim, value: result.value,
                                uncertainty: .bootstrap(.runBootstrap, result.interval, sampleSize: sgdValues.count + adamValues.count),
                                detail: detail,
                                partialBecause: missing == 0 ? nil : "partial result: \(missing) of \(sgd.count + adam.count) runs missing")
    }
}

/// The hyperparameter a sweep figure varies, one panel per value; everything else is the grid's
/// (``HyperparameterGridProtocol``): batch 128 for a learning-rate sweep, SGD at 0.01 for a batch sweep.
struct SweepAxis: Sendable {
    enum Values: Sendable {
        case sgdLearningRates([Double])
        case adamLearningRates([Double])
        case batchSizes([Int])
    }

    let values: Values
    /// Train for a fixed number of epochs (Fig 11) instead of until train loss 0.1.
    var fixedBudget = false

    private typealias P = HyperparameterGridProtocol

    func specs(profile: Profile, seed: UInt64) -> [RunSpec] {
        let stopping: StoppingRule? = fixedBudget ? .epochs(P.fig11Epochs(profile)) : nil
        func spec(_ batchSize: Int, _ optimizer: OptimizerSettings) -> RunSpec {
            P.spec(batchSize: batchSize, optimizer: optimizer, profile: profile, seed: seed, stopping: stopping)
        }
        switch values {
        case let .sgdLearningRates(rates): return rates.map { spec(P.sweepBatchSize, P.sgd($0)) }
        case let .adamLearningRates(rates): return rates.map { spec(P.sweepBatchSize, .defaultAdam(learningRate: $0)) }
        case let .batchSizes(sizes): return sizes.map { spec($0, P.sgd(P.batchSweepLearningRate)) }
        }
    }

    func panelTitle(_ spec: RunSpec) -> String {
        switch values {
        case .sgdLearningRates: return "SGD lr \(spec.optimizer.learningRate)"
        case .adamLearningRates: return "Adam lr \(spec.optimizer.learningRate)"
        case .batchSizes: return "bs \(spec.batchSize)"
        }
    }

    var description: String {
        func list(_ rates: [Double]) -> String { rates.map { "\($0)" }.joined(separator: ", ") }
        switch values {
        case let .sgdLearningRates(rates): return "SGD, batch \(P.sweepBatchSize), learning rates \(list(rates))"
        case let .adamLearningRates(rates): return "Adam, batch \(P.sweepBatchSize), learning rates \(list(rates))"
        case let .batchSizes(sizes):
            return "SGD, learning rate \(P.batchSweepLearningRate), batch sizes \(sizes.map(String.init).joined(separator: ", "))"
        }
    }

    var stoppingDescription: String {
        fixedBudget ? "a fixed budget of 100 epochs (full; 30 in quick), no loss threshold" : "until train loss < 0.1 or the epoch cap"
    }
}

extension FFNNSweepFigure {
    private typealias P = HyperparameterGridProtocol

    /// Fig 11 analogue: SGD at three learning rates for a fixed epoch budget.
    public static let fig11 = FFNNSweepFigure(
        number: 11, subject: "SGD at three learning rates, fixed epoch budget",
        paperCaption: "“VGG19 trained with SGD (with momentum and weight decay) for 100 epochs on CIFAR100 dataset with three different learning rates … training should be stopped at fixed training loss, as 100 epochs may not allow for convergence with the smaller learning rates.”",
        paperSetting: "VGG19 on CIFAR-100", paperDatasets: [.cifar100],
        axis: SweepAxis(values: .sgdLearningRates(P.fig11LearningRates), fixedBudget: true),
        remark: "rates of the Fig 4(a) grid, own runs")

    /// Fig 12 analogue: SGD at four learning rates until train loss 0.1 (the grid's batch-128 row).
    public static let fig12 = FFNNSweepFigure(
        number: 12, subject: "SGD at four learning rates until train loss 0.1",
        paperCaption: "“VGG19 trained with SGD (with momentum and weight decay) until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with three different learning rates (lr).” (its panels show four: 0.0005, 0.001, 0.0032, 0.01)",
        paperSetting: "VGG19 on CIFAR-10", paperDatasets: [.cifar10],
        axis: SweepAxis(values: .sgdLearningRates(P.learningRates)),
        remark: "the batch-\(P.sweepBatchSize) row of the Fig 4(a) grid, shared runs")

    /// Fig 13 analogue: Adam at three learning rates until train loss 0.1.
    public static let fig13 = FFNNSweepFigure(
        number: 13, subject: "Adam at three learning rates until train loss 0.1",
        paperCaption: "“VGG19 trained with ADAM until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with three different learning rates (lr). Note that ADAM exhibits worse gen. error and less salient alignment patterns.”",
        paperSetting: "VGG19 on CIFAR-10", paperDatasets: [.cifar10],
        axis: SweepAxis(values: .adamLearningRates(P.adamLearningRates)),
        remark: "the paper's; compared with the SGD runs of the Fig 12 analogue")

    /// Fig 14 analogue: four batch sizes until train loss 0.1 (the grid's lr-0.01 column).
    public static let fig14 = FFNNSweepFigure(
        number: 14, subject: "four batch sizes until train loss 0.1",
        paperCaption: "“VGG19 trained with SGD (with momentum and weight decay) until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with four different batch sizes (bs).” (32, 128, 512, 2048)",
        paperSetting: "VGG19 on CIFAR-10", paperDatasets: [.cifar10],
        axis: SweepAxis(values: .batchSizes(P.batchSizes)),
        remark: "the paper's; the lr-\(P.batchSweepLearningRate) column of the Fig 4(a) grid, shared runs")

    /// Fig 15 analogue: SGD at the paper's four ResNet18 learning rates until train loss 0.1.
    public static let fig15 = FFNNSweepFigure(
        number: 15, subject: "SGD at four learning rates until train loss 0.1",
        paperCaption: "“ResNet18 trained with SGD (with momentum and weight decay) until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with four different learning rates (lr).” (0.001, 0.003, 0.01, 0.02)",
        paperSetting: "ResNet18 on CIFAR-10", paperDatasets: [.cifar10],
        axis: SweepAxis(values: .sgdLearningRates(P.fig15LearningRates)),
        remark: "the paper's; three shared with the Fig 4(a) grid")
}
