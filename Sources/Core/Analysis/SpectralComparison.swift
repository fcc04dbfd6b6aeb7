import Foundation

/// The statistics of Appendix G's comparisons between training conditions (paper Figs 20–23), from
/// the per-layer spectra of several runs per condition (``LayerSpectrumStatistics``). Intervals are
/// percentile bootstraps over runs, each condition's runs resampled on their own (seeds are the
/// independent units).
public enum SpectralComparison {
    /// The middle layers of a depth-L network: l from ⌊L/4⌋ + 1 to L − ⌊L/4⌋ (the middle half;
    /// 3…6 for L = 8, 3…8 for L = 10), where the paper sees the correlation of the best model peak.
    public static func middleLayers(depth: Int) -> ClosedRange<Int> {
        let cut = max(0, depth / 4)
        return (cut + 1)...max(cut + 1, depth - cut)
    }

    /// The mean of `value` over the layers whose index lies in `layers` (all when nil); nan when none does.
    public static func mean(_ statistics: [LayerSpectrumStatistics], _ value: (LayerSpectrumStatistics) -> Double,
                            layers: ClosedRange<Int>? = nil) -> Double {
        let chosen = statistics.filter { layers?.contains($0.layer) ?? true }.map(value)
        return chosen.isEmpty ? .nan : chosen.reduce(0, +) / Double(chosen.count)
    }

    /// The fraction of layers whose uncentred NTK stable rank is at least the Fisher stable rank
    /// (Fig 21: "the rank of NTK upper bounds that of Fisher information"); nan without layers.
    public static func ntkBoundFraction(_ statistics: [LayerSpectrumStatistics]) -> Double {
        guard !statistics.isEmpty else { return .nan }
        return Double(statistics.filter { $0.uncentredStableRank >= $0.fisherStableRank }.count) / Double(statistics.count)
    }

    /// mean(groups[target]) − max over the other non-empty groups of their means: positive when the
    /// target group's mean exceeds every other group's. nil when the target or every other group is empty.
    public static func leadOverOthers(_ groups: [[Double]], target: Int) -> Double? {
        let means = groups.map { $0.isEmpty ? nil : $0.reduce(0, +) / Double($0.count) }
        guard target >= 0, target < means.count, let own = means[target] else { return nil }
        let others = means.enumerated().filter { $0.offset != target }.compactMap(\.element)
        guard let best = others.max() else { return nil }
        return own - best
    }

    /// ``leadOverOthers(_:target:)`` with its 95% percentile interval: `resamples` times, every group
    /// is resampled with replacement on its own (as many draws as members), the lead recomputed.
    /// The interval is nil when a group has fewer than two members.
    public static func leadWithBootstrap(_ groups: [[Double]], target: Int, resamples: Int = 2000, seed: UInt64 = 0,
                                         label: String) -> (value: Double, interval: ClosedRange<Double>?)? {
        guard let value = leadOverOthers(groups, target: target) else { return nil }
        let used = groups.filter { !$0.isEmpty }
        guard used.allSatisfy({ $0.count >= 2 }), resamples > 0 else { return (value, nil) }
        let values = groupResamples(groups, resamples: resamples, seed: seed, label: label) { leadOverOthers($0, target: target) }
        return (value, interval(values))
    }

    /// The mean of `values` with its 95% percentile bootstrap interval (nil for fewer than two values).
    public static func meanWithBootstrap(_ values: [Double], resamples: Int = 2000, seed: UInt64 = 0,
                                         label: String) -> (value: Double, interval: ClosedRange<Double>?)? {
        guard !values.isEmpty else { return nil }
        let value = values.reduce(0, +) / Double(values.count)
        guard values.count >= 2, resamples > 0 else { return (value, nil) }
        let draws = groupResamples([values], resamples: resamples, seed: seed, label: label) { $0[0].reduce(0, +) / Double($0[0].count) }
        return (value, interval(draws))
    }

    /// The statistic of `resamples` resamples of `groups` (each group with replacement on its own).
    static func groupResamples(_ groups: [[Double]], resamples: Int, seed: UInt64, label: String,
                               statistic: ([[Double]]) -> Double?) -> [Double] {
        var generator = SeededGenerator(seed: seed).derived(label)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        for _ in 0..<resamples {
            let drawn = groups.map { group in group.indices.map { _ in group[generator.nextInt(below: group.count)] } }
            if let value = statistic(drawn) { values.append(value) }
        }
        return values
    }

    private static func interval(_ values: [Double]) -> ClosedRange<Double>? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return ClusterBootstrap.quantile(sorted, 0.025)...ClusterBootstrap.quantile(sorted, 0.975)
    }
}
