import Foundation

/// Why a run stopped.
public enum StopReason: String, Codable, Sendable, CaseIterable {
    /// The epoch's train loss fell below the threshold of ``StoppingRule/trainLossBelow(threshold:maxEpochs:)``.
    case thresholdReached
    /// The epoch cap was reached (``StoppingRule/epochs(_:)``, or the cap of a threshold rule).
    case epochCap
    /// The step count of ``StoppingRule/steps(_:)`` was reached.
    case stepCap
    /// The epoch's train loss was not finite (NaN or infinite): training diverged and was abandoned.
    case diverged
}

/// What was measured over one epoch.
public struct EpochEntry: Codable, Sendable, Equatable {
    /// The epoch, counted from 1.
    public var epoch: Int
    /// Optimiser steps taken since the start of the run, at the end of this entry.
    public var step: Int
    /// Minibatches this entry averages over (fewer than an epoch's only for
    /// the last entry of a run stopped by ``StoppingRule/steps(_:)`` mid-epoch).
    public var batches: Int
    /// Mean loss over the epoch's minibatches, each sample counted once
    /// (Σ over batches of batch mean · batch size, divided by the samples seen).
    public var trainLoss: Double
    /// Fraction of the epoch's training samples classified correctly when their minibatch was processed.
    public var trainAccuracy: Double
    /// Mean loss on the full test split after the epoch.
    public var testLoss: Double
    /// Accuracy on the full test split after the epoch.
    public var testAccuracy: Double
    /// Wall-clock seconds since the start of the run at the end of the epoch
    /// (summed over sessions when resumed; not part of the deterministic results).
    public var wallSeconds: Double
    /// The running average of the minibatch losses at the end of the epoch, for a
    /// ``StoppingRule/runningLossBelow(threshold:finalThreshold:smoothing:consecutiveEpochs:maxEpochs:)``
    /// rule (nil otherwise).
    public var runningTrainLoss: Double?

    public init(epoch: Int, step: Int, batches: Int, trainLoss: Double, trainAccuracy: Double,
                testLoss: Double, testAccuracy: Double, wallSeconds: Double, runningTrainLoss: Double? = nil) {
        self.runningTrainLoss = runningTrainLoss
        self.epoch = epoch
        self.step = step
        self.batches = batches
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.wallSeconds = wallSeconds
    }
}

/// The first epoch end at which a running-loss stopping rule's readings were all below
/// one of its thresholds (see ``StoppingRule/milestoneThresholds``).
public struct RunMilestone: Codable, Sendable, Equatable {
    /// The threshold crossed (e.g. 0.1).
    public var threshold: Double
    /// Epochs completed when it was crossed.
    public var epoch: Int
    /// Optimiser steps taken when it was crossed.
    public var step: Int
}

/// The layer alignments A_1 … A_L at one moment of training.
public struct AlignmentSnapshot: Codable, Sendable, Equatable {
    /// Optimiser steps taken (0 = initialisation).
    public var step: Int
    /// step / steps per epoch.
    public var epoch: Double
    /// A_l on the training probe, index 0 = layer 1.
    public var trainProbe: [Double]
    /// A_l on the test probe, index 0 = layer 1.
    public var testProbe: [Double]
    /// A_l under the other centrings, from the same kernels (nil in records written before
    /// they were kept). Figures use the run's own centring (`spec.alignment.centring`); these
    /// let a study ask how much the convention matters without retraining.
    public var otherCentrings: [CentredAlignments]?

    public init(step: Int, epoch: Double, trainProbe: [Double], testProbe: [Double], otherCentrings: [CentredAlignments]? = nil) {
        self.step = step
        self.epoch = epoch
        self.trainProbe = trainProbe
        self.testProbe = testProbe
        self.otherCentrings = otherCentrings
    }

    /// A_l on the training probe under `centring`: the snapshot's own values when `centring` is
    /// the run's (`own`), else the stored alternative (nil when it was not kept).
    public func trainProbe(centring: Centring, own: Centring) -> [Double]? {
        centring == own ? trainProbe : otherCentrings?.first { $0.centring == centring }?.trainProbe
    }
}

/// A_l on both probes under one centring.
public struct CentredAlignments: Codable, Sendable, Equatable {
    /// The centring.
    public var centring: Centring
    /// A_l on the training probe, index 0 = layer 1.
    public var trainProbe: [Double]
    /// A_l on the test probe, index 0 = layer 1.
    public var testProbe: [Double]

    public init(centring: Centring, trainProbe: [Double], testProbe: [Double]) {
        self.centring = centring
        self.trainProbe = trainProbe
        self.testProbe = testProbe
    }
}

/// The complete result of one training run, as stored in the cache.
public struct RunRecord: Codable, Sendable {
    /// The record layout version this program writes and reads.
    public static let currentFormatVersion = 1

