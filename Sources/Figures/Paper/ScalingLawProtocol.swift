import Core
import Foundation

/// One row of the paper's Tables 1–3 (Appendix E): the FFNN that Fig 3 trains at one depth.
public struct PaperDepthSetting: Codable, Hashable, Sendable {
    /// L, the number of weight layers.
    public var depth: Int
    /// N, the width of every hidden layer.
    public var width: Int
    /// The tuned SGD learning rate for this depth.
    public var learningRate: Double
    /// The paper's "epochs" column (nil where the paper gives none).
    public var paperEpochs: Int?
    /// The paper's final test accuracy as a fraction (nil where the paper gives none).
    public var paperTestAccuracy: Double?

    public init(depth: Int, width: Int, learningRate: Double, paperEpochs: Int?, paperTestAccuracy: Double?) {
        self.depth = depth
        self.width = width
        self.learningRate = learningRate
        self.paperEpochs = paperEpochs
        self.paperTestAccuracy = paperTestAccuracy
    }
}

/// The paper's per-depth protocols for Fig 3 (Tables 1–3, Appendix E; Fig 8 caption).
public enum PaperDepthTables {
    /// Table 1: CIFAR-10, width 256.
    public static let cifar10: [PaperDepthSetting] = [
        (10, 0.005, 100, 0.56), (20, 0.003, 100, 0.583), (30, 0.003, 150, 0.577), (40, 0.001, 200, 0.587),
        (50, 0.001, 250, 0.58), (60, 0.0007, 300, 0.583), (70, 0.0005, 300, 0.591), (80, 0.0005, 500, 0.572),
        (90, 0.0001, 500, 0.569), (100, 0.0001, 700, 0.56),
    ].map { PaperDepthSetting(depth: $0.0, width: 256, learningRate: $0.1, paperEpochs: $0.2, paperTestAccuracy: $0.3) }

    /// Table 2: Fashion-MNIST, width 100 (depth 100: learning rate 7·10⁻⁵, 300 epochs, 88%).
    public static let fashionMNIST: [PaperDepthSetting] = [
        (10, 0.003, 100, 0.883), (20, 0.004, 100, 0.886), (30, 0.004, 100, 0.896), (40, 0.002, 100, 0.889),
        (50, 0.001, 100, 0.884), (60, 0.0007, 100, 0.877), (70, 0.0003, 200, 0.887), (80, 0.0002, 200, 0.879),
        (90, 0.0001, 300, 0.876), (100, 0.00007, 300, 0.88),
    ].map { PaperDepthSetting(depth: $0.0, width: 100, learningRate: $0.1, paperEpochs: $0.2, paperTestAccuracy: $0.3) }

    /// Table 3: MNIST, width 100.
    public static let mnist: [PaperDepthSetting] = [
        (10, 0.003, 100, 0.97), (20, 0.003, 100, 0.97), (30, 0.003, 100, 0.969), (40, 0.002, 100, 0.976),
        (50, 0.001, 100, 0.976), (60, 0.0007, 100, 0.976), (70, 0.0002, 200, 0.948), (80, 0.0001, 200, 0.944),
        (90, 0.0002, 300, 0.961), (100, 0.0001, 300, 0.958),
    ].map { PaperDepthSetting(depth: $0.0, width: 100, learningRate: $0.1, paperEpochs: $0.2, paperTestAccuracy: $0.3) }

    /// The authors' public Fig 3 script for Fashion-MNIST (`fmnist_FNNs_MC5.py`, commit 424b035
    /// of 2021-10-03 in the GitHub repository bugbuglou/NTK_alignment): width 256 (last hidden
    /// layer 256 too), its `lrs` list, at most 300 epochs at every depth; no accuracies given.
    public static let authorsFashionMNIST: [PaperDepthSetting] = [
        (10, 0.005), (20, 0.004), (30, 0.004), (40, 0.002), (50, 0.001),
        (60, 0.0007), (70, 0.0005), (80, 0.0002), (90, 0.0001), (100, 0.0001),
    ].map { PaperDepthSetting(depth: $0.0, width: 256, learningRate: $0.1, paperEpochs: 300, paperTestAccuracy: nil) }

