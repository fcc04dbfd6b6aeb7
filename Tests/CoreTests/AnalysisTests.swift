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

    func testQuantileInterpolatesBetweenOrderStatistics() {
        XCTAssertEqual(ClusterBootstrap.quantile([0, 1, 2, 3, 4], 0.5), 2)
        XCTAssertEqual(ClusterBootstrap.quantile([0, 10], 0.25), 2.5, accuracy: 1e-12)
        XCTAssertEqual(ClusterBootstrap.quantile([5], 0.9), 5)
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
