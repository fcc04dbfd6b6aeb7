import Foundation
import XCTest
@testable import Core

/// The analysis behind Figs 1–3 and 7–10 (peak layer, scaling-law fits and their bootstrap,
/// alignment-hierarchy statistics), checked against hand computations; no training.
final class AnalysisTests: XCTestCase {
    // MARK: Peak layer

    func testPeakLayerIsOneBasedArgmaxWithTiesToTheShallowerLayer() {
        XCTAssertEqual(PeakLayer.index(of: [0.1, 0.5, 0.3]), 2)
        XCTAssertEqual(PeakLayer.index(of: [0.4, 0.2, 0.4]), 1)
        XCTAssertEqual(PeakLayer.index(of: [.nan, 0.2, 0.1]), 2)
        XCTAssertEqual(PeakLayer.index(of: [-0.3, -0.1, -0.2]), 2)
        XCTAssertNil(PeakLayer.index(of: [.nan, .infinity]))
        XCTAssertNil(PeakLayer.index(of: []))
    }

    func testRelativeProfileDividesByTheMaximum() {
        let profile = PeakLayer.relativeProfile([0.2, 0.4, .nan, 0.1])
        XCTAssertEqual(profile[0], 0.5, accuracy: 1e-15)
        XCTAssertEqual(profile[1], 1, accuracy: 1e-15)
        XCTAssertTrue(profile[2].isNaN)
        XCTAssertEqual(profile[3], 0.25, accuracy: 1e-15)
        XCTAssertTrue(PeakLayer.relativeProfile([0, -1]).allSatisfy(\.isNaN))
    }

    // MARK: Fits

    /// Hand computation: x = log L, y = log l* for three points on l* = L^{0.6}·e^{0.1}
    /// plus one perturbed point; slope from Σ(x − x̄)(y − ȳ)/Σ(x − x̄)².
    func testFreeAndFixedSlopeFitsMatchAHandComputation() throws {
        let points = [PeakPoint(depth: 10, seed: 0, peakLayer: 3), PeakPoint(depth: 20, seed: 0, peakLayer: 6),
                      PeakPoint(depth: 40, seed: 0, peakLayer: 8), PeakPoint(depth: 80, seed: 0, peakLayer: 20)]
        let x = points.map { log(Double($0.depth)) }, y = points.map { log(Double($0.peakLayer)) }
        let mx = x.reduce(0, +) / 4, my = y.reduce(0, +) / 4
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = sxy / sxx
        let fit = try ScalingLawFit(points: points, bootstrapResamples: 0)
        XCTAssertEqual(fit.free.slope, slope, accuracy: 1e-12)
        XCTAssertEqual(fit.free.intercept, my - slope * mx, accuracy: 1e-12)
        let c = zip(x, y).reduce(0) { $0 + $1.1 - 0.6 * $1.0 } / 4
        XCTAssertEqual(fit.fixedSlopeIntercept, c, accuracy: 1e-12)
        let rms = (zip(x, y).reduce(0) { $0 + pow($1.1 - 0.6 * $1.0 - c, 2) } / 4).squareRoot()
        XCTAssertEqual(fit.fixedSlopeRMSResidual, rms, accuracy: 1e-12)
        let residual = zip(x, y).reduce(0) { $0 + pow($1.1 - (my - slope * mx) - slope * $1.0, 2) }
        let se = (residual / 2 / sxx).squareRoot()
        XCTAssertEqual(fit.tStatisticAgainstCorollary ?? .nan, (slope - 0.6) / se, accuracy: 1e-9)
        XCTAssertEqual(fit.freeRMSResidual, (residual / 4).squareRoot(), accuracy: 1e-12)
        XCTAssertNil(fit.bootstrapInterval)
        XCTAssertEqual(fit.depthCount, 4)
        // The free fit never has larger residuals than the fixed-slope one.
        XCTAssertLessThanOrEqual(fit.freeRMSResidual, fit.fixedSlopeRMSResidual + 1e-15)
    }

