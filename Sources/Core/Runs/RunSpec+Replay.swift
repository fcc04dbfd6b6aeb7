import Foundation

extension RunSpec {
    /// The run of `record` replayed up to the end of epoch `endEpoch`, measuring A_l at the end
    /// of each of its last `window` epochs (``AlignmentSchedule/atEpochs``) and nothing else.
    ///
    /// Training does not depend on when alignments are measured (measurements read the network
    /// and the probes, which are drawn before training from their own stream), so the replay
    /// trains the same network as the original up to `endEpoch` — tested in PeakStabilityTests.
    /// Nil when the original did not run `endEpoch` whole epochs.
    public static func replay(of record: RunRecord, endEpoch: Int, window: Int) -> RunSpec? {
        guard endEpoch >= 1, window >= 1, record.stopReason != .diverged,
              record.epochs.filter({ $0.batches == record.stepsPerEpoch }).count >= endEpoch else { return nil }
        var spec = record.spec
        spec.stopping = .epochs(endEpoch)
        spec.saveFinalWeights = false
        spec.alignment = AlignmentSchedule(atInitialisation: false, atStop: true, centring: record.spec.alignment.centring,
                                           atEpochs: Array(max(1, endEpoch - window + 1)...endEpoch))
        return spec
    }
}
