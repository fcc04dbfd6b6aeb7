import Core
import Foundation

/// Paper Figs 2 and 7 (Section 2.3, Appendix E): depth-10, width-256 FFNNs on
/// two datasets. For each dataset, left: train and test loss and every
/// layer's A_l against SGD iterations (log axis, one curve per layer coloured
/// by l); right: A_l against l at the end of training.
public struct TrainingHierarchyFigure: FigureSpec {
    public let id: String
    public let title: String
    public let paperReference: String
    /// One row per dataset, with the ids of its two claims.
    let rows: [DatasetClaims]
    let paperCaption: String

    /// A dataset's row and the claims it measures.
    struct DatasetClaims {
        var dataset: DatasetName
        var hierarchy: ClaimID
        var earlyRise: ClaimID
    }

    public var datasets: [DatasetName] { rows.map(\.dataset) }

    static let depth = 10

    func specs(_ context: FigureContext) -> [RunSpec] {
        datasets.map {
            AlignmentHierarchyProtocol.spec(dataset: $0, depth: Self.depth, learningRate: AlignmentHierarchyProtocol.figureLearningRate,
                                            profile: context.profile, seed: context.seed)
        }
    }

    public func content(in context: FigureContext) throws -> FigureContent {
        let specs = specs(context)
        let outcomes = try HierarchyRuns.execute(specs, figure: id, in: context)

        var panels: [Panel] = []
        var measurements: [ClaimMeasurement] = []
        var notes: [String] = []
        for (row, outcome) in zip(rows, outcomes) {
            let name = row.dataset.displayName
            let record = outcome.record
            let suffix = HierarchyFigureText.missingSuffix(outcome)
            panels.append(HierarchyPanels.loss(record, title: "\(name): loss\(suffix)"))
            panels.append(HierarchyPanels.alignmentProgress(record, title: "\(name): A_{l} during training\(suffix)", depth: Self.depth))
            panels.append(HierarchyPanels.finalProfile(record, title: "\(name): A_{l} at the end\(suffix)", depth: Self.depth))
            measurements += HierarchyClaims.hierarchyBothCentrings(row.hierarchy, [(name, outcome)])
            measurements += HierarchyClaims.earlyRiseBothCentrings(row.earlyRise, label: name, outcome)
            notes.append(HierarchyFigureText.runNote(name, outcome))
        }
        let plot = PlotFigure(panels: panels, columns: 3, panelSize: (300, 230))
        return FigureContent(
            figure: plot,
            caption: """
                \(paperCaption) Reproduced here: one row per dataset. Left: mean train loss of each epoch and test loss after it, \
                against SGD iterations. Middle: A_l (paper Eq. 7) of every layer l = 1…\(Self.depth) against SGD iterations + 1 \
                (initialisation at 1), colour = layer index, solid = training probe, dashed = test probe. Right: A_l against l at the end \
                of training (training and test probes) and at initialisation (dotted). \
                Learning rate \(AlignmentHierarchyProtocol.figureLearningRate); \(HierarchyFigureText.profileText(context.profile)).
                """,
            protocolSettings: HierarchyFigureText.settings(depth: Self.depth, .init("learning rate", "\(AlignmentHierarchyProtocol.figureLearningRate)"), in: context),
            notes: HierarchyFigureText.commonNotes(context.profile) + notes,
            measurements: measurements,
            configurationHashes: outcomes.compactMap { $0.record?.configurationHash })
    }
}

extension TrainingHierarchyFigure {
    /// Paper Fig 2: the alignment hierarchy on MNIST and CIFAR-10 (depth 10, width 256).
    public static let fig2 = TrainingHierarchyFigure(
        id: "fig2", title: "Alignment hierarchy during training, depth 10, width 256", paperReference: "Figure 2, Section 2.3",
        rows: [.init(dataset: .mnist, hierarchy: .fig2HierarchyMNIST, earlyRise: .fig2EarlyRiseMNIST),
               .init(dataset: .cifar10, hierarchy: .fig2HierarchyCIFAR10, earlyRise: .fig2EarlyRiseCIFAR10)],
        paperCaption: "Paper Fig 2: layerwise alignment hierarchy for MNIST and CIFAR-10, FFNN of depth 10 and width 256.")