    /// The layout version of this record.
    public var formatVersion: Int
    /// What was run.
    public var spec: RunSpec
    /// `spec.configurationHash` at the time of the run.
    public var configurationHash: String
    /// Number of training samples n (after subsetting).
    public var trainingSampleCount: Int
    /// ⌈n / batch size⌉.
    public var stepsPerEpoch: Int
    /// One entry per epoch (the last may be partial, see ``EpochEntry/batches``).
    public var epochs: [EpochEntry]
    /// Alignment measurements in step order.
    public var alignments: [AlignmentSnapshot]
    /// Why training stopped.
    public var stopReason: StopReason
    /// Optimiser steps taken.
    public var totalSteps: Int
    /// Loss and accuracy of the final network on the whole training set (with
    /// its possibly corrupted labels), evaluated after training in batches of 1000.
    public var finalTrain: Evaluation
    /// Loss and accuracy of the final network on the full test split.
    public var finalTest: Evaluation
    /// Wall-clock seconds of training and measurement, summed over sessions.
    public var wallSeconds: Double
    /// Where it ran: architecture, OS, BLAS kernel, cores.
    public var machine: String
    /// File name (in the cache directory) of the final weights, when saved.
    public var finalWeightsFile: String?
    /// The milestones of a running-loss stopping rule, in the order crossed (nil for other rules).
    public var milestones: [RunMilestone]?
    /// The data the run was trained on (nil for data that were not read from dataset files,
    /// e.g. in tests); checked on read against the data the current run would read.
    public var dataFingerprint: DataFingerprint?
    /// Appendix G's layerwise spectra at the stop (``RunSpec/spectra``); nil when not asked for, or
    /// when the final network's kernels were not finite (a diverged run).
    public var spectra: SpectraSnapshot?
    /// ``computedChecksum()`` at the time the record was stored, set by ``RunCache/store(_:)``;
    /// nil in records written before records had checksums (upgrade them with
    /// `reproduce migrate-records`).
    public var checksum: String?

    public init(spec: RunSpec, trainingSampleCount: Int, stepsPerEpoch: Int, epochs: [EpochEntry],
                alignments: [AlignmentSnapshot], stopReason: StopReason, totalSteps: Int,
                finalTrain: Evaluation, finalTest: Evaluation, wallSeconds: Double, machine: String,
                finalWeightsFile: String?, milestones: [RunMilestone]? = nil, dataFingerprint: DataFingerprint? = nil) {
        self.formatVersion = Self.currentFormatVersion
        self.milestones = milestones
        self.spec = spec
        self.configurationHash = spec.configurationHash
        self.trainingSampleCount = trainingSampleCount
        self.stepsPerEpoch = stepsPerEpoch
        self.epochs = epochs
        self.alignments = alignments
        self.stopReason = stopReason
        self.totalSteps = totalSteps
        self.finalTrain = finalTrain
        self.finalTest = finalTest
        self.wallSeconds = wallSeconds
        self.machine = machine
        self.finalWeightsFile = finalWeightsFile
        self.dataFingerprint = dataFingerprint
    }

    /// The record's checksum: FNV-1a 64 (16 hex digits) of its compact JSON with sorted keys
    /// and without the `checksum` field (the encoding of ``RunCache``).
    public func computedChecksum() throws -> String {
        var copy = self
        copy.checksum = nil
        return StableHash.hexDigits(StableHash.fnv1a64(try RunCache.jsonEncoder(pretty: false).encode(copy)))
    }

    /// The last alignment measurement, if any.
    public var finalAlignment: AlignmentSnapshot? { alignments.last }

    /// A copy for measuring under another centring: every snapshot's probes replaced by the
    /// values kept under `centring` (``AlignmentSnapshot/otherCentrings``), which the copy then
    /// drops. It keeps its spec (and hash), so it is for analysis in memory, never for the cache.
    /// The record itself when `centring` is its own; nil when a snapshot did not keep it.
    public func recentred(_ centring: Centring) -> RunRecord? {
        guard centring != spec.alignment.centring else { return self }
        var copy = self
        for index in copy.alignments.indices {
            guard let kept = alignments[index].otherCentrings?.first(where: { $0.centring == centring }) else { return nil }
            copy.alignments[index] = AlignmentSnapshot(step: alignments[index].step, epoch: alignments[index].epoch,
                                                       trainProbe: kept.trainProbe, testProbe: kept.testProbe)
        }
        return copy
    }

    /// The alignment measured at the first crossing of `threshold` by the running loss
    /// (nil when the rule never crossed it or nothing was measured there).
    public func alignment(atMilestone threshold: Double) -> AlignmentSnapshot? {
        guard let milestone = milestones?.first(where: { $0.threshold == threshold }) else { return nil }
        return alignments.last { $0.step == milestone.step }
    }

    /// Number of epochs begun (the last may be partial).
    public var epochCount: Int { epochs.last?.epoch ?? 0 }

    /// The record with every wall-clock time and the machine description
    /// blanked: what must agree bit for bit between two runs of one specification.
    public var deterministicPart: RunRecord {
        var copy = self
        copy.wallSeconds = 0
        copy.machine = ""
        copy.checksum = nil
        for index in copy.epochs.indices { copy.epochs[index].wallSeconds = 0 }
        return copy
    }

    /// A one-line description of this machine, e.g. "x86_64 Linux, 2 cores, OpenBLAS Haswell"
    /// (processor architecture and kernel name as `uname` reports them).
    public static func describeMachine() -> String {
        var names = utsname()
        let (architecture, system) = uname(&names) == 0
            ? (utsnameField(names.machine), utsnameField(names.sysname))
            : ("unknown architecture", "unknown OS")
        return "\(architecture) \(system), \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS \(BLASRuntime.coreName)"
    }
}

/// A NUL-terminated `utsname` field as a string.
private func utsnameField<T>(_ field: T) -> String {
    withUnsafeBytes(of: field) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
