import Foundation

/// The early rise of the peak layer's alignment (Appendix B.4: the alignments
/// "sharply increase at early stages of training (≈ 2 epochs of batch
/// training), and plateau soon afterwards").
public struct EarlyRise: Equatable, Sendable {
    /// The layer (1-based) with the largest final alignment.
    public var peakLayer: Int
    /// A_peak at initialisation.
    public var initial: Double
    /// A_peak at the end of epoch `epoch` (the last measurement at or before that step).
    public var atEpoch: Double
    /// A_peak at the end of training.
    public var final: Double
    /// The epoch of the intermediate measurement.
    public var epoch: Int

    /// (A(epoch) − A(0)) / (A(final) − A(0)): the fraction of the total increase
    /// reached by the end of `epoch`; nil when the alignment did not increase
    /// (A(final) ≤ A(0)), where the fraction has no meaning.
    public var fraction: Double? {
        let total = final - initial
        guard total > 0, total.isFinite, atEpoch.isFinite else { return nil }
        return (atEpoch - initial) / total
    }
}

/// Pure analysis of alignment measurements for the hierarchy figures (Figs 1, 2, 7, 9, 10); the
/// peak layer is ``PeakLayer/index(of:)``, the one arg-max over layers.
public enum AlignmentHierarchyAnalysis {
    /// Whether the largest A_l sits at a hidden layer: 1 < argmax_l A_l < L.
    /// False for fewer than three layers or no finite value.
    public static func peaksAtHiddenLayer(_ alignments: [Double]) -> Bool {
        guard let peak = PeakLayer.index(of: alignments) else { return false }
        return peak > 1 && peak < alignments.count
    }

    /// The last snapshot taken at or before the end of epoch `epoch`
    /// (step ≤ epoch · stepsPerEpoch); nil when there is none.
    public static func snapshot(atEndOfEpoch epoch: Int, in record: RunRecord) -> AlignmentSnapshot? {
        let step = epoch * record.stepsPerEpoch
        return record.alignments.last { $0.step <= step }
    }

    /// The early rise of the training-probe alignment of the final peak layer
    /// by the end of epoch `epoch`; nil without a measurement at step 0 and a final one.
    public static func earlyRise(_ record: RunRecord, byEpoch epoch: Int = 2) -> EarlyRise? {
        guard let first = record.alignments.first, first.step == 0,
              let last = record.finalAlignment, last.step > 0,
              let peak = PeakLayer.index(of: last.trainProbe),
              let middle = snapshot(atEndOfEpoch: epoch, in: record),
              peak <= first.trainProbe.count, peak <= middle.trainProbe.count else { return nil }
        return EarlyRise(peakLayer: peak, initial: first.trainProbe[peak - 1], atEpoch: middle.trainProbe[peak - 1],
                         final: last.trainProbe[peak - 1], epoch: epoch)
    }
}