    /// Paper Fig 7: the alignment hierarchy on KMNIST and Fashion-MNIST (depth 10, width 256).
    public static let fig7 = TrainingHierarchyFigure(
        id: "fig7", title: "Alignment hierarchy on KMNIST and Fashion-MNIST", paperReference: "Figure 7, Appendix E",
        rows: [.init(dataset: .kmnist, hierarchy: .fig7HierarchyKMNIST, earlyRise: .fig7EarlyRiseKMNIST),
               .init(dataset: .fashionMNIST, hierarchy: .fig7HierarchyFashionMNIST, earlyRise: .fig7EarlyRiseFashionMNIST)],
        paperCaption: "Paper Fig 7: layerwise alignment hierarchy for KMNIST and Fashion-MNIST, FFNN of depth 10 and width 256, SGD with momentum and weight decay, learning rate 0.003.")
}

/// Paper Fig 1 (Introduction): example alignment hierarchies of depth-20 FFNNs
/// on Fashion-MNIST (left) and CIFAR-10 (right): A_l against l after training.
public struct Fig1Figure: FigureSpec {
    public let id = "fig1"
    public let title = "Alignment hierarchy of depth-20 FFNNs"
    public let paperReference = "Figure 1, Section 1"
    public let datasets: [DatasetName] = [.fashionMNIST, .cifar10]

    static let depth = 20
    /// Learning rates of depth 20 in the paper's Tables 2 (Fashion-MNIST, 0.004) and 1 (CIFAR-10, 0.003).
    static func learningRate(_ dataset: DatasetName) -> Double { dataset == .fashionMNIST ? 0.004 : 0.003 }

    public func content(in context: FigureContext) throws -> FigureContent {
        let specs = datasets.map {
            AlignmentHierarchyProtocol.spec(dataset: $0, depth: Self.depth, learningRate: Self.learningRate($0),
                                            profile: context.profile, seed: context.seed)
        }
        let outcomes = try HierarchyRuns.execute(specs, figure: id, in: context)
        var panels: [Panel] = []
        var measurements: [ClaimMeasurement] = []
        var notes: [String] = []
        for (dataset, outcome) in zip(datasets, outcomes) {
            panels.append(HierarchyPanels.finalProfile(outcome.record, title: "\(dataset.displayName), depth \(Self.depth)\(HierarchyFigureText.missingSuffix(outcome))", depth: Self.depth))
            measurements += HierarchyClaims.hierarchyBothCentrings(dataset == .cifar10 ? .fig1HierarchyCIFAR10 : .fig1HierarchyFashionMNIST,
                                                                   [(dataset.displayName, outcome)])
            notes.append(HierarchyFigureText.runNote(dataset.displayName, outcome))
        }
        let plot = PlotFigure(panels: panels, columns: 2, panelSize: (330, 250))
        return FigureContent(
            figure: plot,
            caption: """
                Paper Fig 1: example alignment hierarchies of 20-layer FFNNs trained on Fashion-MNIST (left) and CIFAR-10 (right). \
                Reproduced here: A_l (paper Eq. 7) against the layer index l at the end of training on the training probe and the test probe, \
                and at initialisation (dotted). Width \(AlignmentHierarchyProtocol.width), learning rate 0.004 (Fashion-MNIST) and 0.003 (CIFAR-10), \
                the depth-20 rates of the paper's Tables 2 and 1; \(HierarchyFigureText.profileText(context.profile)).
                """,
            protocolSettings: HierarchyFigureText.settings(depth: Self.depth, .init("learning rate", "0.004 (Fashion-MNIST), 0.003 (CIFAR-10)"), in: context),
            notes: HierarchyFigureText.commonNotes(context.profile) + [
                "The paper does not give Fig 1's width or learning rate; width 256 is that of Fig 2, and the learning rates are those of depth 20 in Tables 1–2 (chosen there for the best test accuracy).",
            ] + notes,
            measurements: measurements,
            configurationHashes: outcomes.compactMap { $0.record?.configurationHash })
    }
}

/// Paper Figs 9 and 10 (Appendix E): alignment progress during training at
/// three learning rates (depth 10, width 256) on one dataset, with the test
/// accuracy and loss of each run; panel (c) is the paper's learning rate 0.05.
public struct LearningRateHierarchyFigure: FigureSpec {
    public let id: String
    public let title: String
    public let paperReference: String
    let dataset: DatasetName
    public var datasets: [DatasetName] { [dataset] }
    /// The paper's test accuracy (percent) and loss at lr 0.05.
    let paperAccuracy: Double
    let paperLoss: Double
    let paperCaption: String
    /// The ids of its claims: the hierarchy over the three rates, test accuracy and loss at lr 0.05.
    let claims: (hierarchy: ClaimID, testAccuracy: ClaimID, testLoss: ClaimID)

