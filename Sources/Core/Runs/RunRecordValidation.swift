import Foundation

/// Why a stored run record is not used.
public enum RunRecordError: Error, CustomStringConvertible, Equatable {
    /// The record has no checksum: written by a version of `reproduce` before records were
    /// checksummed and fingerprinted, so neither its integrity nor its data can be checked.
    case unverified(path: String, cache: String)
    /// The record was trained on other data than the dataset files now read.
    case stale(path: String, differences: [String])

    public var description: String {
        switch self {
        case let .unverified(path, cache):
            return "'\(path)' has no checksum or data fingerprint (it was written by an older version of reproduce), so it is not used; "
                + "run 'reproduce migrate-records --cache \(cache)' with the dataset present to check and upgrade it without retraining, "
                + "or delete it to rerun the run."
        case let .stale(path, differences):
            return "'\(path)' was trained on other data than the dataset files now read (\(differences.joined(separator: "; "))), so it is not used; "
                + "restore the data it was trained on (or point --data-dir at them), or delete the record to retrain on the current data."
        }
    }
}

/// Whether a record's data could be checked against the dataset files the run would read now.
public enum DataCheck: Sendable, Equatable {
    /// The record's data fingerprint equals that of the files now read.
    case matches
    /// The record could not be checked (the dataset is not on this machine, or the record has
    /// no fingerprint); `reason` says why. It is used, and marked where it is used.
    case unchecked(reason: String)
}

extension RunRecord {
    /// Allowed rounding beyond [0, 1] for A_l. A_l = ỸᵀK_lỸ / (‖CK_lC‖_F ‖Ỹ‖²) (paper Eq. 7) with
    /// K_l = (F_l + 1) ∘ B_l positive semi-definite (a Hadamard product of Gram matrices) and C a
    /// projection (all three centrings): ỸᵀK_lỸ = Ỹᵀ(CK_lC)Ỹ ∈ [0, ‖CK_lC‖₂‖Ỹ‖²] ⊂ [0, ‖CK_lC‖_F‖Ỹ‖²],
    /// so A_l ∈ [0, 1] up to floating-point rounding. The rounding is relative to ‖K_l‖, not to
    /// ‖CK_lC‖: in a layer of a collapsed network (every sample's Jacobian nearly the same, e.g. a
    /// deep tied-weight network at chance) CK_lC is close to zero and a measured A_l of −1·10⁻⁵
    /// occurs (runs/factors, the tied-weight row), so the check allows 10⁻³; a corrupt file is caught by
    /// the checksum, this only catches values no computation of A_l can give.
    static let alignmentSlack = 1e-3

    /// The first inconsistency of the record's contents, in words, or nil when it is consistent:
    /// the specification and hash, accuracies in [0, 1], losses not negative (non-finite only in a
    /// diverged run), A_l finite and in [0, 1], one A_l per layer, non-empty epoch list (and
    /// alignment list when the schedule measures anything), epochs numbered 1, 2, … with step
    /// counts that follow from the steps per epoch and end at `totalSteps`.
    public func inconsistency(for spec: RunSpec) -> String? {
        guard self.spec == spec, configurationHash == spec.configurationHash else {
            return "it records a different run specification than its name says"
        }
        guard trainingSampleCount > 0, stepsPerEpoch == (trainingSampleCount + spec.batchSize - 1) / spec.batchSize else {
            return "its steps per epoch (\(stepsPerEpoch)) do not follow from \(trainingSampleCount) samples in batches of \(spec.batchSize)"
        }
        guard !epochs.isEmpty else { return "its list of epochs is empty" }
        if spec.alignment.measuresAnything && alignments.isEmpty { return "its list of alignment measurements is empty" }
        for (index, entry) in epochs.enumerated() {
            guard entry.epoch == index + 1, entry.batches >= 1, entry.batches <= stepsPerEpoch,
                  entry.step == (entry.epoch - 1) * stepsPerEpoch + entry.batches,
                  index == epochs.count - 1 || entry.batches == stepsPerEpoch else {
                return "epoch entry \(index + 1) has inconsistent epoch, batch or step counts"
            }
        }
        guard epochs.last?.step == totalSteps else { return "its last epoch ends at step \(epochs.last?.step ?? 0), not at its total \(totalSteps)" }
        let diverged = stopReason == .diverged
        func badAccuracy(_ value: Double) -> Bool { !(value >= 0 && value <= 1) }
        func badLoss(_ value: Double) -> Bool { value < 0 || (!value.isFinite && !diverged) }
        for entry in epochs {
            if badAccuracy(entry.trainAccuracy) || badAccuracy(entry.testAccuracy) {
                return "epoch \(entry.epoch) has an accuracy outside [0, 1]"
            }
            if badLoss(entry.trainLoss) || badLoss(entry.testLoss) { return "epoch \(entry.epoch) has a negative or non-finite loss" }
        }
        if badAccuracy(finalTrain.accuracy) || badAccuracy(finalTest.accuracy) { return "its final accuracy lies outside [0, 1]" }
        if badLoss(finalTrain.loss) || badLoss(finalTest.loss) { return "its final loss is negative or non-finite" }
        if let spectra, spectra.layers.map(\.layer) != Array(1...max(1, spec.architecture.depth)) {
            return "its spectra have layers \(spectra.layers.map(\.layer)), not 1…\(spec.architecture.depth)"
        }
        var previousStep = -1
        for snapshot in alignments {
            guard snapshot.step >= previousStep, snapshot.step <= totalSteps else {
                return "its alignment measurements are not in step order within 0…\(totalSteps)"
            }
            previousStep = snapshot.step
            let lists = [snapshot.trainProbe, snapshot.testProbe] + (snapshot.otherCentrings ?? []).flatMap { [$0.trainProbe, $0.testProbe] }
            for values in lists {
                guard values.count == spec.architecture.depth else {
                    return "an alignment measurement at step \(snapshot.step) has \(values.count) layers, not \(spec.architecture.depth)"
                }
                if let bad = values.first(where: { !($0 >= -Self.alignmentSlack && $0 <= 1 + Self.alignmentSlack) }) {
                    return "an alignment A_l = \(bad) at step \(snapshot.step) lies outside [0, 1]"
                }
            }
        }
        return nil
    }
}