    /// The learning rates of the commented-out Fashion-MNIST list of the authors' `generic.py`
    /// (commit c3e7305 of 2022-01-10), with its `Epochs` caps; width 256 as in the MC5 script.
    public static let authorsGenericFashionMNIST: [PaperDepthSetting] = [
        (10, 0.005, 50), (20, 0.004, 100), (30, 0.004, 100), (40, 0.002, 100), (50, 0.001, 100),
        (60, 0.0007, 100), (70, 0.0002, 200), (80, 0.0001, 200), (90, 0.0002, 300), (100, 0.0001, 300),
    ].map { PaperDepthSetting(depth: $0.0, width: 256, learningRate: $0.1, paperEpochs: $0.2, paperTestAccuracy: nil) }

    /// The depth table of a protocol family for `dataset` (empty where the family has none).
    public static func settings(for dataset: DatasetName, family: ScalingLawProtocol.Family) -> [PaperDepthSetting] {
        switch family {
        case .paper: return settings(for: dataset)
        case .authors: return dataset == .fashionMNIST ? authorsFashionMNIST : []
        case .authorsGeneric: return dataset == .fashionMNIST ? authorsGenericFashionMNIST : []
        }
    }

    /// The table for `dataset` (empty for datasets the paper did not use in Fig 3).
    public static func settings(for dataset: DatasetName) -> [PaperDepthSetting] {
        switch dataset {
        case .cifar10: return cifar10
        case .fashionMNIST: return fashionMNIST
        case .mnist: return mnist
        default: return []
        }
    }

    /// Which table of the paper holds `dataset`'s settings.
    public static func tableNumber(for dataset: DatasetName) -> Int? {
        switch dataset {
        case .cifar10: return 1
        case .fashionMNIST: return 2
        case .mnist: return 3
        default: return nil
        }
    }
}

/// How the runs behind one l*(L) curve are trained and measured.
///
/// Every depth trains an FFNN of the paper's width with SGD (momentum 0.9,
/// weight decay 5·10⁻⁴ — the engine's documented assumption; the paper gives
/// no values), batch `batchSize`, cross-entropy, learning rate
/// `learningRateScale` × the paper's tuned rate for that depth, until the
/// epoch's mean train loss falls below `lossThreshold` or the epoch cap is
/// reached; A_l (paper Eq. 7, with ``centring``: Eq. 6 unless a study says otherwise) is measured once, at the stop,
/// on a class-balanced probe of `probePerClass` training samples per class.
public struct ScalingLawProtocol: Hashable, Sendable {
    /// A short name used in the calibration study and in captions.
    public var name: String
    /// The dataset.
    public var dataset: DatasetName
    /// The depths trained, with the paper's settings.
    public var depths: [PaperDepthSetting]
    /// Training samples per class (nil = the full training set).
    public var trainPerClass: Int?
    /// Probe samples per class for A_l.
    public var probePerClass: Int
    /// Minibatch size.
    public var batchSize: Int
    /// Multiplies every paper learning rate (Fig 8(b) uses 1/4).
    public var learningRateScale: Double
    /// Train-loss threshold of the stopping rule (the paper: 0.1).
    public var lossThreshold: Double
    /// Epoch cap per depth: the paper's epochs column times `epochCapFactor`
    /// when `usesPaperEpochs`, otherwise `fixedEpochCap`.
    public var usesPaperEpochs: Bool
    /// See ``usesPaperEpochs``.
    public var epochCapFactor: Double
    /// See ``usesPaperEpochs``; also used where the paper gives no epochs.
    public var fixedEpochCap: Int
    /// Seeds per depth: base seed, base + 1, …
    public var seedsPerDepth: Int
    /// SGD momentum.
    public var momentum: Double = 0.9
    /// L2 weight decay (an assumption; see the type's documentation).
    public var weightDecay: Double = 5e-4
    /// The centring of A_l: the paper's Eq. 6 (``Centring/full``) unless a study compares another.
    public var centring: Centring = .full
    /// Whose protocol this is (the paper's text and tables, or the authors' public code).
    public var family: Family = .paper
    /// How the probes are chosen (nil: `probePerClass` per class, class-balanced).
    public var probeSelection: ProbeSelection? = nil
    /// The authors' running-average stopping rule instead of the paper's epoch-mean rule (nil).
    public var runningLoss: RunningLossRule? = nil
    /// Whether layers 2…L−1 share one weight matrix (the `fc` model of the authors' scripts;
    /// ``DenseArchitecture/tiedHiddenWeights``). False everywhere but the factor study's row.
    public var tiedHiddenWeights = false

