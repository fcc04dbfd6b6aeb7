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
    /// What is swept.
    let sweepDescription: String
    /// The runs of the panels.
    let specs: @Sendable (Profile, UInt64) -> [RunSpec]
    /// The panel title of one run.
    let panelTitle: @Sendable (RunSpec) -> String

    public func content(in context: FigureContext) throws -> FigureContent {
        let profile = context.profile
        let panelSpecs = specs(profile, context.seed)
        let comparison = id == "fig13" ? FFNNSweepFigure.fig12.specs(profile, context.seed) : []
        let outcomes = try HierarchyRuns.execute(panelSpecs + comparison, figure: id, in: context)
        let cells = zip(panelSpecs + comparison, outcomes).map { GridCell(spec: $0, outcome: $1) }
        let shown = Array(cells.prefix(panelSpecs.count))
        let scales = GridPanels.Scales(shown)
        let panels = shown.enumerated().map { index, cell -> Panel in
            var title = panelTitle(cell.spec)
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

extension FFNNSweepFigure {
    private typealias P = HyperparameterGridProtocol

    /// Fig 11 analogue: SGD at three learning rates for a fixed epoch budget.
    public static let fig11 = FFNNSweepFigure(
        id: "fig11", title: "FFNN analogue of Fig 11: SGD at three learning rates, fixed epoch budget (Fashion-MNIST)",
        paperReference: "Figure 11, Appendix E",
        paperCaption: "“VGG19 trained with SGD (with momentum and weight decay) for 100 epochs on CIFAR100 dataset with three different learning rates … training should be stopped at fixed training loss, as 100 epochs may not allow for convergence with the smaller learning rates.”",
        paperSetting: "VGG19 on CIFAR-100", paperDatasets: [.cifar100],
        sweepDescription: "SGD, batch \(P.sweepBatchSize), learning rates \(P.fig11LearningRates.map { "\($0)" }.joined(separator: ", ")), a fixed budget of 100 epochs (full; 30 in quick), no loss threshold",
        specs: { profile, seed in
            P.fig11LearningRates.map { P.spec(batchSize: P.sweepBatchSize, optimizer: P.sgd($0), profile: profile, seed: seed, stopping: .epochs(P.fig11Epochs(profile))) }
        },
        panelTitle: { "SGD lr \($0.optimizer.learningRate)" })

    /// Fig 12 analogue: SGD at four learning rates until train loss 0.1 (the grid's batch-128 row).
    public static let fig12 = FFNNSweepFigure(
        id: "fig12", title: "FFNN analogue of Fig 12: SGD at four learning rates until train loss 0.1 (Fashion-MNIST)",
        paperReference: "Figure 12, Appendix E",
        paperCaption: "“VGG19 trained with SGD (with momentum and weight decay) until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with three different learning rates (lr).” (its panels show four: 0.0005, 0.001, 0.0032, 0.01)",
        paperSetting: "VGG19 on CIFAR-10", paperDatasets: [.cifar10],
        sweepDescription: "SGD, batch \(P.sweepBatchSize), learning rates \(P.learningRates.map { "\($0)" }.joined(separator: ", ")) (the batch-\(P.sweepBatchSize) row of the Fig 4(a) grid, shared runs), until train loss < 0.1 or the epoch cap",
        specs: { profile, seed in P.learningRates.map { P.spec(batchSize: P.sweepBatchSize, optimizer: P.sgd($0), profile: profile, seed: seed) } },
        panelTitle: { "SGD lr \($0.optimizer.learningRate)" })

    /// Fig 13 analogue: Adam at three learning rates until train loss 0.1.
    public static let fig13 = FFNNSweepFigure(
        id: "fig13", title: "FFNN analogue of Fig 13: Adam at three learning rates until train loss 0.1 (Fashion-MNIST)",
        paperReference: "Figure 13, Appendix E",
        paperCaption: "“VGG19 trained with ADAM until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with three different learning rates (lr). Note that ADAM exhibits worse gen. error and less salient alignment patterns.”",
        paperSetting: "VGG19 on CIFAR-10", paperDatasets: [.cifar10],
        sweepDescription: "Adam, batch \(P.sweepBatchSize), learning rates \(P.adamLearningRates.map { "\($0)" }.joined(separator: ", ")) (the paper's), until train loss < 0.1 or the epoch cap; compared with the SGD runs of the Fig 12 analogue",
        specs: { profile, seed in P.adamLearningRates.map { P.spec(batchSize: P.sweepBatchSize, optimizer: .defaultAdam(learningRate: $0), profile: profile, seed: seed) } },
        panelTitle: { "Adam lr \($0.optimizer.learningRate)" })

    /// Fig 14 analogue: four batch sizes until train loss 0.1 (the grid's lr-0.01 column).
    public static let fig14 = FFNNSweepFigure(
        id: "fig14", title: "FFNN analogue of Fig 14: four batch sizes until train loss 0.1 (Fashion-MNIST)",
        paperReference: "Figure 14, Appendix E",
        paperCaption: "“VGG19 trained with SGD (with momentum and weight decay) until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with four different batch sizes (bs).” (32, 128, 512, 2048)",
        paperSetting: "VGG19 on CIFAR-10", paperDatasets: [.cifar10],
        sweepDescription: "SGD, learning rate \(P.batchSweepLearningRate), batch sizes \(P.batchSizes.map(String.init).joined(separator: ", ")) (the paper's; the lr-\(P.batchSweepLearningRate) column of the Fig 4(a) grid, shared runs), until train loss < 0.1 or the epoch cap",
        specs: { profile, seed in P.batchSizes.map { P.spec(batchSize: $0, optimizer: P.sgd(P.batchSweepLearningRate), profile: profile, seed: seed) } },
        panelTitle: { "bs \($0.batchSize)" })

    /// Fig 15 analogue: SGD at the paper's four ResNet18 learning rates until train loss 0.1.
    public static let fig15 = FFNNSweepFigure(
        id: "fig15", title: "FFNN analogue of Fig 15: SGD at four learning rates until train loss 0.1 (Fashion-MNIST)",
        paperReference: "Figure 15, Appendix E",
        paperCaption: "“ResNet18 trained with SGD (with momentum and weight decay) until convergence (train loss reaches 0.1) epochs on CIFAR10 dataset with four different learning rates (lr).” (0.001, 0.003, 0.01, 0.02)",
        paperSetting: "ResNet18 on CIFAR-10", paperDatasets: [.cifar10],
        sweepDescription: "SGD, batch \(P.sweepBatchSize), learning rates \(P.fig15LearningRates.map { "\($0)" }.joined(separator: ", ")) (the paper's; three shared with the Fig 4(a) grid), until train loss < 0.1 or the epoch cap",
        specs: { profile, seed in P.fig15LearningRates.map { P.spec(batchSize: P.sweepBatchSize, optimizer: P.sgd($0), profile: profile, seed: seed) } },
        panelTitle: { "SGD lr \($0.optimizer.learningRate)" })
}