    /// Degenerate and reproducibility cases only; the distribution itself is checked against exact
    /// enumeration in ``testClusterBootstrapMatchesTheExactResamplingDistribution()``.
    func testBootstrapIntervalCollapsesOnAnExactPowerLawAndIsDeterministic() throws {
        // l* = L exactly (slope 1) with two identical seeds per depth: every resample with
        // two distinct depths gives slope 1.
        let exact = [10, 20, 40, 80].flatMap { L in [0, 1].map { PeakPoint(depth: L, seed: UInt64($0), peakLayer: L) } }
        let fit = try ScalingLawFit(points: exact, bootstrapResamples: 500, bootstrapSeed: 3)
        let interval = try XCTUnwrap(fit.bootstrapInterval)
        XCTAssertEqual(interval.lowerBound, 1, accuracy: 1e-12)
        XCTAssertEqual(interval.upperBound, 1, accuracy: 1e-12)

        let noisy = [10, 20, 30, 40, 60, 80, 100].flatMap { L in
            [0, 1, 2].map { s in PeakPoint(depth: L, seed: UInt64(s), peakLayer: max(1, Int(pow(Double(L), 0.6)) + (s == 1 ? 2 : 0) - (L % 20 == 0 ? 1 : 0))) }
        }
        let a = try ScalingLawFit(points: noisy, bootstrapResamples: 800, bootstrapSeed: 7)
        let b = try ScalingLawFit(points: noisy, bootstrapResamples: 800, bootstrapSeed: 7)
        XCTAssertEqual(a.bootstrapInterval, b.bootstrapInterval)
        let ci = try XCTUnwrap(a.bootstrapInterval)
        XCTAssertLessThan(ci.lowerBound, a.free.slope)
        XCTAssertGreaterThan(ci.upperBound, a.free.slope)
        XCTAssertLessThan(ci.upperBound - ci.lowerBound, 1)
    }

    /// The OLS slope of log l* on log L, written out (two-pass sums).
    private func olsSlope(_ points: [PeakPoint]) -> Double {
        let x = points.map { log(Double($0.depth)) }, y = points.map { log(Double($0.peakLayer)) }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }

    /// The exact bootstrap distribution for 3 depths × 2 seeds: every ordered draw of 3 depths
    /// (27) times every draw of 2 seeds within each drawn depth (4³) is one of 1728 equally
    /// likely resamples; those whose depths are all equal have no slope and are skipped (192).
    private func exactClusterBootstrap(_ groups: [[PeakPoint]]) -> [Double] {
        var slopes: [Double] = []
        for g0 in 0..<3 { for g1 in 0..<3 { for g2 in 0..<3 where !(g0 == g1 && g1 == g2) {
            for seeds in 0..<64 {
                var drawn: [PeakPoint] = []
                for (position, g) in [g0, g1, g2].enumerated() {
                    let first: Int = (seeds >> (2 * position)) & 1
                    let second: Int = (seeds >> (2 * position + 1)) & 1
                    drawn.append(groups[g][first])
                    drawn.append(groups[g][second])
                }
                slopes.append(olsSlope(drawn))
            }
        } } }
        return slopes.sorted()
    }