    /// Where a protocol comes from.
    public enum Family: String, Codable, CaseIterable, Sendable {
        /// The paper's text and Tables 1–3.
        case paper
        /// The authors' public Fig 3 script (`fmnist_FNNs_MC5.py`, commit 424b035).
        case authors
        /// The authors' `generic.py` (commit c3e7305): other learning rates, epoch caps and weight decay 5·10⁻⁴.
        case authorsGeneric = "authors-generic"
    }

    /// The authors' stopping rule (see ``StoppingRule/runningLossBelow(threshold:finalThreshold:smoothing:consecutiveEpochs:maxEpochs:)``):
    /// A_l is read at the first epoch end where the last two running averages are below
    /// `threshold` (the paper's 0.1) and again at the stop, below `finalThreshold` or the cap.
    public struct RunningLossRule: Hashable, Sendable {
        /// The milestone whose alignment gives l* (0.1).
        public var threshold: Double
        /// The stop (0.02 in `fmnist_FNNs_MC5.py`).
        public var finalThreshold: Double
        /// γ of the running average (0.9).
        public var smoothing: Double
        /// Consecutive epoch ends below a threshold (2).
        public var consecutiveEpochs: Int
        /// l* from the snapshot at the stop instead of the one at `threshold`.
        public var peakAtStop: Bool

        public init(threshold: Double = 0.1, finalThreshold: Double = 0.02, smoothing: Double = 0.9, consecutiveEpochs: Int = 2,
                    peakAtStop: Bool = false) {
            self.threshold = threshold
            self.finalThreshold = finalThreshold
            self.smoothing = smoothing
            self.consecutiveEpochs = consecutiveEpochs
            self.peakAtStop = peakAtStop
        }
    }

    /// The epoch whose end gives l* (``peakSnapshot(of:)``): the stop, or the running-loss
    /// milestone; nil when the record has neither.
    public func peakEpoch(of record: RunRecord) -> Int? {
        guard let rule = runningLoss, !rule.peakAtStop else { return record.epochCount > 0 ? record.epochCount : nil }
        if let milestone = record.milestones?.first(where: { $0.threshold == rule.threshold }) { return milestone.epoch }
        return record.stopReason == .epochCap ? record.epochCount : nil
    }

    /// The alignment snapshot whose arg-max is l*: the last one (at the stop) under the paper's
    /// rule; under the running-loss rule the one at the first milestone (`threshold`), or at the
    /// stop when the rule asks for it or the run never reached the milestone (it then hit the cap).
    public func peakSnapshot(of record: RunRecord) -> AlignmentSnapshot? {
        guard let rule = runningLoss, !rule.peakAtStop else { return record.finalAlignment }
        return record.alignment(atMilestone: rule.threshold) ?? (record.stopReason == .epochCap ? record.finalAlignment : nil)
    }

    public init(name: String, dataset: DatasetName, depths: [PaperDepthSetting], trainPerClass: Int?, probePerClass: Int,
                batchSize: Int = 128, learningRateScale: Double = 1, lossThreshold: Double = 0.1,
                usesPaperEpochs: Bool, epochCapFactor: Double = 1, fixedEpochCap: Int, seedsPerDepth: Int) {
        self.name = name
        self.dataset = dataset
        self.depths = depths
        self.trainPerClass = trainPerClass
        self.probePerClass = probePerClass
        self.batchSize = batchSize
        self.learningRateScale = learningRateScale
        self.lossThreshold = lossThreshold
        self.usesPaperEpochs = usesPaperEpochs
        self.epochCapFactor = epochCapFactor
        self.fixedEpochCap = fixedEpochCap
        self.seedsPerDepth = seedsPerDepth
    }

    /// The epoch cap at one depth (at least 1).
    public func epochCap(for setting: PaperDepthSetting) -> Int {
        guard usesPaperEpochs, let epochs = setting.paperEpochs else { return max(1, fixedEpochCap) }
        return max(1, Int((Double(epochs) * epochCapFactor).rounded()))
    }

    /// The run at one depth and seed.
    public func spec(for setting: PaperDepthSetting, seed: UInt64) -> RunSpec {
        RunSpec(
            dataset: dataset, trainSubsetPerClass: trainPerClass, probePerClass: probePerClass,
            architecture: RunSpec.architecture(for: dataset, width: setting.width, depth: setting.depth, tiedHiddenWeights: tiedHiddenWeights),
            optimizer: .sgd(learningRate: setting.learningRate * learningRateScale, momentum: momentum, weightDecay: weightDecay),
            loss: .crossEntropy, batchSize: batchSize,
            stopping: stoppingRule(for: setting),
            alignment: runningLoss == nil ? AlignmentSchedule(atInitialisation: false, atStop: true, centring: centring)
                : AlignmentSchedule(atInitialisation: true, atStop: true, centring: centring, atMilestones: true),
            seed: seed, probeSelection: probeSelection)
    }

