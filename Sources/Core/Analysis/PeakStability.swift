import Foundation

/// How stable the layer of peak alignment is over several snapshots of one run (e.g. the last
/// epochs before its stop). The paper's l* is the arg-max of one snapshot; at large depths the
/// arg-max can jump between distant layers from one epoch to the next while the profile as a
/// whole barely moves, so two robust locations are given beside it:
///
/// - the arg-max of the mean profile Ā_l = (1/m) Σ_s A_l(s) over the m snapshots;
/// - the centroid Σ_l l·w_l / Σ_l w_l of the mean profile with weights w_l = max(Ā_l, 0)
///   (negative alignments carry no weight), a real number in [1, L].
public struct PeakStability: Equatable, Sendable {
    /// The arg-max (1-based) of each snapshot, in the order given.
    public let peaks: [Int]
    /// The arg-max of the mean profile (ties to the shallower layer).
    public let meanProfilePeak: Int
    /// The alignment-weighted centroid of the mean profile.
    public let centroid: Double

    /// The smallest and largest per-snapshot arg-max.
    public var spread: ClosedRange<Int> { (peaks.min() ?? meanProfilePeak)...(peaks.max() ?? meanProfilePeak) }

    /// Nil unless there is at least one profile, all profiles have the same positive length,
    /// every entry is finite and the mean profile has a positive entry.
    public init?(profiles: [[Double]]) {
        guard let depth = profiles.first?.count, depth > 0,
              profiles.allSatisfy({ $0.count == depth && $0.allSatisfy(\.isFinite) }) else { return nil }
        var mean = [Double](repeating: 0, count: depth)
        for profile in profiles {
            for layer in 0..<depth { mean[layer] += profile[layer] / Double(profiles.count) }
        }
        let weights = mean.map { max($0, 0) }
        let total = weights.reduce(0, +)
        guard total > 0, let meanPeak = PeakLayer.index(of: mean) else { return nil }
        peaks = profiles.compactMap(PeakLayer.index(of:))
        meanProfilePeak = meanPeak
        centroid = weights.enumerated().reduce(0) { $0 + Double($1.offset + 1) * $1.element } / total
    }
}