    /// The cluster bootstrap against the exact distribution of the slope over all resamples.
    /// Catches: points resampled instead of depths (mean 1.010 vs 1.011 but a different shape:
    /// sd 0.18 vs 0.23), no resampling of seeds within a depth (sd 0.19), wrong percentiles
    /// (0.05/0.95 or 0.25/0.75 give other atoms), and resamples of one repeated depth that slip
    /// past the skip because rounding leaves Σ(x − x̄)² a few 1e-30 above zero (six copies of
    /// log 10): they add slopes made of rounding noise (near 0) and pull the lower bound down.
    func testClusterBootstrapMatchesTheExactResamplingDistribution() throws {
        let peaks = [10: [2, 3], 20: [4, 7], 40: [9, 11]]
        let groups = [10, 20, 40].map { L in peaks[L]!.enumerated().map { PeakPoint(depth: L, seed: UInt64($0.offset), peakLayer: $0.element) } }
        let exact = exactClusterBootstrap(groups)
        XCTAssertEqual(exact.count, 1536)
        let resamples = 40_000
        let drawn = ScalingLawFit.clusterBootstrapSlopes(groups: groups, resamples: resamples, seed: 11)
        // Skipped resamples: binomial with p = 192/1728 (sd ≈ 63 at 40 000).
        let expectedKept = Double(resamples) * 1536 / 1728
        XCTAssertEqual(Double(drawn.count), expectedKept, accuracy: 5 * (expectedKept * 192 / 1728).squareRoot(),
                       "resamples kept (all-equal-depth resamples must be skipped)")
        // Mean and standard deviation within 5 standard errors.
        let n = Double(drawn.count)
        let exactMean = exact.reduce(0, +) / Double(exact.count)
        let exactSD = (exact.reduce(0) { $0 + ($1 - exactMean) * ($1 - exactMean) } / Double(exact.count)).squareRoot()
        let mean = drawn.reduce(0, +) / n
        let sd = (drawn.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        XCTAssertEqual(mean, exactMean, accuracy: 5 * exactSD / n.squareRoot())
        XCTAssertEqual(sd, exactSD, accuracy: 5 * exactSD / (2 * n).squareRoot())
        // Kolmogorov–Smirnov distance to the exact CDF (99.9% critical value 1.95/√n).
        let sortedDrawn = drawn.sorted()
        var distance = 0.0
        for value in Set(exact) {
            let exactCDF = Double(exact.filter { $0 <= value + 1e-12 }.count) / Double(exact.count)
            let drawnCDF = Double(sortedDrawn.filter { $0 <= value + 1e-12 }.count) / n
            distance = max(distance, abs(exactCDF - drawnCDF))
        }
        XCTAssertLessThan(distance, 1.95 / n.squareRoot())
        // The interval: the exact 2.5% and 97.5% quantiles. Both fall strictly inside a jump of
        // the exact CDF (checked), so the percentile interval of 40 000 resamples lands on them.
        func exactQuantile(_ p: Double) throws -> Double {
            let index = Int((p * Double(exact.count)).rounded(.up)) - 1
            let value = exact[index]
            let below = Double(exact.filter { $0 < value - 1e-12 }.count) / Double(exact.count)
            let atOrBelow = Double(exact.filter { $0 <= value + 1e-12 }.count) / Double(exact.count)
            XCTAssertTrue(below < p - 0.005 && atOrBelow > p + 0.005, "p = \(p) is too close to a jump for this test")
            return value
        }
        let interval = try XCTUnwrap(ScalingLawFit.clusterBootstrap(groups: groups, resamples: resamples, seed: 11))
        XCTAssertEqual(interval.lowerBound, try exactQuantile(0.025), accuracy: 1e-12)  // 0.5073
        XCTAssertEqual(interval.upperBound, try exactQuantile(0.975), accuracy: 1e-12)  // 1.5149
        // The public fit uses the same stream.
        let fit = try ScalingLawFit(points: groups.flatMap { $0 }, bootstrapResamples: resamples, bootstrapSeed: 11)
        XCTAssertEqual(fit.bootstrapInterval, interval)
    }

    func testQuantileInterpolatesBetweenOrderStatistics() {
        XCTAssertEqual(ClusterBootstrap.quantile([0, 1, 2, 3, 4], 0.5), 2)
        XCTAssertEqual(ClusterBootstrap.quantile([0, 10], 0.25), 2.5, accuracy: 1e-12)
        XCTAssertEqual(ClusterBootstrap.quantile([5], 0.9), 5)
    }

    /// One seed per depth at five depths, as a partial authors'-protocol curve: the percentile
    /// bootstrap over the five points is narrower than the OLS t-interval at the lower end, and the
    /// verdict's interval takes the wider end of each.
    func testVerdictIntervalIsTheHullOfTheBootstrapAndDepthMeansIntervals() throws {
        let points = zip([10, 20, 30, 40, 50], [3, 5, 7, 12, 12]).map { PeakPoint(depth: $0.0, seed: 1, peakLayer: $0.1) }
        let fit = try ScalingLawFit(points: points, bootstrapResamples: 2000, bootstrapSeed: 0)
        let bootstrap = try XCTUnwrap(fit.bootstrapInterval)
        // The OLS interval written out: slope ± t(0.975, 3) · SE, t = 3.1824463052837078.
        let x = points.map { log(Double($0.depth)) }, y = points.map { log(Double($0.peakLayer)) }
        let mx = x.reduce(0, +) / 5, my = y.reduce(0, +) / 5
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
        let residual = zip(x, y).reduce(0) { $0 + pow($1.1 - my - slope * ($1.0 - mx), 2) }
        let halfWidth = 3.1824463052837078 * (residual / 3 / sxx).squareRoot()
        XCTAssertLessThan(slope - halfWidth, bootstrap.lowerBound, "the case must be one where the two differ")
        let hull = try XCTUnwrap(fit.verdictInterval)
        XCTAssertEqual(hull.lowerBound, slope - halfWidth, accuracy: 1e-9)
        XCTAssertEqual(hull.upperBound, max(slope + halfWidth, bootstrap.upperBound), accuracy: 1e-9)
        // With one seed per depth the depth-means interval is the OLS interval.
        let means = try XCTUnwrap(fit.depthMeansInterval)
        XCTAssertEqual(means.lowerBound, slope - halfWidth, accuracy: 1e-9)
        XCTAssertEqual(means.upperBound, slope + halfWidth, accuracy: 1e-9)
        // Without a bootstrap the depth-means interval alone.
        let noBootstrap = try ScalingLawFit(points: points, bootstrapResamples: 0)
        XCTAssertEqual(try XCTUnwrap(noBootstrap.verdictInterval).lowerBound, slope - halfWidth, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(noBootstrap.verdictInterval).upperBound, slope + halfWidth, accuracy: 1e-9)
    }

    /// Two seeds per depth whose depths scatter about the line as a whole: the depth-means
    /// interval (the line through the five means, t with 3 degrees of freedom) is wider than the
    /// all-points OLS interval (t with 8), which counts each seed as independent evidence.
    func testDepthMeansIntervalIsTheLineThroughTheMeans() throws {
        let layers = [[3, 3], [6, 7], [7, 6], [14, 13], [12, 12]]
        let depths = [10, 20, 30, 40, 50]
        let points = zip(depths, layers).flatMap { depth, pair in pair.enumerated().map { PeakPoint(depth: depth, seed: UInt64($0.offset), peakLayer: $0.element) } }
        let fit = try ScalingLawFit(points: points, bootstrapResamples: 0)
        // The line through the means, written out (unweighted: every depth has two seeds).
        let x = depths.map { log(Double($0)) }
        let y = layers.map { (log(Double($0[0])) + log(Double($0[1]))) / 2 }
        let mx = x.reduce(0, +) / 5, my = y.reduce(0, +) / 5
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
        let residual = zip(x, y).reduce(0) { $0 + pow($1.1 - my - slope * ($1.0 - mx), 2) }
        let halfWidth = 3.1824463052837078 * (residual / 3 / sxx).squareRoot()
        XCTAssertEqual(fit.free.slope, slope, accuracy: 1e-12, "with equal seeds per depth the means' line is the free fit")
        let means = try XCTUnwrap(fit.depthMeansInterval)
        XCTAssertEqual(means.lowerBound, slope - halfWidth, accuracy: 1e-9)
        XCTAssertEqual(means.upperBound, slope + halfWidth, accuracy: 1e-9)
        let ols = try XCTUnwrap(fit.olsInterval)
        XCTAssertLessThan(ols.upperBound - ols.lowerBound, means.upperBound - means.lowerBound)
        XCTAssertEqual(fit.verdictInterval, means, "without a bootstrap the verdict uses the depth-means interval, not OLS")
        XCTAssertNil(try ScalingLawFit(points: Array(points.prefix(4)), bootstrapResamples: 0).depthMeansInterval, "two depths: no degrees of freedom")
    }

    func testFitNeedsTwoDepths() {
        XCTAssertThrowsError(try ScalingLawFit(points: [PeakPoint(depth: 10, seed: 0, peakLayer: 3),
                                                        PeakPoint(depth: 10, seed: 1, peakLayer: 4)]))
    }

    // MARK: Early rise (hierarchy figures)

    /// A record with the given training-probe alignments at the given steps.
    private func record(stepsPerEpoch: Int = 10, snapshots: [(step: Int, train: [Double])]) -> RunRecord {
        let spec = RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 20, probePerClass: 5,
                           architecture: RunSpec.architecture(for: .fashionMNIST, width: 16, depth: snapshots.first?.train.count ?? 3),
                           optimizer: .sgd(learningRate: 0.003, momentum: 0.9, weightDecay: 5e-4), batchSize: 32,
                           stopping: .epochs(3), alignment: AlignmentSchedule(logSpacedStepsPerDecade: 5, logSpacedUntilEpoch: 1), seed: 7)
        let alignments = snapshots.map {
            AlignmentSnapshot(step: $0.step, epoch: Double($0.step) / Double(stepsPerEpoch), trainProbe: $0.train,
                              testProbe: $0.train.map { $0 * 0.9 })
        }
        let lastStep = snapshots.last?.step ?? 0
        let epochs = (1...max(1, lastStep / stepsPerEpoch)).map {
            EpochEntry(epoch: $0, step: $0 * stepsPerEpoch, batches: stepsPerEpoch, trainLoss: 1 / Double($0),
                       trainAccuracy: 0.5, testLoss: 1, testAccuracy: 0.5, wallSeconds: 0)
        }
        return RunRecord(spec: spec, trainingSampleCount: stepsPerEpoch * 32, stepsPerEpoch: stepsPerEpoch, epochs: epochs,
                         alignments: alignments, stopReason: .epochCap, totalSteps: lastStep,
                         finalTrain: Evaluation(loss: 0.3, accuracy: 0.9), finalTest: Evaluation(loss: 0.4, accuracy: 0.85),
                         wallSeconds: 1, machine: "test", finalWeightsFile: nil)
    }