    static let depth = 10

    public func content(in context: FigureContext) throws -> FigureContent {
        let rates = AlignmentHierarchyProtocol.learningRateSweep
        let specs = rates.map {
            AlignmentHierarchyProtocol.spec(dataset: dataset, depth: Self.depth, learningRate: $0, profile: context.profile, seed: context.seed)
        }
        let outcomes = try HierarchyRuns.execute(specs, figure: id, in: context)
        var panels: [Panel] = []
        var notes: [String] = []
        for (rate, outcome) in zip(rates, outcomes) {
            var title = "\(dataset.displayName), lr \(rate)\(HierarchyFigureText.missingSuffix(outcome))"
            if let record = outcome.record {
                title += String(format: ", test acc. %.1f%%, test loss %.2f", record.finalTest.accuracy * 100, record.finalTest.loss)
            }
            panels.append(HierarchyPanels.alignmentProgress(outcome.record, title: title, depth: Self.depth))
            notes.append(HierarchyFigureText.runNote("\(dataset.displayName), lr \(rate)", outcome))
        }
        panels.append(HierarchyPanels.finalProfiles(zip(rates, outcomes).map { ("lr \($0.0)", $0.1.record) },
                                                    title: "\(dataset.displayName): A_{l} at the end", depth: Self.depth))
        let plot = PlotFigure(panels: panels, columns: 2, panelSize: (330, 240))

        var measurements = HierarchyClaims.hierarchyBothCentrings(
            claims.hierarchy, zip(rates, outcomes).map { ("lr \($0.0)", $0.1) })
        let paperRate = 0.05
        if let index = rates.firstIndex(of: paperRate) {
            let outcome = outcomes[index]
            if let record = outcome.record {
                let context = "final network after \(record.epochCount) epochs (\(record.stopReason.rawValue)), \(HierarchyFigureText.profileText(context.profile)); full \(dataset.displayName) test split"
                measurements.append(ClaimMeasurement(claimId: claims.testAccuracy, value: record.finalTest.accuracy * 100, uncertainty: .singleRun,
                                                     detail: "test accuracy in percent, \(context)"))
                measurements.append(ClaimMeasurement(claimId: claims.testLoss, value: record.finalTest.loss, uncertainty: .singleRun,
                                                     detail: "mean cross-entropy on the test split, \(context)"))
            } else {
                let reason = outcome.missingReason ?? "the run did not finish"
                measurements.append(ClaimMeasurement(claimId: claims.testAccuracy, notRunBecause: reason))
                measurements.append(ClaimMeasurement(claimId: claims.testLoss, notRunBecause: reason))
            }
        }
        return FigureContent(
            figure: plot,
            caption: """
                \(paperCaption) Reproduced here: (a–c) A_l (paper Eq. 7) of every layer against SGD iterations + 1 (initialisation at 1), \
                colour = layer index, solid = training probe, dashed = test probe, for learning rates \(rates.map { "\($0)" }.joined(separator: ", ")); \
                each title gives the final test accuracy and loss. (d) A_l against l at the end of training (training probe) for the three rates. \
                Depth \(Self.depth), width \(AlignmentHierarchyProtocol.width); \(HierarchyFigureText.profileText(context.profile)).
                """,
            protocolSettings: HierarchyFigureText.settings(depth: Self.depth, .init("learning rates", rates.map { "\($0)" }.joined(separator: ", ")), in: context),
            notes: HierarchyFigureText.commonNotes(context.profile) + [
                "The paper's text keeps only panel (c), learning rate 0.05; the two smaller rates 0.001 and 0.003 are chosen from the range of its Tables 1–2 (0.003 is the rate of Figs 2 and 7, whose run is shared through the cache).",
            ] + notes,
            measurements: measurements,
            configurationHashes: outcomes.compactMap { $0.record?.configurationHash })
    }
}

extension LearningRateHierarchyFigure {
    /// Paper Fig 9: alignment during training at three learning rates, Fashion-MNIST.
    public static let fig9 = LearningRateHierarchyFigure(
        id: "fig9", title: "Alignment during training at three learning rates, Fashion-MNIST",
        paperReference: "Figure 9, Appendix E", dataset: .fashionMNIST, paperAccuracy: 87.1, paperLoss: 0.41,
        paperCaption: "Paper Fig 9: alignment progress during training, Fashion-MNIST; (c) learning rate 0.05, test accuracy 87.1%, test loss 0.41.",
        claims: (.fig9Hierarchy, .fig9Lr005TestAccuracy, .fig9Lr005TestLoss))

