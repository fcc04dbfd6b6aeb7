import Core
import Foundation

/// Paper Fig 4(a) (Section 4): the alignment hierarchy of a Fashion-MNIST FFNN over a grid of batch
/// sizes × SGD learning rates. Each cell draws the final A_l against l, its background coloured by
/// the final test loss (one colour bar for the grid), the loss gap in its top-left corner and how the
/// run ended in its top-right corner (capped and diverged cells are drawn and marked). Panels (b, c)
/// (ResNet18, VGG19 on CIFAR-10) are not run: the engine has no convolutional networks.
public struct Fig4Figure: FigureSpec {
    public let id = "fig4"
    public let title = "Alignment hierarchy against batch size and learning rate (Fashion-MNIST FFNN)"
    public let paperReference = "Figure 4(a), Section 4"
    public let datasets: [DatasetName] = [.fashionMNIST]

    public func content(in context: FigureContext) throws -> FigureContent {
        let profile = context.profile
        let specs = HyperparameterGridProtocol.gridSpecs(profile: profile, seed: context.seed)
        let outcomes = try HierarchyRuns.execute(specs, figure: id, in: context)
        let cells = zip(specs, outcomes).map { GridCell(spec: $0, outcome: $1) }
        let columns = HyperparameterGridProtocol.learningRates.count
        let scales = GridPanels.Scales(cells)
        let panels = cells.enumerated().map { index, cell in
            GridPanels.cell(cell, title: "bs \(cell.spec.batchSize), lr \(cell.spec.optimizer.learningRate)", scales: scales,
                            showsColorBar: index % columns == columns - 1)
        }
        let plot = PlotFigure(panels: panels, columns: columns, panelSize: (200, 160),
                              title: "Fig 4(a): Fashion-MNIST FFNN, batch size (rows) × learning rate (columns)", panelLetters: false)
        let measurements = GridClaims.fig4(cells, seed: context.seed)
        let usedHashes = cells.compactMap { $0.record?.configurationHash }
        return FigureContent(
            figure: plot,
            caption: """
                Paper Fig 4(a): alignment hierarchy as a function of batch size and learning rate, Fashion-MNIST on an FFNN; background = \
                final test loss, number in the top-left corner = generalisation loss gap (test − train loss); each model stopped after a \
                train loss of 0.1 or \(HyperparameterGridProtocol.epochCap(profile)) epochs, whichever was sooner. Reproduced here: rows \
                = batch sizes \(HyperparameterGridProtocol.batchSizes.map(String.init).joined(separator: ", ")), columns = SGD learning \
                rates \(HyperparameterGridProtocol.learningRates.map { "\($0)" }.joined(separator: ", ")); each cell draws the final A_l \
                (paper Eq. 7) against l on the training probe (white on black) and the test probe (dashed), its background the final test \
                loss on the shared colour bar (grey: no finite loss), the loss gap top left and how the run ended top right (CAPPED: the \
                epoch cap came first; DIVERGED: a non-finite loss). \(HyperparameterGridProtocol.profileText(profile)). Panels (b, c), \
                ResNet18 and VGG19 on CIFAR-10, are not run: this engine has no convolutional networks.
                """,
            protocolSettings: [
                .init("grid", "batch sizes \(HyperparameterGridProtocol.batchSizes.map(String.init).joined(separator: ", ")) × SGD learning rates \(HyperparameterGridProtocol.learningRates.map { "\($0)" }.joined(separator: ", ")) (\(specs.count) cells)"),
            ] + HyperparameterGridProtocol.settings(profile, seed: context.seed),
            notes: GridText.commonNotes(profile) + [
                "Panels (b) ResNet18 and (c) VGG19 on CIFAR-10: not run — this engine trains fully connected networks only (no convolutional layers).",
                "The paper does not give Fig 4(a)'s depth, width or grid values: the batch sizes are those of its Fig 14, the learning rates half-decades around the 0.003 of Figs 2 and 7 (docs/grids.md).",
            ] + cells.map(GridText.cellNote),
            measurements: measurements,
            configurationHashes: usedHashes)
    }
}

/// The panels of the grid figures.
enum GridPanels {
    /// The ranges shared by every cell of a figure, so that cells compare at a glance.
    struct Scales {
        var depth: Int
        var alignmentMax: Double
        var testLoss: ClosedRange<Double>

