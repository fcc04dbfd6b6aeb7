import Foundation

/// When a training run stops.
public enum StoppingRule: Codable, Hashable, Sendable {
    /// After exactly this many epochs (full passes over the training set).
    case epochs(Int)
    /// At the end of the first epoch whose train loss is below `threshold`, or
    /// after `maxEpochs` epochs, whichever comes first. The train loss is the
    /// mean minibatch loss over the epoch just finished (each sample's loss
    /// counted once, as computed during the epoch's steps with the weights of
    /// the moment), which is how a PyTorch training loop reports it; this is
    /// the paper's "stopping after a train loss of 0.1 or 500 epochs" (Fig. 4).
    case trainLossBelow(threshold: Double, maxEpochs: Int)
    /// After exactly this many optimiser steps, possibly in the middle of an
    /// epoch (a final evaluation is still recorded).
    case steps(Int)
    /// The stopping rule of the authors' public scripts (`fmnist_FNNs_MC5.py`,
    /// `generic.py`): a running average of the minibatch losses,
    /// r ← γ·r + (1 − γ)·loss (r starts at the first minibatch's loss and runs on across
    /// epochs), is read at every epoch end. The first time the last
    /// `consecutiveEpochs` readings are all below `threshold` is a *milestone*
    /// (``RunMilestone``; alignments are measured there when the schedule asks for
    /// milestones); the run stops when they are all below `finalThreshold`, or after
    /// `maxEpochs` epochs. γ = `smoothing` (0.9 in the authors' code).
    case runningLossBelow(threshold: Double, finalThreshold: Double, smoothing: Double, consecutiveEpochs: Int, maxEpochs: Int)

    /// The largest number of epochs the rule allows (rounded up for `steps`).
    public func epochLimit(stepsPerEpoch: Int) -> Int {
        switch self {
        case let .epochs(count): return count
        case let .trainLossBelow(_, maxEpochs): return maxEpochs
        case let .runningLossBelow(_, _, _, _, maxEpochs): return maxEpochs
        case let .steps(count): return stepsPerEpoch > 0 ? (count + stepsPerEpoch - 1) / stepsPerEpoch : 0
        }
    }

    /// The thresholds whose first crossing is recorded as a ``RunMilestone`` (empty
    /// for rules without a running average).
    public var milestoneThresholds: [Double] {
        if case let .runningLossBelow(threshold, finalThreshold, _, _, _) = self { return [threshold, finalThreshold] }
        return []
    }

    /// The largest number of optimiser steps the rule allows.
    public func stepLimit(stepsPerEpoch: Int) -> Int {
        switch self {
        case let .steps(count): return count
        default: return epochLimit(stepsPerEpoch: stepsPerEpoch) * stepsPerEpoch
        }
    }
}

/// When layer alignments A_l are measured during a run (both probe sets each time).
///
/// Measurement points are optimiser step counts s (the state after s steps):
/// - s = 0 when `atInitialisation`;
/// - log-spaced steps s = round(10^(i/p)) for i = 0, 1, 2, … with
///   p = `logSpacedStepsPerDecade` (duplicates removed; none when p = 0), as long
///   as s ≤ `logSpacedUntilEpoch` · steps per epoch — with p = 5: 1, 2, 3, 4, 6,
///   10, 16, 25, 40, 63, 100, …;
/// - at the end of every epoch when `everyEpoch`;
/// - at the step where the stopping rule fires when `atStop`.
/// A step that qualifies for several reasons is measured once.
public struct AlignmentSchedule: Codable, Hashable, Sendable {
    /// Measure the untrained network (step 0).
    public var atInitialisation: Bool
    /// Points per decade of the log-spaced early schedule (0 = none).
    public var logSpacedStepsPerDecade: Int
    /// How far, in epochs, the log-spaced schedule extends.
    public var logSpacedUntilEpoch: Double
    /// Measure at the end of every epoch.
    public var everyEpoch: Bool
    /// Measure when the run stops.
    public var atStop: Bool
    /// The centring used in A_l (paper Eq. 6 uses ``Centring/full``).
    public var centring: Centring
    /// Measure at each ``RunMilestone`` of the stopping rule (nil = no; absent from the
    /// canonical JSON then, so older specifications keep their hashes).
    public var atMilestones: Bool?
    /// Measure at the end of these epochs (counted from 1; nil = none, absent from the canonical
    /// JSON). A replay of a finished run with its last epochs listed gives A_l over the epochs
    /// before its stop without changing what is trained (``PeakStability``).
    public var atEpochs: [Int]?