    /// Paper Fig 10: alignment during training at three learning rates, CIFAR-10.
    public static let fig10 = LearningRateHierarchyFigure(
        id: "fig10", title: "Alignment during training at three learning rates, CIFAR-10",
        paperReference: "Figure 10, Appendix E", dataset: .cifar10, paperAccuracy: 51.4, paperLoss: 1.41,
        paperCaption: "Paper Fig 10: alignment progress during training, CIFAR-10; (c) learning rate 0.05, test accuracy 51.4%, test loss 1.41.",
        claims: (.fig10Hierarchy, .fig10Lr005TestAccuracy, .fig10Lr005TestLoss))
}

/// Text and file helpers shared by the hierarchy figures.
enum HierarchyFigureText {
    /// "quick protocol (…)" or "full protocol (…)".
    static func profileText(_ profile: Profile) -> String {
        profile == .quick
            ? "quick protocol (\(AlignmentHierarchyProtocol.quickTrainPerClass) training images per class, \(AlignmentHierarchyProtocol.quickEpochs) epochs, probes of \(AlignmentHierarchyProtocol.quickProbePerClass) per class)"
            : "full protocol (whole training set, until train loss < \(AlignmentHierarchyProtocol.stoppingLoss) or \(AlignmentHierarchyProtocol.fullEpochCap) epochs, probes of \(AlignmentHierarchyProtocol.fullProbePerClass) per class)"
    }

    /// " (dataset not found)" or " (not in the cache)" for a panel whose run is absent, "" otherwise.
    static func missingSuffix(_ outcome: RunOutcome) -> String {
        switch outcome {
        case .finished: return ""
        case .notRun, .failed: return " (dataset not found)"
        case .notInCache: return " (not in the cache)"
        }
    }

    /// The protocol rows of a hierarchy figure: its depth, its learning-rate row, the shared protocol and the seed.
    static func settings(depth: Int, _ learningRate: FigureResult.Setting, in context: FigureContext) -> [FigureResult.Setting] {
        [.init("depth L", "\(depth)"), learningRate] + AlignmentHierarchyProtocol.settings(context.profile) + [.init("seed", "\(context.seed)")]
    }

    /// Notes every hierarchy figure carries.
    static func commonNotes(_ profile: Profile) -> [String] {
        var notes = [
            "A_l uses the full centring C = I − 11ᵀ/(nk) of paper Eq. 6–7 (the panels draw it; records also keep A_l centred per output, C_n ⊗ I_k, and each hierarchy and early-rise claim is repeated under that centring as a sensitivity measurement, id suffix .perOutputCentring, no verdict), on the exact layer tangent kernel K_l = Ψ_lᵀΨ_l of the weights and biases of layer l (computed from forward and backward factors, no sampling).",
            "Momentum 0.9 and weight decay 5·10⁻⁴ are assumptions: the paper says only \"SGD with momentum and weight decay\".",
            "The hierarchy claim uses the training probe; the test probe's peak layer is given in the detail.",
        ]
        if profile == .quick {
            notes.append("Quick protocol: a class-balanced subset and a few epochs, so the networks are trained far less than the paper's; the early-rise claim's 'epoch 2' is epoch 2 of the subset (\(AlignmentHierarchyProtocol.quickTrainPerClass * 10 / AlignmentHierarchyProtocol.batchSize + 1) steps per epoch).")
        } else {
            notes.append("Full protocol: the stopping rule is Section 4's (train loss 0.1), capped at the 100 epochs of Tables 1–2 for depths 10 and 20; the paper does not say how long the runs of Figs 2, 7, 9 and 10 were trained.")
        }
        return notes
    }

    /// One note per run: its outcome, test accuracy and final A_l, or why it did not run.
    static func runNote(_ label: String, _ outcome: RunOutcome) -> String {
        switch outcome {
        case .notRun, .notInCache, .failed:
            return "\(label): not run — \(outcome.missingReason ?? "")"
        case let .finished(record):
            let final = record.finalAlignment.map { AlignmentHierarchyAnalysis.describe($0.trainProbe) } ?? "no alignment"
            let numbers = String(format: "%.0f s; test accuracy %.2f%%, test loss %.3f",
                                 record.wallSeconds, record.finalTest.accuracy * 100, record.finalTest.loss)
            return "\(label): \(record.epochCount) epochs, \(record.totalSteps) steps (\(record.stopReason.rawValue)), \(numbers); final A_l (train probe): \(final)"
        }
    }
}