        init(_ cells: [GridCell]) {
            depth = cells.compactMap { $0.alignments?.count }.max() ?? 1
            let peaks = cells.compactMap { $0.record?.finalAlignment }.flatMap { $0.trainProbe + $0.testProbe }.filter(\.isFinite)
            alignmentMax = max(0.05, (peaks.max() ?? 0.1) * 1.15)
            let losses = cells.filter(\.isUsable).compactMap(\.testLoss)
            if let low = losses.min(), let high = losses.max(), high > low {
                testLoss = low...high
            } else {
                let value = losses.first ?? 1
                testLoss = (value * 0.9)...(value * 1.1 + 1e-9)
            }
        }
    }

    /// One cell: final A_l against l on a background coloured by the test loss.
    static func cell(_ cell: GridCell, title: String, scales: Scales, showsColorBar: Bool) -> Panel {
        let xRange = 0.5...(Double(scales.depth) + 0.5)
        let yRange = 0...scales.alignmentMax
        let xAxis = Axis.linear("layer l", range: xRange)
        let yAxis = Axis.linear("A_{l}", range: yRange)
        let background = cell.isUsable ? (cell.testLoss ?? .nan) : .nan
        var heat = HeatMap(cells: [HeatCell(x: xRange, y: yRange, value: background)], colormap: .viridis,
                           valueRange: scales.testLoss, colorBarLabel: "final test loss")
        heat.showsColorBar = showsColorBar
        guard let record = cell.record, let last = record.finalAlignment else {
            return Panel(title: title + " (\(cell.status))", xAxis: xAxis, yAxis: yAxis, heatMap: heat,
                         annotations: [TextAnnotation(text: cell.status, position: .relative(x: 0.5, y: 0.5), anchor: .center, color: .ink, fontSize: 9)],
                         legend: .none)
        }
        let layers = (1...last.trainProbe.count).map(Double.init)
        let backgroundColor = PlotColor.fromColormap(.viridis, value: background, range: scales.testLoss)
        let luminance = 0.2126 * backgroundColor.r + 0.7152 * backgroundColor.g + 0.0722 * backgroundColor.b
        let textColor: PlotColor = luminance > 0.5 ? .ink : .white
        let series = [
            Series(x: layers, y: last.testProbe, style: SeriesStyle(color: textColor.withAlpha(0.8), lineWidth: 1, dash: [3, 2])),
            Series(x: layers, y: last.trainProbe, style: SeriesStyle(color: .ink, lineWidth: 3.2)),
            Series(x: layers, y: last.trainProbe, style: SeriesStyle(color: .white, lineWidth: 1.5, marker: .circle, markerSize: 3)),
        ]
        let gap = cell.lossGap.map { $0.isFinite ? String(format: "gap %.3f", $0) : "gap —" } ?? "gap —"
        let annotations = [
            TextAnnotation(text: gap, position: .relative(x: 0.03, y: 0.97), anchor: .topLeft, color: textColor, fontSize: 8),
            TextAnnotation(text: cell.status, position: .relative(x: 0.97, y: 0.97), anchor: .topRight,
                           color: cell.isMarked ? (luminance > 0.5 ? PlotColor(hex: 0xB00020) : PlotColor(hex: 0xFF8A80)) : textColor, fontSize: 7),
        ]
        return Panel(title: title, xAxis: xAxis, yAxis: yAxis, series: series, heatMap: heat, annotations: annotations,
                     legend: .none, showsGrid: false)
    }
}

/// Text shared by the grid figures.
enum GridText {
    static func commonNotes(_ profile: Profile) -> [String] {
        var notes = [
            "A_l uses the full centring C = I − 11ᵀ/(nk) of paper Eq. 6–7 on the exact layer tangent kernel; peak height = max_l A_l and peak layer l* = argmax_l A_l of the final training-probe profile.",
            "Momentum 0.9 and weight decay 5·10⁻⁴ are assumptions shared with Figs 2 and 7: the paper says only \"SGD with momentum and weight decay\".",
            "Cells that hit the epoch cap or diverge are drawn and marked, never dropped; a diverged cell (non-finite loss) is left out of the rank correlations, a capped one is kept.",
        ]
        if profile == .quick {
            notes.append("Quick protocol: depth \(HyperparameterGridProtocol.depth(.quick)), width \(HyperparameterGridProtocol.width(.quick)), \(HyperparameterGridProtocol.trainPerClass(.quick) ?? 0) training images per class (so batch 2048 is full-batch gradient descent), epoch cap \(HyperparameterGridProtocol.quickEpochCap) instead of the paper's \(HyperparameterGridProtocol.fullEpochCap); its verdicts describe this small grid, not the paper's.")
        }
        return notes
    }