    // MARK: - Peak layer

    func testPeakLayerSkipsInfiniteValuesAndEmptyProfiles() {
        XCTAssertEqual(PeakLayer.index(of: [0.1, 0.5, 0.2]), 2)
        XCTAssertEqual(PeakLayer.index(of: [0.7, 0.5, 0.2]), 1)
        XCTAssertEqual(PeakLayer.index(of: [0.1, 0.4, 0.4, 0.3]), 2)
        XCTAssertEqual(PeakLayer.index(of: [.nan, 0.2, .infinity, 0.1]), 2)
        XCTAssertNil(PeakLayer.index(of: []))
        XCTAssertNil(PeakLayer.index(of: [.nan, .nan]))
    }

    func testHiddenPeakExcludesFirstAndLastLayers() {
        XCTAssertTrue(AlignmentHierarchyAnalysis.peaksAtHiddenLayer([0.1, 0.3, 0.2]))
        XCTAssertFalse(AlignmentHierarchyAnalysis.peaksAtHiddenLayer([0.3, 0.2, 0.1]))
        XCTAssertFalse(AlignmentHierarchyAnalysis.peaksAtHiddenLayer([0.1, 0.2, 0.3]))
        XCTAssertFalse(AlignmentHierarchyAnalysis.peaksAtHiddenLayer([0.1, 0.2]))
        XCTAssertFalse(AlignmentHierarchyAnalysis.peaksAtHiddenLayer([]))
    }

