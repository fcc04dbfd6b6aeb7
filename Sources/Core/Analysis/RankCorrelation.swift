import Foundation

/// Spearman's rank correlation with its percentile bootstrap over the paired observations (the cells
/// of a hyperparameter grid), for the claims of paper Section 4 and Fig 4.
public enum RankCorrelation {
    /// The ranks of `values`, 1-based, ties given the mean of the ranks they span ("average ranks",
    /// as in `scipy.stats.rankdata`). NaN entries are not allowed (filter them first).
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let mean = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = mean }
            start = end + 1
        }
        return ranks
    }

    /// The same as ``averageRanks(_:)``.
    public static func ranks(_ values: [Double]) -> [Double] { averageRanks(values) }

    /// ρ between the per-column means of `predicted` and `measured` (rows: repeated measurements,
    /// e.g. training steps; columns: the ranked items, e.g. layers), with a 95% percentile bootstrap
    /// interval that resamples rows (`resamples` resamples, seeded by `seed`; nil interval when it has
    /// fewer than two rows or the resamples give no defined ρ). The value is NaN when ρ of all rows
    /// is undefined.
    /// - Precondition: both tables have the same shape.
    public static func spearmanOfColumnMeans(predicted: [[Double]], measured: [[Double]], resamples: Int, seed: UInt64)
        -> (value: Double, interval: ClosedRange<Double>?) {
        precondition(predicted.count == measured.count, "tables differ in rows")
        func statistic(_ rows: [Int]) -> Double? {
            guard let columns = predicted.first?.count, !rows.isEmpty else { return nil }
            let p = (0..<columns).map { c in rows.reduce(0) { $0 + predicted[$1][c] } / Double(rows.count) }
            let m = (0..<columns).map { c in rows.reduce(0) { $0 + measured[$1][c] } / Double(rows.count) }
            return spearman(p, m)
        }
        let all = Array(predicted.indices)
        let value = statistic(all) ?? .nan
        let interval = ClusterBootstrap.percentileInterval(all.map { [$0] }, resamples: resamples, seed: seed,
                                                           label: "spearman-rows", minimumResamples: max(1, resamples / 2),
                                                           statistic: statistic)
        return (value, interval)
    }

    /// Pearson's correlation of two equally long samples; nil when fewer than two pairs or when
    /// either sample is constant (the correlation is undefined).
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = min(x.count, y.count)
        guard n >= 2 else { return nil }
        let mx = x.prefix(n).reduce(0, +) / Double(n)
        let my = y.prefix(n).reduce(0, +) / Double(n)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<n {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Spearman's ρ: Pearson's correlation of the average ranks. Pairs with a non-finite member are
    /// dropped; nil when fewer than two pairs remain or either variable has a single distinct value.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        let pairs = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        guard pairs.count >= 2 else { return nil }
        return pearson(averageRanks(pairs.map(\.0)), averageRanks(pairs.map(\.1)))
    }

    /// ρ with the 95% percentile bootstrap interval over the pairs (each resample draws as many pairs
    /// as there are, with replacement; resamples whose ρ is undefined are skipped).
    public struct Estimate: Equatable, Sendable {
        /// Spearman's ρ of all pairs.
        public var value: Double
        /// The bootstrap interval; nil when too few resamples gave a defined ρ.
        public var interval: ClosedRange<Double>?
        /// The number of pairs with finite members.
        public var sampleSize: Int
    }

    /// Spearman's ρ of (x, y) and its bootstrap interval (`resamples` resamples from the stream
    /// `label` of `seed`, deterministic). Nil when ρ itself is undefined.
    public static func spearmanWithBootstrap(_ x: [Double], _ y: [Double], resamples: Int = 2000, seed: UInt64 = 0,
                                             label: String = "rank-correlation") -> Estimate? {
        let pairs = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        guard let value = spearman(pairs.map(\.0), pairs.map(\.1)) else { return nil }
        let interval = ClusterBootstrap.percentileInterval(
            pairs.map { [$0] }, resamples: resamples, seed: seed, label: label, minimumResamples: resamples / 2
        ) { drawn in spearman(drawn.map(\.0), drawn.map(\.1)) }
        return Estimate(value: value, interval: interval, sampleSize: pairs.count)
    }
}

/// The shape numbers of one final alignment profile A_1…A_L that the grid claims compare.
public struct AlignmentPeak: Equatable, Sendable {
    /// max_l A_l, the height of the peak.
    public var height: Double
    /// l* = argmax_l A_l (1-based, shallowest on ties).
    public var layer: Int
    /// L, the number of layers.
    public var depth: Int
    /// max_l A_l / mean_l A_l: how far the peak stands out of the profile (1 for a flat profile).
    public var saliency: Double

    /// l*/L, the relative position of the peak.
    public var relativePosition: Double { Double(layer) / Double(depth) }

    /// 1/2 − |l*/L − 1/2|: larger the nearer the peak is to the middle layer (at most 1/2).
    public var centrality: Double { 0.5 - abs(relativePosition - 0.5) }

    /// The peak of `alignments` (non-finite entries ignored); nil when no entry is finite or the
    /// mean of the finite entries is not positive.
    public init?(_ alignments: [Double]) {
        let finite = alignments.filter(\.isFinite)
        guard let layer = PeakLayer.index(of: alignments), let height = finite.max() else { return nil }
        let mean = finite.reduce(0, +) / Double(finite.count)
        guard mean > 0 else { return nil }
        self.height = height
        self.layer = layer
        self.depth = alignments.count
        self.saliency = height / mean
    }
}

/// The difference of the means of two independent groups with its percentile bootstrap interval
/// (each group resampled with replacement on its own), e.g. the saliency of SGD runs minus that of
/// Adam runs (paper Fig 13).
public enum MeanDifference {
    /// mean(a) − mean(b) and its 95% interval; nil when a group is empty. The interval is nil when a
    /// group has fewer than two members.
    public static func withBootstrap(_ a: [Double], _ b: [Double], resamples: Int = 2000, seed: UInt64 = 0,
                                     label: String = "mean-difference") -> (value: Double, interval: ClosedRange<Double>?)? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
        let value = mean(a) - mean(b)
        guard a.count >= 2, b.count >= 2, resamples > 0 else { return (value, nil) }
        var generator = SeededGenerator(seed: seed).derived(label)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sa = 0.0, sb = 0.0
            for _ in a.indices { sa += a[generator.nextInt(below: a.count)] }
            for _ in b.indices { sb += b[generator.nextInt(below: b.count)] }
            values.append(sa / Double(a.count) - sb / Double(b.count))
        }
        values.sort()
        return (value, ClusterBootstrap.quantile(values, 0.025)...ClusterBootstrap.quantile(values, 0.975))
    }
}