    public init(atInitialisation: Bool = true, logSpacedStepsPerDecade: Int = 0, logSpacedUntilEpoch: Double = 0,
                everyEpoch: Bool = false, atStop: Bool = true, centring: Centring = .full, atMilestones: Bool? = nil,
                atEpochs: [Int]? = nil) {
        self.atEpochs = atEpochs
        self.atInitialisation = atInitialisation
        self.logSpacedStepsPerDecade = logSpacedStepsPerDecade
        self.logSpacedUntilEpoch = logSpacedUntilEpoch
        self.everyEpoch = everyEpoch
        self.atStop = atStop
        self.centring = centring
        self.atMilestones = atMilestones
    }

    /// No measurement at all.
    public static let never = AlignmentSchedule(atInitialisation: false, atStop: false)

    /// At initialisation and at the stop only (the end-of-training alignment profile).
    public static let endpoints = AlignmentSchedule()

    /// Whether any measurement is scheduled.
    public var measuresAnything: Bool {
        atInitialisation || everyEpoch || atStop || atMilestones == true || !(atEpochs ?? []).isEmpty || (logSpacedStepsPerDecade > 0 && logSpacedUntilEpoch > 0)
    }

    /// The log-spaced measurement steps (ascending, distinct, all ≥ 1), up to
    /// ⌊`logSpacedUntilEpoch` · `stepsPerEpoch`⌋.
    public func logSpacedSteps(stepsPerEpoch: Int) -> [Int] {
        guard logSpacedStepsPerDecade > 0, logSpacedUntilEpoch > 0, stepsPerEpoch > 0 else { return [] }
        let lastStep = Int((logSpacedUntilEpoch * Double(stepsPerEpoch)).rounded(.down))
        var steps: [Int] = []
        var index = 0
        while true {
            let step = Int(Foundation.pow(10, Double(index) / Double(logSpacedStepsPerDecade)).rounded())
            if step > lastStep { break }
            if steps.last != step { steps.append(step) }
            index += 1
        }
        return steps
    }
}

/// Appendix G's layerwise spectra (``LayerSpectra``), measured once when the run stops, on the
/// training probe with its training labels and the run's centring.
public struct SpectraSchedule: Codable, Hashable, Sendable {
    /// How many normalised eigenvalues to keep per layer and matrix (Fig 19 shows 200).
    public var top: Int

    public init(top: Int = 200) {
        self.top = top
    }
}

/// How the two probe sets of a run are chosen, when not class-balanced.
public enum ProbeSelection: Codable, Hashable, Sendable {
    /// The first `trainCount` samples of one seeded shuffle of the training samples
    /// actually used (stream "probe"; not class-balanced) and the first `testCount`
    /// samples of the test split in file order: what a PyTorch script gets from the first
    /// batches of a shuffled training loader and of an unshuffled test loader (the
    /// authors' `extract_small_loader`).
    case leadingSamples(trainCount: Int, testCount: Int)
}

/// Everything that determines a training run and its measurements: two equal
/// specifications give bit-for-bit equal records (wall times aside), and the
/// ``configurationHash`` names the run in the cache.
///
/// Random streams, all derived from `seed` (see ``SeededGenerator/derived(_:)``):
/// "subset" picks the training subset, "label-noise" the corrupted labels,
/// "probe" the two probe sets (training probe first, then test probe), "init"
/// the initial weights, and "batches" the minibatch order (one derived stream
/// per epoch, "epoch 0", "epoch 1", …).
public struct RunSpec: Codable, Hashable, Sendable, CanonicallyHashed {
    /// The dataset (standardised per channel with training-set statistics).
    public var dataset: DatasetName
    /// Training samples per class (a class-balanced random subset); nil = the full training set.
    public var trainSubsetPerClass: Int?
    /// Probe size per class: the training probe is drawn class-balanced from
    /// the training samples actually used (the subset, with their possibly
    /// corrupted labels), the test probe, of the same size, from the test set.
    public var probePerClass: Int
    /// The kind and shape of the network; its input and output sizes must match the dataset.
    public var architecture: Architecture
    /// The optimiser and its hyperparameters.
    public var optimizer: OptimizerSettings
    /// The training loss.
    public var loss: LossFunction
    /// Minibatch size; the last minibatch of an epoch holds the remainder (PyTorch's `drop_last=False`).
    public var batchSize: Int
    /// When to stop.
    public var stopping: StoppingRule
    /// When to measure alignments.
    public var alignment: AlignmentSchedule
    /// Fraction of training labels replaced by a different, uniformly chosen class (0 = clean).
    public var labelNoiseFraction: Double
    /// The seed all random streams are derived from.
    public var seed: UInt64
    /// Whether the final weights are written next to the record.
    public var saveFinalWeights: Bool
    /// How the probes are chosen; nil = class-balanced, `probePerClass` of each class
    /// (absent from the canonical JSON then, so older specifications keep their hashes).
    public var probeSelection: ProbeSelection?
    /// Appendix G's spectra at the stop; nil = none (absent from the canonical JSON then, so
    /// every specification without them keeps its hash).
    public var spectra: SpectraSchedule?

