import Core
import Foundation

/// The protocol of the hyperparameter grids (paper Section 4, Fig 4(a), and the FFNN analogues of
/// Figs 11–15): Fashion-MNIST on a fully connected ReLU network, each cell trained until its epoch's
/// mean train loss is below 0.1 or the epoch cap, alignments A_l measured at initialisation and at
/// the stop. Choices and their reasons: docs/grids.md.
///
/// Every figure builds its runs through ``spec(batchSize:optimizer:profile:seed:stopping:)``, so the
/// sweeps that are a row or a column of the grid (Figs 12, 14, 15) share its cached runs.
public enum HyperparameterGridProtocol {
    /// The paper's stopping loss (Fig 4 caption).
    public static let stoppingLoss = 0.1
    /// The paper's epoch cap (Fig 4 caption).
    public static let fullEpochCap = 500
    /// The quick profile's epoch cap (stated in every caption).
    public static let quickEpochCap = 150
    /// Batch sizes of the grid: those of the paper's Fig 14.
    public static let batchSizes = [32, 128, 512, 2048]
    /// SGD learning rates of the grid: half-decades around the rate 0.003 of Figs 2 and 7.
    public static let learningRates = [0.001, 0.003, 0.01, 0.03]
    /// The batch size of the learning-rate sweeps (Figs 2, 7, 12, 13, 15).
    public static let sweepBatchSize = 128
    /// The learning rate of the batch-size sweep (Fig 14 analogue).
    public static let batchSweepLearningRate = 0.01
    /// The learning rates of the Fig 15 analogue: the paper's ResNet18 values.
    public static let fig15LearningRates = [0.001, 0.003, 0.01, 0.02]
    /// The Adam learning rates of the Fig 13 analogue: the paper's VGG19 values.
    public static let adamLearningRates = [0.000032, 0.0001, 0.00032]
    /// The learning rates of the Fig 11 analogue (fixed epoch budget, SGD).
    public static let fig11LearningRates = [0.001, 0.003, 0.01]
    /// The fixed epoch budget of the Fig 11 analogue: the paper's 100 under --full, fewer in quick.
    public static func fig11Epochs(_ profile: Profile) -> Int { profile == .quick ? 30 : 100 }

    /// SGD momentum and weight decay (assumptions shared with Figs 2 and 7: the paper says only
    /// "SGD with momentum and weight decay").
    public static let momentum = AlignmentHierarchyProtocol.momentum
    public static let weightDecay = AlignmentHierarchyProtocol.weightDecay

    /// Depth L: 10 in full (Figs 2, 7), 8 in quick.
    public static func depth(_ profile: Profile) -> Int { profile == .quick ? 8 : 10 }
    /// Width: 256 in full (Figs 2, 7), 128 in quick.
    public static func width(_ profile: Profile) -> Int { profile == .quick ? 128 : 256 }
    /// Training images per class: 200 in quick (class-balanced subset), the full set otherwise.
    public static func trainPerClass(_ profile: Profile) -> Int? { profile == .quick ? 200 : nil }
    /// Probe images per class (training and test probes each).
    public static func probePerClass(_ profile: Profile) -> Int { profile == .quick ? 10 : 30 }
    /// The epoch cap.
    public static func epochCap(_ profile: Profile) -> Int { profile == .quick ? quickEpochCap : fullEpochCap }

    /// The paper's stopping rule with the profile's cap.
    public static func untilConverged(_ profile: Profile) -> StoppingRule {
        .trainLossBelow(threshold: stoppingLoss, maxEpochs: epochCap(profile))
    }

