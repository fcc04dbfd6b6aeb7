import Foundation

/// Spearman's rank correlation and its bootstrap over repeated measurements, as used for
/// D.3's claim that the layers predicted to grow fastest are the ones that do.
public enum RankCorrelation {
    /// Ranks 1…n with ties given their average rank.
    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = rank }
            start = end + 1
        }
        return ranks
    }

    /// Spearman's ρ: the Pearson correlation of the ranks (ties averaged); NaN for fewer than two
    /// points, differing lengths, non-finite entries or a constant vector.
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, a.count >= 2, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return .nan }
        return VectorStatistics.correlation(ranks(a), ranks(b))
    }

    /// ρ between the per-column means of `predicted` and `measured` (rows: repeated measurements,
    /// e.g. training steps; columns: the ranked items, e.g. layers), with a 95% percentile bootstrap
    /// interval that resamples rows (`resamples` resamples, seeded by `seed`; nil interval when it has
    /// fewer than two rows or the resamples give no finite ρ).
    /// - Precondition: both tables have the same shape.
    public static func spearmanOfColumnMeans(predicted: [[Double]], measured: [[Double]], resamples: Int, seed: UInt64)
        -> (value: Double, interval: ClosedRange<Double>?) {
        precondition(predicted.count == measured.count, "tables differ in rows")
        func statistic(_ rows: [Int]) -> Double? {
            guard let columns = predicted.first?.count, !rows.isEmpty else { return nil }
            let p = (0..<columns).map { c in rows.reduce(0) { $0 + predicted[$1][c] } / Double(rows.count) }
            let m = (0..<columns).map { c in rows.reduce(0) { $0 + measured[$1][c] } / Double(rows.count) }
            let rho = spearman(p, m)
            return rho.isFinite ? rho : nil
        }
        let all = Array(predicted.indices)
        let value = statistic(all) ?? .nan
        let interval = ClusterBootstrap.percentileInterval(all.map { [$0] }, resamples: resamples, seed: seed,
                                                           label: "spearman-rows", minimumResamples: max(1, resamples / 2),
                                                           statistic: statistic)
        return (value, interval)
    }
}