    /// The stopping rule at one depth.
    public func stoppingRule(for setting: PaperDepthSetting) -> StoppingRule {
        guard let rule = runningLoss else { return .trainLossBelow(threshold: lossThreshold, maxEpochs: epochCap(for: setting)) }
        return .runningLossBelow(threshold: rule.threshold, finalThreshold: rule.finalThreshold, smoothing: rule.smoothing,
                                 consecutiveEpochs: rule.consecutiveEpochs, maxEpochs: epochCap(for: setting))
    }

    /// The seeds used from a base seed.
    public func seeds(base: UInt64) -> [UInt64] {
        (0..<max(1, seedsPerDepth)).map { base &+ UInt64($0) }
    }

    /// Every run, depth-major then seed.
    public func specs(baseSeed: UInt64) -> [RunSpec] {
        depths.flatMap { setting in seeds(base: baseSeed).map { spec(for: setting, seed: $0) } }
    }

    /// The same protocol with other learning rates or batch size (Fig 8).
    /// Fig 8 changes the learning rates or the batch size; `epochCapScale` multiplies the epoch
    /// cap (both the fixed cap and the paper-epochs factor), since 4× smaller steps or 4× fewer
    /// steps per epoch need about 4× as many epochs to reach the same train loss.
    public func varied(name: String, learningRateScale: Double? = nil, batchSize: Int? = nil, epochCapScale: Double = 1,
                       seedsPerDepth: Int? = nil) -> ScalingLawProtocol {
        var copy = self
        copy.name = name
        if let learningRateScale { copy.learningRateScale = learningRateScale }
        if let batchSize { copy.batchSize = batchSize }
        if let seedsPerDepth { copy.seedsPerDepth = seedsPerDepth }
        copy.fixedEpochCap = Int((Double(fixedEpochCap) * epochCapScale).rounded())
        copy.epochCapFactor *= epochCapScale
        return copy
    }

    /// The same protocol at other depths of the paper's table (`--depths`), in increasing order.
    /// - Throws: ``ScalingLawError/unknownDepths(_:dataset:known:)`` for a depth the table lacks.
    public func restricted(toDepths wanted: [Int]) throws -> ScalingLawProtocol {
        let table = PaperDepthTables.settings(for: dataset, family: family)
        let unknown = wanted.filter { depth in !table.contains { $0.depth == depth } }
        guard unknown.isEmpty, !wanted.isEmpty else {
            throw ScalingLawError.unknownDepths(unknown, dataset: dataset, known: table.map(\.depth))
        }
        let chosen = table.filter { wanted.contains($0.depth) }
        guard chosen.map(\.depth) != depths.map(\.depth) else { return self }
        var copy = self
        copy.depths = chosen
        copy.name = name + ", depths " + chosen.map { "\($0.depth)" }.joined(separator: ", ")
        return copy
    }

