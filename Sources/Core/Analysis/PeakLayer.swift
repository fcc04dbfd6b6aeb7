import Foundation

/// The layer of peak alignment in one trained network, and the l*(L) points it gives.
public enum PeakLayer {
    /// l* = argmax_l A_l, 1-based (index 0 of `alignments` is layer 1). Ties go to the
    /// shallowest layer; non-finite entries are ignored; nil when no entry is finite.
    public static func index(of alignments: [Double]) -> Int? {
        var best: (layer: Int, value: Double)?
        for (offset, value) in alignments.enumerated() where value.isFinite {
            if best == nil || value > best!.value { best = (offset + 1, value) }
        }
        return best?.layer
    }

    /// A_l / max_l A_l (the brightness of Fig 3's columns). Non-finite entries stay NaN;
    /// when the maximum is not positive every entry is NaN (no meaningful normalisation).
    public static func relativeProfile(_ alignments: [Double]) -> [Double] {
        let finite = alignments.filter(\.isFinite)
        guard let maximum = finite.max(), maximum > 0 else { return alignments.map { _ in .nan } }
        return alignments.map { $0.isFinite ? $0 / maximum : .nan }
    }
}

/// One measured l* at one depth and seed.
public struct PeakPoint: Codable, Hashable, Sendable {
    /// L.
    public var depth: Int
    /// The run's seed.
    public var seed: UInt64
    /// l*, 1-based.
    public var peakLayer: Int

    public init(depth: Int, seed: UInt64, peakLayer: Int) {
        self.depth = depth
        self.seed = seed
        self.peakLayer = peakLayer
    }
}
