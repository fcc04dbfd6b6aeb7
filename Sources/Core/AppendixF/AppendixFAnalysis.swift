import Foundation

/// A statistic with its 95% percentile-bootstrap interval (nil when it could not be estimated).
public struct IntervalEstimate: Codable, Hashable, Sendable {
    public var value: Double
    public var interval: ClosedRange<Double>?
    /// The number of resampled units (test samples, seeds).
    public var sampleSize: Int
}

/// The statistics of the Appendix F claims, from the studies' stored results.
public enum AppendixFAnalysis {
    /// Accuracy(a) − accuracy(b) on the same test samples, with a paired bootstrap over the samples
    /// (each resample draws n samples with replacement and compares both classifiers on them).
    public static func accuracyDifference(_ a: [Bool], _ b: [Bool], resamples: Int, seed: UInt64) -> IntervalEstimate {
        precondition(a.count == b.count && !a.isEmpty, "both classifiers must be scored on the same non-empty test set")
        let differences = zip(a, b).map { Double($0 ? 1 : 0) - Double($1 ? 1 : 0) }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let interval = ClusterBootstrap.percentileInterval(differences.map { [$0] }, resamples: resamples, seed: seed,
                                                           label: "paired accuracy difference") { $0.reduce(0, +) / Double($0.count) }
        return IntervalEstimate(value: mean, interval: interval, sampleSize: differences.count)
    }

    /// Accuracy(a) − accuracy(b) for two classifiers scored on independent test sets (`correct` of `total`
    /// each), with a bootstrap that resamples each set's test images on its own.
    public static func accuracyDifference(correctA: Int, totalA: Int, correctB: Int, totalB: Int, resamples: Int, seed: UInt64) -> IntervalEstimate {
        precondition(totalA > 0 && totalB > 0 && (0...totalA).contains(correctA) && (0...totalB).contains(correctB), "counts must be within their totals")
        let value = Double(correctA) / Double(totalA) - Double(correctB) / Double(totalB)
        guard resamples > 0 else { return IntervalEstimate(value: value, interval: nil, sampleSize: totalA + totalB) }
        var generator = SeededGenerator(seed: seed).derived("independent accuracy difference")
        func draw(_ correct: Int, _ total: Int) -> Double {
            var hits = 0
            for _ in 0..<total where generator.nextInt(below: total) < correct { hits += 1 }
            return Double(hits) / Double(total)
        }
        var values = (0..<resamples).map { _ in draw(correctA, totalA) - draw(correctB, totalB) }
        values.sort()
        let interval = ClusterBootstrap.quantile(values, 0.025)...ClusterBootstrap.quantile(values, 0.975)
        return IntervalEstimate(value: value, interval: interval, sampleSize: totalA + totalB)
    }

    /// How many layers have A_l ≥ `fraction` · max_l A_l (1 for a single sharp peak).
    public static func nearMaximalLayerCount(_ alignments: [Double], fraction: Double = 0.9) -> Int {
        guard let top = alignments.filter(\.isFinite).max(), top > 0 else { return 0 }
        return alignments.filter { $0.isFinite && $0 >= fraction * top }.count
    }

    /// |l* − (L + 1)/2|, the distance of the peak layer from the centre of a depth-L network.
    public static func peakDistanceFromCentre(_ alignments: [Double]) -> Double? {
        guard let peak = PeakLayer.index(of: alignments) else { return nil }
        return abs(Double(peak) - Double(alignments.count + 1) / 2)
    }

    /// Per seed, the distance from the centre of the peak at the largest noise scale minus that at the
    /// smallest (positive: the smaller scale peaks nearer the centre); mean over seeds, bootstrap over seeds.
    public static func peakShiftTowardCentre(_ runs: [FrozenRunResult], resamples: Int, seed: UInt64) -> (estimate: IntervalEstimate, perSeed: [Double])? {
        let scales = Set(runs.map(\.noiseScale))
        guard let small = scales.min(), let large = scales.max(), small < large else { return nil }
        var perSeed: [Double] = []
        for s in Array(Set(runs.map(\.seed))).sorted() {
            guard let a = runs.first(where: { $0.seed == s && $0.noiseScale == large }).flatMap({ peakDistanceFromCentre($0.alignments) }),
                  let b = runs.first(where: { $0.seed == s && $0.noiseScale == small }).flatMap({ peakDistanceFromCentre($0.alignments) }) else { continue }
            perSeed.append(a - b)
        }
        guard !perSeed.isEmpty else { return nil }
        return (meanWithInterval(perSeed, resamples: resamples, seed: seed, label: "peak shift"), perSeed)
    }

    /// Per run at `noiseScale`, max over the frozen layers l < L of A_l(end) − A_l(init); mean over seeds, bootstrap over seeds.
    public static func frozenLayerAlignmentChange(_ runs: [FrozenRunResult], noiseScale: Double, resamples: Int, seed: UInt64) -> (estimate: IntervalEstimate, perSeed: [Double])? {
        let values = runs.filter { $0.noiseScale == noiseScale }.sorted { $0.seed < $1.seed }.compactMap { run -> Double? in
            let changes = zip(run.alignments.dropLast(), run.initialAlignments.dropLast()).map { $0 - $1 }
            return changes.max()
        }
        guard !values.isEmpty else { return nil }
        return (meanWithInterval(values, resamples: resamples, seed: seed, label: "frozen alignment change"), values)
    }

    /// The mean of `values` with the percentile bootstrap over them.
    public static func meanWithInterval(_ values: [Double], resamples: Int, seed: UInt64, label: String) -> IntervalEstimate {
        let mean = values.reduce(0, +) / Double(max(1, values.count))
        let interval = ClusterBootstrap.percentileInterval(values.map { [$0] }, resamples: resamples, seed: seed, label: label) {
            $0.reduce(0, +) / Double($0.count)
        }
        return IntervalEstimate(value: mean, interval: interval, sampleSize: values.count)
    }

    /// The least-squares slope of y against log(width) (`logY`: of log y) over all (seed, width) points,
    /// with a bootstrap over seeds (each resample draws seeds with replacement and keeps all their widths).
    public static func widthSlope(_ points: [(seed: UInt64, width: Int, y: Double)], logY: Bool, resamples: Int, seed: UInt64) -> IntervalEstimate? {
        func slope(_ selected: [(seed: UInt64, width: Int, y: Double)]) -> Double? {
            let xs = selected.map { log(Double($0.width)) }, ys = selected.map { logY ? log($0.y) : $0.y }
            guard Set(xs).count >= 2, ys.allSatisfy(\.isFinite) else { return nil }
            let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
            let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
            return zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
        }
        guard let value = slope(points) else { return nil }
        let bySeed = Dictionary(grouping: points, by: \.seed).sorted { $0.key < $1.key }.map { [$0.value] }
        let interval = ClusterBootstrap.percentileInterval(bySeed, resamples: resamples, seed: seed, label: "width slope") { drawn in
            slope(drawn.flatMap { $0 })
        }
        return IntervalEstimate(value: value, interval: interval, sampleSize: bySeed.count)
    }
}