    /// How this protocol differs from `reference` in what it trains or measures (the name
    /// aside), as a phrase such as "2 seeds per depth instead of 5; depths 90, 100"; nil when
    /// it does not.
    public func differences(from reference: ScalingLawProtocol) -> String? {
        var parts: [String] = []
        func note(_ differs: Bool, _ text: @autoclosure () -> String) { if differs { parts.append(text()) } }
        note(seedsPerDepth != reference.seedsPerDepth, "\(seedsPerDepth) seed(s) per depth instead of \(reference.seedsPerDepth)")
        note(depths.map(\.depth) != reference.depths.map(\.depth), "depths \(depths.map { "\($0.depth)" }.joined(separator: ", ")) instead of \(reference.depths.map { "\($0.depth)" }.joined(separator: ", "))")
        note(centring != reference.centring, "A_l with \(centring.rawValue) centring instead of \(reference.centring.rawValue)")
        note(trainPerClass != reference.trainPerClass,
             "training set \(trainPerClass.map { "\($0) per class" } ?? "full") instead of \(reference.trainPerClass.map { "\($0) per class" } ?? "full")")
        note(probePerClass != reference.probePerClass, "probe \(probePerClass) per class instead of \(reference.probePerClass)")
        note(learningRateScale != reference.learningRateScale, "learning rates × \(NumberText.format(learningRateScale / reference.learningRateScale))")
        note(batchSize != reference.batchSize, "batch \(batchSize) instead of \(reference.batchSize)")
        note(lossThreshold != reference.lossThreshold || usesPaperEpochs != reference.usesPaperEpochs
                || epochCapFactor != reference.epochCapFactor || fixedEpochCap != reference.fixedEpochCap,
             "another stopping rule or epoch cap")
        note(momentum != reference.momentum || weightDecay != reference.weightDecay, "another momentum or weight decay")
        note(probeSelection != reference.probeSelection, "another probe selection")
        note(runningLoss != reference.runningLoss, "another stopping rule (running average)")
        note(tiedHiddenWeights != reference.tiedHiddenWeights, tiedHiddenWeights ? "tied hidden weights" : "separate hidden weights")
        note(family != reference.family, "the \(family.rawValue) protocol family instead of \(reference.family.rawValue)")
        note(depths.map(\.depth) == reference.depths.map(\.depth) && depths.map(\.learningRate) != reference.depths.map(\.learningRate),
             "learning rates " + depths.map { NumberText.format($0.learningRate) }.joined(separator: ", ")
                + " instead of " + reference.depths.map { NumberText.format($0.learningRate) }.joined(separator: ", "))
        note(depths.map(\.depth) == reference.depths.map(\.depth) && depths.map(\.width) != reference.depths.map(\.width),
             "width " + Array(Set(depths.map(\.width))).sorted().map(String.init).joined(separator: ", ")
                + " instead of " + Array(Set(reference.depths.map(\.width))).sorted().map(String.init).joined(separator: ", "))
        return parts.isEmpty ? nil : "protocol '\(name)': " + parts.joined(separator: "; ")
    }

    /// The settings as (name, value) rows for a figure's protocol table.
    public var settingRows: [FigureResult.Setting] {
        var rows: [FigureResult.Setting] = [
            .init("protocol", name),
            .init("dataset", dataset.displayName),
            .init("depths L", depths.map { "\($0.depth)" }.joined(separator: ", ")),
            .init("width N", Array(Set(depths.map(\.width))).sorted().map(String.init).joined(separator: ", ")
                + (tiedHiddenWeights ? "; layers 2…L−1 share one weight matrix and bias (tied, as the scripts' `fc` model)" : "")),
            .init("training set", trainPerClass.map { "class-balanced subset of \($0) per class (\($0 * dataset.classCount) images)" } ?? "full training split"),
            .init("learning rates", (learningRateScale == 1 ? "" : "\(NumberText.format(learningRateScale)) × ")
                + (family == .paper ? "paper" : family.rawValue + " code") + " per depth: "
                + depths.map { "\($0.depth): \(NumberText.format($0.learningRate))" }.joined(separator: ", ")),
            .init("optimiser", "SGD, momentum \(NumberText.format(momentum)), weight decay \(NumberText.format(weightDecay))"
                + (family == .paper ? " (assumed; the paper names weight decay but gives no value)" : " (as in the authors' code)")),
            .init("batch size", "\(batchSize)"),
            .init("stopping", runningLoss.map { rule in
                "running average (γ = \(NumberText.format(rule.smoothing))) of the minibatch losses below \(NumberText.format(rule.threshold)) at \(rule.consecutiveEpochs) consecutive epoch ends (A_l measured there), stop below \(NumberText.format(rule.finalThreshold)) likewise, or the epoch cap; l* from the snapshot "
                    + (rule.peakAtStop ? "at the stop" : "at \(NumberText.format(rule.threshold))")
            } ?? "first epoch with mean train loss < \(NumberText.format(lossThreshold)), or the epoch cap"),
            .init("epoch cap", usesPaperEpochs
                ? (epochCapFactor == 1 ? "" : "\(NumberText.format(epochCapFactor)) × ") + "the paper's epochs per depth (\(fixedEpochCap) where none is given)"
                : "\(fixedEpochCap) epochs at every depth"),
            .init("alignment probe", probeDescription + ", A_l with "
                + (centring == .full ? "full centring (Eq. 6–7)" : "\(centring.rawValue) centring (not the paper's Eq. 6)")
                + (runningLoss == nil ? ", measured once at the stop" : ", measured at initialisation, at each milestone and at the stop")),
            .init("seeds per depth", "\(max(1, seedsPerDepth))"),
        ]
        rows.append(.init("loss", "cross-entropy"))
        return rows
    }
}