    /// One note per cell: its hyperparameters, how it ended and its numbers.
    static func cellNote(_ cell: GridCell) -> String {
        let name = "\(optimizerName(cell.spec.optimizer)) lr \(cell.spec.optimizer.learningRate), bs \(cell.spec.batchSize)"
        guard let record = cell.record else { return "\(name): \(cell.status) — \(cell.outcome.missingReason ?? "")" }
        let peak = cell.peak.map { String(format: "peak A_%d = %.3f (l*/L = %.2f), saliency %.2f", $0.layer, $0.height, $0.relativePosition, $0.saliency) } ?? "no finite A_l"
        return "\(name): \(cell.status), \(record.totalSteps) steps, " + String(format: "%.1f s; train loss %.3f, test loss %.3f, loss gap %.3f, test accuracy %.2f%%; ",
            record.wallSeconds, record.finalTrain.loss, record.finalTest.loss, cell.lossGap ?? .nan, record.finalTest.accuracy * 100) + peak
    }

    static func optimizerName(_ optimizer: OptimizerSettings) -> String {
        switch optimizer {
        case .sgd: return "SGD"
        case .adam: return "Adam"
        }
    }
}

/// The claims of the grid figures.
enum GridClaims {
    /// Resamples of every bootstrap.
    static let resamples = 2000

    /// The six rank correlations of Fig 4 over the usable cells.
    static func fig4(_ cells: [GridCell], seed: UInt64) -> [ClaimMeasurement] {
        let usable = cells.filter(\.isUsable)
        let excluded = cells.filter { !$0.isUsable }.map { "bs \($0.spec.batchSize) lr \($0.spec.optimizer.learningRate) (\($0.status))" }
        let heights = usable.map { $0.peak!.height }
        let centrality = usable.map { $0.peak!.centrality }
        let batch = usable.map { Double($0.spec.batchSize) }
        let rate = usable.map { $0.spec.optimizer.learningRate }
        let rows: [(ClaimID, String, [Double], String, [Double])] = [
            (.fig4PeakHeightTestLossCorrelation, "peak height", heights, "final test loss", usable.map { $0.testLoss! }),
            (.fig4PeakHeightLossGapCorrelation, "peak height", heights, "loss gap", usable.map { $0.lossGap! }),
            (.fig4PeakHeightBatchSizeCorrelation, "batch size", batch, "peak height", heights),
            (.fig4PeakHeightLearningRateCorrelation, "learning rate", rate, "peak height", heights),
            (.fig4PeakCentralityBatchSizeCorrelation, "batch size", batch, "peak centrality 1/2 − |l*/L − 1/2|", centrality),
            (.fig4PeakCentralityLearningRateCorrelation, "learning rate", rate, "peak centrality 1/2 − |l*/L − 1/2|", centrality),
        ]
        let capped = cells.filter { $0.record?.stopReason == .epochCap }.count
        let exclusion = excluded.isEmpty ? "" : "; left out (no finite loss or alignment): " + excluded.joined(separator: ", ")
        return rows.map { claim, xName, x, yName, y in
            rankCorrelation(claim, xName: xName, x: x, yName: yName, y: y, seed: seed,
                            context: "\(usable.count) of \(cells.count) cells (\(capped) capped, kept)\(exclusion)",
                            planned: cells.count, cells: cells)
        }
    }

    /// Spearman's ρ of (x, y) with its bootstrap over cells, or "not run" when it is undefined.
    static func rankCorrelation(_ claim: ClaimID, xName: String, x: [Double], yName: String, y: [Double], seed: UInt64,
                                context: String, planned: Int, cells: [GridCell]) -> ClaimMeasurement {
        guard let estimate = RankCorrelation.spearmanWithBootstrap(x, y, resamples: resamples, seed: seed, label: claim.rawValue) else {
            if x.count < 2 { return ClaimMeasurement(claimId: claim, notRunBecause: "fewer than two cells finished with finite losses (\(context))") }
            return ClaimMeasurement(claimId: claim, notRunBecause: "Spearman's ρ is undefined: \(xName) or \(yName) takes a single value over the \(x.count) usable cells (\(context))")
        }
        let values = zip(x, y).map { String(format: "(%g, %.3f)", $0, $1) }.joined(separator: " ")
        let detail = String(format: "Spearman's ρ(%@, %@) = %.3f over %@; pairs: %@", xName, yName, estimate.value, context, values)
        let uncached = cells.filter { $0.outcome.isNotCached }.count
        return ClaimMeasurement(claimId: claim, value: estimate.value,
                                uncertainty: .bootstrap(.runBootstrap, estimate.interval, sampleSize: estimate.sampleSize),
                                detail: detail,
                                partialBecause: uncached == 0 ? nil : "partial result from \(planned - uncached) of \(planned) planned cells (--cached-only)")
    }
}