    /// - Parameter architecture: an ``Architecture``, or the shape of one of its cases (a
    ///   ``DenseArchitecture`` such as ``architecture(for:width:depth:hasBias:tiedHiddenWeights:)`` returns).
    public init(dataset: DatasetName, trainSubsetPerClass: Int? = nil, probePerClass: Int = 50,
                architecture: some ArchitectureConvertible, optimizer: OptimizerSettings, loss: LossFunction = .crossEntropy,
                batchSize: Int = 128, stopping: StoppingRule, alignment: AlignmentSchedule = .endpoints,
                labelNoiseFraction: Double = 0, seed: UInt64 = 0, saveFinalWeights: Bool = false,
                probeSelection: ProbeSelection? = nil, spectra: SpectraSchedule? = nil) {
        self.dataset = dataset
        self.trainSubsetPerClass = trainSubsetPerClass
        self.probePerClass = probePerClass
        self.architecture = architecture.asArchitecture
        self.optimizer = optimizer
        self.loss = loss
        self.batchSize = batchSize
        self.stopping = stopping
        self.alignment = alignment
        self.labelNoiseFraction = labelNoiseFraction
        self.seed = seed
        self.saveFinalWeights = saveFinalWeights
        self.probeSelection = probeSelection
        self.spectra = spectra
    }

    /// The architecture of a fully connected network for `dataset`: input
    /// dimension d = the flattened image size, k = the number of classes.
    public static func architecture(for dataset: DatasetName, width: Int, depth: Int, hasBias: Bool = true,
                                    tiedHiddenWeights: Bool = false) -> DenseArchitecture {
        DenseArchitecture(inputDimension: dataset.imageShape.featureCount, width: width, depth: depth,
                          outputDimension: dataset.classCount, hasBias: hasBias, tiedHiddenWeights: tiedHiddenWeights)
    }


    /// A short human-readable name, e.g. "fashion-mnist L10 N100 sgd lr0.003 bs128 seed0".
    public var label: String {
        var parts = [dataset.rawValue]
        if let perClass = trainSubsetPerClass { parts.append("\(perClass)/class") }
        parts.append("L\(architecture.depth) N\(architecture.width)")
        if architecture.dense?.tiedHiddenWeights == true { parts.append("tied") }
        switch optimizer {
        case .sgd: parts.append("sgd")
        case .adam: parts.append("adam")
        }
        parts.append("lr\(optimizer.learningRate) bs\(batchSize)")
        if labelNoiseFraction > 0 { parts.append("noise\(labelNoiseFraction)") }
        parts.append("seed\(seed)")
        return parts.joined(separator: " ")
    }