extension ScalingLawProtocol {
    /// The probes in words.
    var probeDescription: String {
        switch probeSelection {
        case nil: return "\(probePerClass) training samples per class, class-balanced"
        case let .leadingSamples(trainCount, testCount)?:
            return "the first \(trainCount) samples of one shuffle of the training set (not class-balanced) and the first \(testCount) test images"
        }
    }

    /// The authors' public Fig 3 protocol (`--protocol authors`, from `fmnist_FNNs_MC5.py` at
    /// commit 424b035): width 256, the script's learning rates, SGD with momentum 0.9 and no
    /// weight decay, batch 128, the running-average rule (snapshot at 0.1, stop at 0.02 or 300
    /// epochs), a probe of the first 2000 shuffled training images and the first 2000 test
    /// images, A_l centred per output (nngeometry's `centering=True`).
    ///
    /// Where the script departs from a clean protocol this one does not follow it: the script's
    /// five "repeats" keep training the same network objects (effectively one seed per depth),
    /// while here each seed is a fresh network.
    public static func authors(_ dataset: DatasetName, seeds: Int, variant: Family = .authors) -> ScalingLawProtocol {
        var chosen = ScalingLawProtocol(
            name: variant.rawValue, dataset: dataset, depths: PaperDepthTables.settings(for: dataset, family: variant),
            trainPerClass: nil, probePerClass: 0, usesPaperEpochs: true, fixedEpochCap: 300, seedsPerDepth: seeds)
        chosen.family = variant
        chosen.weightDecay = variant == .authorsGeneric ? 5e-4 : 0
        chosen.centring = .perOutput
        chosen.probeSelection = .leadingSamples(trainCount: variant == .authorsGeneric ? 200 : 2000,
                                                testCount: variant == .authorsGeneric ? 200 : 2000)
        chosen.runningLoss = RunningLossRule()
        return chosen
    }

    /// The quick variant of the authors' protocol (`--quick --protocol authors`): depths 10–50 on a
    /// class-balanced subset of 200 images per class, probes of the first 500 shuffled training
    /// and 500 test images, 3 seeds; otherwise as ``authors(_:seeds:variant:)``.
    public static func authorsQuick(_ dataset: DatasetName, variant: Family = .authors) -> ScalingLawProtocol {
        var chosen = authors(dataset, seeds: 3, variant: variant)
        chosen.name = variant.rawValue + "-quick"
        chosen.depths = chosen.depths.filter { $0.depth <= 50 }
        chosen.trainPerClass = 200
        chosen.probeSelection = .leadingSamples(trainCount: 500, testCount: 500)
        return chosen
    }

    /// The protocol of a family under a profile.
    public static func standard(_ dataset: DatasetName, profile: Profile, family: Family) -> ScalingLawProtocol {
        switch family {
        case .paper: return standard(dataset, profile: profile)
        case .authors, .authorsGeneric:
            return profile == .full ? authors(dataset, seeds: fullSeeds, variant: family) : authorsQuick(dataset, variant: family)
        }
    }
}

extension ScalingLawProtocol {
    /// The paper's protocol (`--full`): full training split, the tables' learning rates, stop at
    /// train loss 0.1 or the tables' epochs, 50 probe samples per class, `seeds` seeds.
    public static func paper(_ dataset: DatasetName, seeds: Int) -> ScalingLawProtocol {
        ScalingLawProtocol(
            name: "paper", dataset: dataset, depths: PaperDepthTables.settings(for: dataset), trainPerClass: nil,
            probePerClass: 50, usesPaperEpochs: true, fixedEpochCap: 300, seedsPerDepth: seeds)
    }
}

extension ScalingLawProtocol {
    /// Seeds per depth under `--full` (the authors' code repeats each depth 5 times).
    public static let fullSeeds = 5

    /// The protocol a profile uses when nothing is overridden: the paper's under `--full`,
    /// the chosen quick protocol under `--quick`.
    public static func standard(_ dataset: DatasetName, profile: Profile) -> ScalingLawProtocol {
        profile == .full ? .paper(dataset, seeds: fullSeeds) : .quick(dataset)
    }

