import Foundation

/// The percentile bootstrap over clusters shared by the scaling-law analyses: each resample draws
/// as many clusters as there are, with replacement, and within each drawn cluster as many members
/// as it has, with replacement (for l*(L): depths, then seeds within a depth). With one member per
/// cluster it reduces to the plain bootstrap over clusters.
public enum ClusterBootstrap {
    /// The 95% percentile interval of `statistic` over `resamples` resamples of `clusters`.
    /// Resamples whose statistic is nil (e.g. a fit over one distinct depth) are skipped.
    /// - Parameters:
    ///   - label: names the resampling stream derived from `seed` (results are deterministic).
    ///   - minimumResamples: fewer usable resamples give nil.
    /// - Returns: nil without resamples, with fewer than two clusters or too few usable resamples.
    public static func percentileInterval<Member>(
        _ clusters: [[Member]], resamples: Int, seed: UInt64, label: String, minimumResamples: Int = 1,
        statistic: ([Member]) -> Double?
    ) -> ClosedRange<Double>? {
        guard resamples > 0, clusters.count >= 2 else { return nil }
        var values = statistics(clusters, resamples: resamples, seed: seed, label: label, statistic: statistic)
        guard values.count >= max(1, minimumResamples) else { return nil }
        values.sort()
        return quantile(values, 0.025)...quantile(values, 0.975)
    }

    /// The statistic of each of `resamples` resamples of `clusters`, in the order drawn; resamples
    /// whose statistic is nil are skipped.
    public static func statistics<Member>(
        _ clusters: [[Member]], resamples: Int, seed: UInt64, label: String, statistic: ([Member]) -> Double?
    ) -> [Double] {
        guard !clusters.isEmpty else { return [] }
        var generator = SeededGenerator(seed: seed).derived(label)
        var values: [Double] = []
        values.reserveCapacity(max(0, resamples))
        var drawn: [Member] = []
        for _ in 0..<max(0, resamples) {
            drawn.removeAll(keepingCapacity: true)
            for _ in clusters.indices {
                let cluster = clusters[generator.nextInt(below: clusters.count)]
                for _ in cluster.indices { drawn.append(cluster[generator.nextInt(below: cluster.count)]) }
            }
            if let value = statistic(drawn) { values.append(value) }
        }
        return values
    }

    /// The p-quantile of sorted values by linear interpolation between order statistics.
    public static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let position = p * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }
}

extension ClosedRange where Bound == Double {
    /// The smallest range holding both `a` and `b` (at each end the wider of the two); either
    /// alone when the other is nil. How a verdict combines two intervals that each under-cover
    /// in a different design (docs/verdicts.md).
    public static func hull(_ a: ClosedRange<Double>?, _ b: ClosedRange<Double>?) -> ClosedRange<Double>? {
        switch (a, b) {
        case let (a?, b?): return Swift.min(a.lowerBound, b.lowerBound)...Swift.max(a.upperBound, b.upperBound)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }
}
