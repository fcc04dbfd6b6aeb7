import Core
import Foundation

/// The training protocol of the Appendix G figures (Figs 19–23), FFNN analogue of the paper's VGG19
/// on CIFAR-10: three conditions chosen, as in Fig 20's caption, to end at different test accuracies —
/// a well-generalising learning rate (the paper's 0.02), a small one (the paper's 0.001), and the small
/// one with 20% of the training labels replaced by random other classes. Each condition is trained
/// from several seeds (the independent units of every interval), for a fixed number of epochs, with
/// the spectra of ``LayerSpectra`` measured at the stop on the training probe. All five figures ask for
/// the same runs, so they are trained once. Choices and their reasons: docs/appendix-g.md.
public enum AppendixGProtocol {
    /// One training condition of Fig 20.
    public enum Condition: Int, CaseIterable, Sendable {
        /// lr 0.02 (Fig 20's blue).
        case goodRate
        /// lr 0.001 (orange).
        case smallRate
        /// lr 0.001 and 20% random labels (green).
        case smallRateRandomLabels

        /// The SGD learning rate (the paper's values).
        public var learningRate: Double { self == .goodRate ? 0.02 : 0.001 }
        /// The fraction of training labels replaced by another class.
        public var labelNoise: Double { self == .smallRateRandomLabels ? 0.2 : 0 }
        /// The legend label.
        public var label: String {
            switch self {
            case .goodRate: return "lr 0.02"
            case .smallRate: return "lr 0.001"
            case .smallRateRandomLabels: return "lr 0.001, 20% random labels"
            }
        }
        /// The palette index: the paper's blue, orange, green.
        var colorIndex: Int { rawValue }
    }

    /// SGD momentum and weight decay (those of the other FFNN figures).
    public static let momentum = AlignmentHierarchyProtocol.momentum
    public static let weightDecay = AlignmentHierarchyProtocol.weightDecay
    /// Minibatch size.
    public static let batchSize = 128
    /// Eigenvalues kept per layer (Fig 19 shows the top 200).
    public static let topEigenvalues = 200

    /// Depth L: 10 in full (Figs 2, 7), 8 in quick.
    public static func depth(_ profile: Profile) -> Int { profile == .quick ? 8 : 10 }
    /// Width: 256 in full, 128 in quick.
    public static func width(_ profile: Profile) -> Int { profile == .quick ? 128 : 256 }
    /// Training images per class (class-balanced subset).
    public static func trainPerClass(_ profile: Profile) -> Int { profile == .quick ? 200 : 1000 }
    /// Epochs (a fixed budget, so that the small rate ends less trained, as the paper's does).
    public static func epochs(_ profile: Profile) -> Int { 40 }
    /// Probe images per class: nk = 10·k·perClass (800 quick, 1000 full for 10 classes).
    public static func probePerClass(_ profile: Profile) -> Int { profile == .quick ? 8 : 10 }
    /// Seeds per condition (4: three left the quick intervals of two claims straddling their bound).
    public static func seedCount(_ profile: Profile) -> Int { 4 }

    /// The run of one condition and seed on `dataset`.
    public static func spec(_ condition: Condition, dataset: DatasetName, profile: Profile, seed: UInt64) -> RunSpec {
        RunSpec(
            dataset: dataset, trainSubsetPerClass: trainPerClass(profile), probePerClass: probePerClass(profile),
            architecture: RunSpec.architecture(for: dataset, width: width(profile), depth: depth(profile), hasBias: true),
            optimizer: .sgd(learningRate: condition.learningRate, momentum: momentum, weightDecay: weightDecay),
            loss: .crossEntropy, batchSize: batchSize, stopping: .epochs(epochs(profile)),
            alignment: AlignmentSchedule(atInitialisation: false, atStop: true, centring: .full),
            labelNoiseFraction: condition.labelNoise, seed: seed, spectra: SpectraSchedule(top: topEigenvalues))
    }

    /// Every run on `dataset`: condition-major, then seeds base, base + 1, ….
    public static func specs(dataset: DatasetName, profile: Profile, baseSeed: UInt64) -> [(condition: Condition, spec: RunSpec)] {
        Condition.allCases.flatMap { condition in
            (0..<seedCount(profile)).map { (condition, spec(condition, dataset: dataset, profile: profile, seed: baseSeed &+ UInt64($0))) }
        }
    }

    /// The protocol rows of every Appendix G figure.
    static func settings(_ profile: Profile, seed: UInt64) -> [FigureResult.Setting] {
        [
            .init("network", "fully connected ReLU (FFNN analogue of the paper's VGG19), depth \(depth(profile)), width \(width(profile)), biases, He initialisation"),
            .init("conditions", Condition.allCases.map(\.label).joined(separator: "; ") + " (the paper's learning rates and label noise, Fig 20 caption)"),
            .init("training", "SGD, momentum \(momentum), weight decay \(weightDecay), batch \(batchSize), \(epochs(profile)) epochs, cross-entropy"),
            .init("training set", "class-balanced subset of \(trainPerClass(profile)) images per class; random labels: 20% replaced by a uniformly chosen other class"),
            .init("probe", "\(probePerClass(profile)) training images per class with their training labels (nk = \(probePerClass(profile) * 100) for 10 classes)"),
            .init("spectra", "at the stop, per layer: C K_l C (full centring, Eq. 6), K_l and S^{1/2} K_l S^{1/2}, decomposed whole: \(KernelSpectrum.method)"),
            .init("seeds", "\(seedCount(profile)) per condition, from \(seed)"),
        ]
    }

    /// The profile in words, for captions.
    static func profileText(_ profile: Profile) -> String {
        "\(profile.rawValue) protocol: depth \(depth(profile)), width \(width(profile)), \(trainPerClass(profile)) training images per class, \(epochs(profile)) epochs, probe nk = \(probePerClass(profile) * 100), \(seedCount(profile)) seeds per condition"
    }
}