    /// SGD with the grid's momentum and weight decay.
    public static func sgd(_ learningRate: Double) -> OptimizerSettings {
        .sgd(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
    }

    /// One cell: a Fashion-MNIST FFNN of the profile's depth and width.
    public static func spec(batchSize: Int, optimizer: OptimizerSettings, profile: Profile, seed: UInt64,
                            stopping: StoppingRule? = nil) -> RunSpec {
        RunSpec(
            dataset: .fashionMNIST, trainSubsetPerClass: trainPerClass(profile), probePerClass: probePerClass(profile),
            architecture: RunSpec.architecture(for: .fashionMNIST, width: width(profile), depth: depth(profile), hasBias: true),
            optimizer: optimizer, loss: .crossEntropy, batchSize: batchSize,
            stopping: stopping ?? untilConverged(profile), alignment: .endpoints, labelNoiseFraction: 0, seed: seed)
    }

    /// The grid's cells, batch size major (rows), learning rate minor (columns).
    public static func gridSpecs(profile: Profile, seed: UInt64) -> [RunSpec] {
        batchSizes.flatMap { batch in learningRates.map { spec(batchSize: batch, optimizer: sgd($0), profile: profile, seed: seed) } }
    }

    /// The protocol rows of every grid figure.
    static func settings(_ profile: Profile, seed: UInt64) -> [FigureResult.Setting] {
        [
            .init("protocol", profile == .quick
                  ? "quick: class-balanced subset of \(trainPerClass(profile) ?? 0) training images per class; stop at the end of the first epoch with mean train loss < \(stoppingLoss) or after \(quickEpochCap) epochs"
                  : "full: whole training set; stop at the end of the first epoch with mean train loss < \(stoppingLoss) or after \(fullEpochCap) epochs (Fig 4 caption)"),
            .init("network", "fully connected ReLU, depth \(depth(profile)), width \(width(profile)), biases, He initialisation"),
            .init("SGD", "momentum \(momentum), weight decay \(weightDecay) (applied to all parameters)"),
            .init("Adam", "β₁ 0.9, β₂ 0.999, ε 10⁻⁸, no weight decay"),
            .init("loss", "cross-entropy on softmax outputs"),
            .init("alignment probes", "\(probePerClass(profile)) images per class from the training samples used, as many from the test set"),
            .init("alignment schedule", "initialisation and stop; full centring C = I − 11ᵀ/(nk) (paper Eq. 6)"),
            .init("test loss", "mean cross-entropy on the whole Fashion-MNIST test split"),
            .init("loss gap", "final test loss − final train loss (whole training subset, final weights)"),
            .init("seed", "\(seed)"),
        ]
    }

    /// "quick protocol (…)" or "full protocol (…)" for captions.
    static func profileText(_ profile: Profile) -> String {
        profile == .quick
            ? "quick protocol (depth \(depth(profile)), width \(width(profile)), \(trainPerClass(profile) ?? 0) training images per class, epoch cap \(quickEpochCap) instead of the paper's \(fullEpochCap))"
            : "full protocol (depth \(depth(profile)), width \(width(profile)), whole training set, epoch cap \(fullEpochCap))"
    }
}

/// The numbers of one finished cell that the grid figures draw and measure.
struct GridCell {
    var spec: RunSpec
    var outcome: RunOutcome

    var record: RunRecord? { outcome.record }
    /// The final A_l on the training probe.
    var alignments: [Double]? { record?.finalAlignment?.trainProbe }
    var peak: AlignmentPeak? { alignments.flatMap(AlignmentPeak.init) }
    var testLoss: Double? { record.map(\.finalTest.loss) }
    /// Final test loss − final train loss.
    var lossGap: Double? { record.map { $0.finalTest.loss - $0.finalTrain.loss } }
    /// Final train accuracy − final test accuracy, in percent (the paper's "Acc Gap").
    var accuracyGap: Double? { record.map { ($0.finalTrain.accuracy - $0.finalTest.accuracy) * 100 } }
    /// Whether the losses are finite (a diverged run has none).
    var isUsable: Bool {
        guard let testLoss, let lossGap, peak != nil else { return false }
        return testLoss.isFinite && lossGap.isFinite && record?.stopReason != .diverged
    }

    /// How the cell ended, in a word or two: "converged (ep 45)", "capped (150 ep)", "diverged", "not run".
    var status: String {
        guard let record else { return outcome.isNotCached ? "not in cache" : "not run" }
        if case .epochs = spec.stopping, record.stopReason == .epochCap { return "\(record.epochCount) ep (fixed budget)" }
        switch record.stopReason {
        case .thresholdReached: return "converged (ep \(record.epochCount))"
        case .diverged: return "DIVERGED (ep \(record.epochCount))"
        case .epochCap: return "CAPPED (\(record.epochCount) ep)"
        default: return "\(record.stopReason.rawValue) (ep \(record.epochCount))"
        }
    }

    /// Whether the cell did not reach the stopping loss (capped or diverged).
    var isMarked: Bool {
        if case .epochs = spec.stopping { return record?.stopReason != .epochCap }
        return record.map { $0.stopReason != .thresholdReached } ?? true
    }
}
