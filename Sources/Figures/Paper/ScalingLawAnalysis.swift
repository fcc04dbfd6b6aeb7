import Core
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

/// The fits of log l* against log L behind Fig 3 and Fig 8 (natural logarithms; the slope
/// does not depend on the base, and intercepts are reported in natural log units).
///
/// - Free fit: OLS of log l* on log L over every (depth, seed) point, with the exact OLS
///   95% interval for the slope (Student t, n − 2 degrees of freedom, treating points as
///   independent) and a 95% cluster-bootstrap interval that resamples depths with
///   replacement and, within each drawn depth, its seeds with replacement (percentile
///   interval; resamples whose depths are all equal are skipped). With one seed per depth
///   the bootstrap reduces to the pairs bootstrap over depths.
/// - Fixed-slope fit: log l* = (3/5) log L + C with C the mean of log l* − (3/5) log L,
///   its RMS residual, and t = (slope − 3/5) / SE(slope), the statistic of the test that
///   the free slope equals 3/5 (t² is the F statistic comparing the two fits' residuals).
public struct ScalingLawFit: Codable, Equatable, Sendable {
    /// The fixed slope of Corollary 1.
    public static let corollarySlope = 0.6

    /// The free OLS line.
    public let free: LinearFit
    /// Exact OLS 95% interval for the slope (nil with two points).
    public let olsInterval: ClosedRange<Double>?
    /// Cluster-bootstrap 95% interval for the slope (nil with fewer than two distinct depths).
    public let bootstrapInterval: ClosedRange<Double>?
    /// C of log l* = (3/5) log L + C.
    public let fixedSlopeIntercept: Double
    /// RMS residual of the fixed-slope fit, in log l* units.
    public let fixedSlopeRMSResidual: Double
    /// RMS residual of the free fit, in log l* units.
    public let freeRMSResidual: Double
    /// (slope − 3/5) / SE(slope); nil with two points or a perfect fit.
    public let tStatisticAgainstCorollary: Double?
    /// Number of (depth, seed) points.
    public let pointCount: Int
    /// Number of distinct depths.
    public let depthCount: Int

    /// Fits the points.
    /// - Parameters:
    ///   - points: l* per depth and seed (l* ≥ 1, so logs are finite).
    ///   - bootstrapResamples: number of bootstrap resamples (0 = no bootstrap interval).
    ///   - bootstrapSeed: seed of the resampling stream (results are deterministic).
    /// - Throws: ``FitError`` when fewer than two points or fewer than two distinct depths.
    public init(points: [PeakPoint], bootstrapResamples: Int = 2000, bootstrapSeed: UInt64 = 0) throws {
        let x = points.map { log(Double($0.depth)) }
        let y = points.map { log(Double($0.peakLayer)) }
        free = try LinearFit(x: x, y: y)
        olsInterval = free.slopeConfidenceInterval()
        let fixed = try LinearFit.interceptForFixedSlope(Self.corollarySlope, x: x, y: y)
        fixedSlopeIntercept = fixed.intercept
        fixedSlopeRMSResidual = fixed.rmsResidual
        let slope = free.slope, intercept = free.intercept
        freeRMSResidual = (zip(x, y).reduce(0) { $0 + pow($1.1 - intercept - slope * $1.0, 2) } / Double(points.count)).squareRoot()
        if let se = free.slopeStandardError, se > 0 {
            tStatisticAgainstCorollary = (slope - Self.corollarySlope) / se
        } else {
            tStatisticAgainstCorollary = nil
        }
        pointCount = points.count
        let groups = Dictionary(grouping: points, by: \.depth).values.map { $0 }
            .sorted { $0[0].depth < $1[0].depth }
        depthCount = groups.count
        bootstrapInterval = Self.clusterBootstrap(groups: groups, resamples: bootstrapResamples, seed: bootstrapSeed)
    }

    /// Percentile 95% interval of the OLS slope over cluster-bootstrap resamples.
    static func clusterBootstrap(groups: [[PeakPoint]], resamples: Int, seed: UInt64) -> ClosedRange<Double>? {
        guard resamples > 0, groups.count >= 2 else { return nil }
        var slopes = clusterBootstrapSlopes(groups: groups, resamples: resamples, seed: seed)
        guard slopes.count >= 20 else { return nil }
        slopes.sort()
        return Self.quantile(slopes, 0.025)...Self.quantile(slopes, 0.975)
    }

    /// The OLS slopes of the cluster-bootstrap resamples, in the order drawn: each resample
    /// draws `groups.count` depths with replacement and, within each drawn depth, its seeds with
    /// replacement; resamples that cannot be fitted are skipped.
    static func clusterBootstrapSlopes(groups: [[PeakPoint]], resamples: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed).derived("scaling-law bootstrap")
        var slopes: [Double] = []
        slopes.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var x: [Double] = [], y: [Double] = []
            for _ in groups.indices {
                let group = groups[generator.nextInt(below: groups.count)]
                for _ in group.indices {
                    let point = group[generator.nextInt(below: group.count)]
                    x.append(log(Double(point.depth)))
                    y.append(log(Double(point.peakLayer)))
                }
            }
            if let fit = try? LinearFit(x: x, y: y) { slopes.append(fit.slope) }
        }
        return slopes
    }

    /// The p-quantile of sorted values by linear interpolation between order statistics.
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let position = p * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    /// "0.72 (95% CI: OLS [0.6, 0.84], bootstrap [0.55, 0.9]); R² 0.93"
    public var summary: String {
        func range(_ r: ClosedRange<Double>?) -> String {
            r.map { "[\(NumberText.format($0.lowerBound)), \(NumberText.format($0.upperBound))]" } ?? "—"
        }
        return "\(NumberText.format(free.slope)) (95% CI: bootstrap \(range(bootstrapInterval)), OLS \(range(olsInterval))); "
            + "intercept \(NumberText.format(free.intercept)), R² \(NumberText.format(free.rSquared)), "
            + "\(pointCount) points at \(depthCount) depths"
    }
}