    // MARK: - Snapshots and early rise

    func testSnapshotAtEndOfEpochIsTheLastAtOrBeforeThatStep() {
        let run = record(snapshots: [(0, [0, 0, 0]), (5, [1, 1, 1]), (15, [2, 2, 2]), (25, [3, 3, 3])])
        XCTAssertEqual(AlignmentHierarchyAnalysis.snapshot(atEndOfEpoch: 2, in: run)?.step, 15)
        XCTAssertEqual(AlignmentHierarchyAnalysis.snapshot(atEndOfEpoch: 1, in: run)?.step, 5)
        XCTAssertEqual(AlignmentHierarchyAnalysis.snapshot(atEndOfEpoch: 0, in: run)?.step, 0)
        let exact = record(snapshots: [(0, [0, 0, 0]), (10, [1, 1, 1]), (20, [2, 2, 2]), (30, [3, 3, 3])])
        XCTAssertEqual(AlignmentHierarchyAnalysis.snapshot(atEndOfEpoch: 2, in: exact)?.step, 20)
    }

    func testEarlyRiseFractionOfThePeakLayerByHand() throws {
        // Peak at the end is layer 2: 0.1 → 0.4 (epoch 2, step 20) → 0.5; fraction (0.4 − 0.1)/(0.5 − 0.1) = 0.75.
        let run = record(snapshots: [(0, [0.2, 0.1, 0.05]), (10, [0.25, 0.3, 0.1]), (20, [0.3, 0.4, 0.1]), (40, [0.35, 0.5, 0.2])])
        let rise = try XCTUnwrap(AlignmentHierarchyAnalysis.earlyRise(run))
        XCTAssertEqual(rise.peakLayer, 2)
        XCTAssertEqual(rise.initial, 0.1)
        XCTAssertEqual(rise.atEpoch, 0.4)
        XCTAssertEqual(rise.final, 0.5)
        XCTAssertEqual(try XCTUnwrap(rise.fraction), 0.75, accuracy: 1e-12)
        let flat = record(snapshots: [(0, [0.2, 0.5, 0.1]), (20, [0.2, 0.45, 0.1]), (40, [0.2, 0.4, 0.1])])
        XCTAssertNil(try XCTUnwrap(AlignmentHierarchyAnalysis.earlyRise(flat)).fraction, "no increase, no fraction")
        XCTAssertNil(AlignmentHierarchyAnalysis.earlyRise(record(snapshots: [(10, [0.2, 0.5, 0.1]), (40, [0.2, 0.4, 0.1])])),
                     "no measurement at initialisation")
    }

    // MARK: Cluster bootstrap

    func testClusterBootstrapOfTwoSingletonClustersSpansThem() throws {
        // Each resample draws each cluster with probability 1/2: the statistic is a, (a+b)/2 or b with
        // probabilities 1/4, 1/2, 1/4, so the 2.5% and 97.5% quantiles are a and b.
        let interval = try XCTUnwrap(ClusterBootstrap.percentileInterval([[1.0], [3.0]], resamples: 2000, seed: 5, label: "t") {
            $0.reduce(0, +) / Double($0.count)
        })
        XCTAssertEqual(interval, 1.0...3.0)
        XCTAssertNil(ClusterBootstrap.percentileInterval([[1.0, 2.0]], resamples: 100, seed: 5, label: "t") { $0.first })
        XCTAssertNil(ClusterBootstrap.percentileInterval([[1.0], [2.0]], resamples: 100, seed: 5, label: "t", minimumResamples: 20) { _ in nil })
    }
}
