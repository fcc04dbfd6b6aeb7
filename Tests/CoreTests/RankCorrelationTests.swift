import Foundation
import XCTest
@testable import Core

/// Spearman's ρ, its bootstrap over cells, peak shape numbers and the bootstrap of a mean
/// difference (the Fig 4 / Figs 11–15 grid claims), against independent computations.
final class RankCorrelationTests: XCTestCase {
    /// Brute-force ranks: rank_i = #{j: v_j < v_i} + (#{j: v_j = v_i} + 1)/2.
    private func bruteRanks(_ v: [Double]) -> [Double] {
        v.map { value in
            Double(v.filter { $0 < value }.count) + Double(v.filter { $0 == value }.count + 1) / 2
        }
    }

    /// Without ties: ρ = 1 − 6 Σ d² / (n(n² − 1)).
    private func closedFormSpearman(_ x: [Double], _ y: [Double]) -> Double {
        let rx = bruteRanks(x), ry = bruteRanks(y)
        let n = Double(x.count)
        let d2 = zip(rx, ry).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        return 1 - 6 * d2 / (n * (n * n - 1))
    }

    func testAverageRanksMatchBruteForceWithTies() {
        let values: [Double] = [3, 1, 4, 1, 5, 9, 2, 6, 5]
        XCTAssertEqual(RankCorrelation.averageRanks(values), bruteRanks(values))
    }

    func testSpearmanWithoutTiesMatchesTheClosedForm() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<20 {
            let x = (0..<7).map { _ in generator.nextUniform() }
            let y = (0..<7).map { _ in generator.nextUniform() }
            XCTAssertEqual(RankCorrelation.spearman(x, y)!, closedFormSpearman(x, y), accuracy: 1e-12)
        }
    }

    /// With ties: the value of scipy.stats.spearmanr (scipy 1.17) on the same data.
    func testSpearmanWithTiesMatchesScipy() {
        let x: [Double] = [3, 1, 4, 1, 5, 9, 2, 6]
        let y: [Double] = [2, 7, 1, 8, 2, 8, 1, 8]
        XCTAssertEqual(RankCorrelation.spearman(x, y)!, 0.19885368120992467, accuracy: 1e-12)
    }

    func testSpearmanIsInvariantUnderMonotoneMapsAndSignedUnderReversal() {
        let x: [Double] = [0.1, 0.5, 0.2, 0.9, 0.7]
        XCTAssertEqual(RankCorrelation.spearman(x, x.map { exp(10 * $0) })!, 1, accuracy: 1e-12)
        XCTAssertEqual(RankCorrelation.spearman(x, x.map { -$0 * $0 * $0 })!, -1, accuracy: 1e-12)
    }

    /// Exact permutation check: over all 4! orderings of y, ρ averages to 0 and takes the value 1
    /// exactly once.
    func testSpearmanOverAllPermutationsAveragesToZero() {
        let x: [Double] = [1, 2, 3, 4]
        var permutations: [[Double]] = []
        func permute(_ prefix: [Double], _ rest: [Double]) {
            if rest.isEmpty { permutations.append(prefix); return }
            for (i, value) in rest.enumerated() {
                var remaining = rest
                remaining.remove(at: i)
                permute(prefix + [value], remaining)
            }
        }
        permute([], x)
        XCTAssertEqual(permutations.count, 24)
        let values = permutations.map { RankCorrelation.spearman(x, $0)! }
        XCTAssertEqual(values.reduce(0, +) / 24, 0, accuracy: 1e-12)
        XCTAssertEqual(values.filter { abs($0 - 1) < 1e-12 }.count, 1)
    }

    func testSpearmanIsUndefinedForAConstantVariableOrTooFewPairs() {
        XCTAssertNil(RankCorrelation.spearman([1, 2, 3], [5, 5, 5]))
        XCTAssertNil(RankCorrelation.spearman([1], [2]))
        // Non-finite pairs are dropped: the two remaining pairs are concordant.
        XCTAssertEqual(RankCorrelation.spearman([1, .nan, 3], [1, 2, 4])!, 1, accuracy: 1e-12)
    }

    func testBootstrapIsDeterministicAndBracketsTheValue() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let y: [Double] = [1.2, 1.9, 3.5, 3.1, 5.5, 5.0, 7.7, 8.1, 6.9]
        let a = RankCorrelation.spearmanWithBootstrap(x, y, resamples: 500, seed: 3)!
        let b = RankCorrelation.spearmanWithBootstrap(x, y, resamples: 500, seed: 3)!
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.sampleSize, 9)
        let interval = a.interval!
        XCTAssertLessThanOrEqual(interval.lowerBound, a.value)
        XCTAssertLessThanOrEqual(interval.upperBound, 1 + 1e-12)
        XCTAssertGreaterThan(interval.lowerBound, 0, "nine nearly monotone pairs: every resample is positive")
        // A perfectly monotone sample: every defined resample has ρ = 1.
        let perfect = RankCorrelation.spearmanWithBootstrap(x, x, resamples: 200, seed: 1)!
        XCTAssertEqual(perfect.interval!.lowerBound, 1, accuracy: 1e-12)
    }

    func testAlignmentPeakShapeNumbers() {
        let peak = AlignmentPeak([0.1, 0.4, 0.3, 0.2])!
        XCTAssertEqual(peak.layer, 2)
        XCTAssertEqual(peak.height, 0.4)
        XCTAssertEqual(peak.saliency, 0.4 / 0.25, accuracy: 1e-12)
        XCTAssertEqual(peak.relativePosition, 0.5)
        XCTAssertEqual(peak.centrality, 0.5)
        let first = AlignmentPeak([0.5, 0.4, 0.3, 0.2, 0.1])!
        XCTAssertEqual(first.centrality, 0.5 - abs(0.2 - 0.5), accuracy: 1e-12)
        XCTAssertEqual(AlignmentPeak([0.2, 0.2])!.saliency, 1, accuracy: 1e-12)
        XCTAssertNil(AlignmentPeak([.nan]))
        XCTAssertNil(AlignmentPeak([0, 0]))
    }

    func testMeanDifferenceBootstrap() {
        let result = MeanDifference.withBootstrap([3, 4, 5], [1, 1.5, 2], resamples: 1000, seed: 2)!
        XCTAssertEqual(result.value, 2.5, accuracy: 1e-12)
        // Resampled means stay within each group's range: the difference within [3 − 2, 5 − 1].
        XCTAssertGreaterThanOrEqual(result.interval!.lowerBound, 1)
        XCTAssertLessThanOrEqual(result.interval!.upperBound, 4)
        XCTAssertLessThan(result.interval!.lowerBound, 2.5)
        XCTAssertNil(MeanDifference.withBootstrap([], [1]))
        XCTAssertNil(MeanDifference.withBootstrap([1], [2])!.interval)
    }
}