    /// Checks that the specification describes a run that can be carried out.
    /// - Throws: ``RunSpecError`` naming the offending setting.
    public func validate() throws {
        do {
            try architecture.validate()
            try optimizer.validate()
        } catch {
            throw RunSpecError.invalidSetting("\(error)")
        }
        let expected = Self.architecture(for: dataset, width: 1, depth: 1)
        guard architecture.inputDimension == expected.inputDimension else {
            throw RunSpecError.architectureMismatch(
                "the network takes \(architecture.inputDimension) inputs but \(dataset.displayName) images have \(expected.inputDimension) features")
        }
        guard architecture.outputDimension == expected.outputDimension else {
            throw RunSpecError.architectureMismatch(
                "the network has \(architecture.outputDimension) outputs but \(dataset.displayName) has \(expected.outputDimension) classes")
        }
        guard batchSize >= 1 else { throw RunSpecError.invalidSetting("the batch size is \(batchSize); use 1 or more") }
        if let perClass = trainSubsetPerClass {
            guard perClass >= 1 else {
                throw RunSpecError.invalidSetting("the training subset has \(perClass) samples per class; use 1 or more, or the full set")
            }
            if alignment.measuresAnything && probeSelection == nil && probePerClass > perClass {
                throw RunSpecError.invalidSetting(
                    "the probe asks for \(probePerClass) samples per class but training uses only \(perClass) per class; use a probe of at most \(perClass)")
            }
        }
        if case let .leadingSamples(trainCount, testCount) = probeSelection, trainCount < 1 || testCount < 1 {
            throw RunSpecError.invalidSetting("the probes have \(trainCount) training and \(testCount) test samples; alignments need at least 1 of each")
        }
        if alignment.measuresAnything && probeSelection == nil && probePerClass < 1 {
            throw RunSpecError.invalidSetting("the probe has \(probePerClass) samples per class; alignments need at least 1")
        }
        if let spectra {
            guard spectra.top >= 1 else { throw RunSpecError.invalidSetting("the spectra keep \(spectra.top) eigenvalues per layer; use 1 or more") }
            guard alignment.measuresAnything else {
                throw RunSpecError.invalidSetting("the spectra are measured on the training probe, which exists only when the alignment schedule measures something; add a measurement (e.g. at the stop)")
            }
        }
        guard probePerClass >= 0 else { throw RunSpecError.invalidSetting("the probe size \(probePerClass) is negative") }
        guard labelNoiseFraction.isFinite, labelNoiseFraction >= 0, labelNoiseFraction <= 1 else {
            throw RunSpecError.invalidSetting("the label-noise fraction is \(labelNoiseFraction); use a value between 0 and 1")
        }
        switch stopping {
        case let .epochs(count) where count < 1:
            throw RunSpecError.invalidSetting("the run is to stop after \(count) epochs; use 1 or more")
        case let .steps(count) where count < 1:
            throw RunSpecError.invalidSetting("the run is to stop after \(count) steps; use 1 or more")
        case let .trainLossBelow(threshold, maxEpochs):
            guard threshold.isFinite, threshold > 0 else {
                throw RunSpecError.invalidSetting("the train-loss threshold is \(threshold); use a positive number such as 0.1")
            }
            guard maxEpochs >= 1 else {
                throw RunSpecError.invalidSetting("the epoch cap is \(maxEpochs); use 1 or more")
            }
        case let .runningLossBelow(threshold, finalThreshold, smoothing, consecutiveEpochs, maxEpochs):
            guard threshold.isFinite, finalThreshold.isFinite, threshold > 0, finalThreshold > 0 else {
                throw RunSpecError.invalidSetting("the running-loss thresholds are \(threshold) and \(finalThreshold); use positive numbers such as 0.1 and 0.02")
            }
            guard smoothing.isFinite, smoothing >= 0, smoothing < 1 else {
                throw RunSpecError.invalidSetting("the running-average factor γ is \(smoothing); use a value in [0, 1), such as 0.9")
            }
            guard consecutiveEpochs >= 1, maxEpochs >= 1 else {
                throw RunSpecError.invalidSetting("the running-loss rule needs at least 1 consecutive epoch and an epoch cap of 1 or more (got \(consecutiveEpochs) and \(maxEpochs))")
            }
        default:
            break
        }
        if let epochs = alignment.atEpochs, let bad = epochs.first(where: { $0 < 1 }) {
            throw RunSpecError.invalidSetting("the alignment schedule lists epoch \(bad); epochs count from 1")
        }
        guard alignment.logSpacedStepsPerDecade >= 0, alignment.logSpacedUntilEpoch.isFinite,
              alignment.logSpacedUntilEpoch >= 0 else {
            throw RunSpecError.invalidSetting("the log-spaced alignment schedule needs a non-negative number of points per decade and a finite, non-negative end epoch")
        }
    }
}

/// A run specification that cannot be carried out.
public enum RunSpecError: Error, CustomStringConvertible, Equatable {
    /// The network's input or output size does not fit the dataset.
    case architectureMismatch(String)
    /// A setting is out of range.
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .architectureMismatch(detail):
            return "The run specification does not fit its dataset: \(detail); build the architecture with RunSpec.architecture(for:width:depth:)."
        case let .invalidSetting(detail):
            return "The run specification is invalid: \(detail)."
        }
    }
}