    /// The quick protocol (`--quick`), chosen by the calibration study in docs/calibration.md.
    public static func quick(_ dataset: DatasetName) -> ScalingLawProtocol {
        calibrationCandidates(dataset)[0]
    }

    /// The factor study of docs/factor-table.md: the quick protocol with one setting at a time
    /// changed toward the authors' code (same seeds, so every comparison is paired). The
    /// centring factor needs no runs of its own (records keep A_l under both centrings), and
    /// "all factors" is ``authorsQuick(_:variant:)``.
    public static func factorCandidates(_ dataset: DatasetName) -> [ScalingLawProtocol] {
        factorCandidates(base: quick(dataset))
    }

    /// The factor protocols around `base` (see ``factorCandidates(_:)``).
    static func factorCandidates(base: ScalingLawProtocol) -> [ScalingLawProtocol] {
        let dataset = base.dataset
        func factor(_ name: String, _ change: (inout ScalingLawProtocol) -> Void) -> ScalingLawProtocol {
            var copy = base
            copy.name = "factor-" + name
            change(&copy)
            return copy
        }
        let authorsRates = Dictionary(uniqueKeysWithValues: PaperDepthTables.settings(for: dataset, family: .authors).map { ($0.depth, $0.learningRate) })
        return [
            factor("noWeightDecay") { $0.weightDecay = 0 },
            factor("authorsLearningRates") { copy in
                copy.depths = copy.depths.map { setting in
                    var changed = setting
                    changed.learningRate = authorsRates[setting.depth] ?? setting.learningRate
                    return changed
                }
            },
            factor("width256") { copy in copy.depths = copy.depths.map { var changed = $0; changed.width = 256; return changed } },
            factor("runningLossStop") { $0.runningLoss = RunningLossRule() },
            factor("leadingProbe") { $0.probeSelection = .leadingSamples(trainCount: 500, testCount: 500) },
            factor("tiedHiddenWeights") { $0.tiedHiddenWeights = true },
        ]
    }

    /// The protocols compared in docs/calibration.md (first = the chosen quick protocol).
    /// Each trains the paper's depths and learning rates on a class-balanced subset until
    /// the epoch's mean train loss is below 0.1 (the paper's rule), or a fixed epoch cap.
    public static func calibrationCandidates(_ dataset: DatasetName) -> [ScalingLawProtocol] {
        let depths = PaperDepthTables.settings(for: dataset)
        func candidate(_ name: String, maxDepth: Int = 100, perClass: Int = 200, probe: Int = 20, lrScale: Double,
                       cap: Int, seeds: Int) -> ScalingLawProtocol {
            ScalingLawProtocol(name: name, dataset: dataset, depths: depths.filter { $0.depth <= maxDepth }, trainPerClass: perClass,
                               probePerClass: probe, learningRateScale: lrScale, usesPaperEpochs: false, fixedEpochCap: cap,
                               seedsPerDepth: seeds)
        }
        let chosen = candidate("sub200-lr1-L50", maxDepth: 50, lrScale: 1, cap: 300, seeds: 3)
        return [
            chosen,
            candidate("sub200-lr1-L50-6seeds", maxDepth: 50, lrScale: 1, cap: 300, seeds: 6),
            candidate("sub200-lr1-L60-3seeds", maxDepth: 60, lrScale: 1, cap: 300, seeds: 3),
            candidate("sub200-lr2-L50", maxDepth: 50, lrScale: 2, cap: 300, seeds: 1),
            candidate("sub200-lr4-L50-5seeds", maxDepth: 50, lrScale: 4, cap: 200, seeds: 5),
            candidate("sub200-lr4", lrScale: 4, cap: 200, seeds: 1),
            // The chosen quick protocol with A_l centred per output (C_n ⊗ I_k, as nngeometry-based
            // code does) instead of Eq. 6: does the centring move l*? (docs/calibration.md)
            {
                var perOutput = candidate("sub200-lr1-L50-perOutput", maxDepth: 50, lrScale: 1, cap: 300, seeds: 3)
                perOutput.centring = .perOutput
                return perOutput
            }(),
        ] + factorCandidates(base: chosen) + [
            // The paper protocol at its two shallowest depths, one seed: the same runs as `--full`
            // (same specifications and cache entries), to compare l* with the subset protocols.
            {
                var paper = ScalingLawProtocol.paper(dataset, seeds: 1)
                paper.name = "paper-L20"
                paper.depths = paper.depths.filter { $0.depth <= 20 }
                return paper
            }(),
        ]
    }
}
