import XCTest
@testable import Core

/// The comparisons of Appendix G's figures against exact enumeration and hand computation.
final class SpectralComparisonTests: XCTestCase {
    private func layer(_ l: Int, rank: Double = 2, ntk: Double = 3, fisher: Double = 1, correlation: Double = 0.5) -> LayerSpectrumStatistics {
        LayerSpectrumStatistics(layer: l, normalisedEigenvalues: [1], stableRank: rank, correlation: correlation, spectralAlignment: 0,
                                engineAlignment: 0, identityRelativeError: 0, uncentredStableRank: ntk, fisherStableRank: fisher,
                                fisherCorrelation: 0, fisherNormalisedEigenvalues: [1], maxResidual: 0)
    }

    func testMiddleLayersAreTheMiddleHalf() {
        XCTAssertEqual(SpectralComparison.middleLayers(depth: 8), 3...6)
        XCTAssertEqual(SpectralComparison.middleLayers(depth: 10), 3...8)
        XCTAssertEqual(SpectralComparison.middleLayers(depth: 3), 1...3)
        XCTAssertEqual(SpectralComparison.middleLayers(depth: 1), 1...1)
    }

    func testMeansAndBoundFraction() {
        let layers = (1...4).map { layer($0, fisher: $0 == 2 ? 5 : 1, correlation: Double($0)) }
        XCTAssertEqual(SpectralComparison.mean(layers, \.correlation), 2.5)
        XCTAssertEqual(SpectralComparison.mean(layers, \.correlation, layers: 2...3), 2.5)
        XCTAssertEqual(SpectralComparison.mean(layers, \.correlation, layers: 4...4), 4)
        XCTAssertTrue(SpectralComparison.mean(layers, \.correlation, layers: 7...8).isNaN)
        XCTAssertEqual(SpectralComparison.ntkBoundFraction(layers), 0.75)
        XCTAssertEqual(SpectralComparison.ntkBoundFraction([layer(1, ntk: 2, fisher: 2)]), 1, "equality counts as bounded")
    }

    func testLeadOverOthers() {
        XCTAssertEqual(SpectralComparison.leadOverOthers([[1, 3], [5], [0, 1]], target: 1), 3)
        XCTAssertEqual(SpectralComparison.leadOverOthers([[1, 3], [5], [0, 1]], target: 0), -3)
        XCTAssertEqual(SpectralComparison.leadOverOthers([[1, 3], [], [0, 1]], target: 0), 1.5, "empty groups are left out")
        XCTAssertNil(SpectralComparison.leadOverOthers([[1, 3], []], target: 1))
        XCTAssertNil(SpectralComparison.leadOverOthers([[1, 3]], target: 0))
    }

    /// For groups {0, 2} and {1, 1}: the 16 equally likely resample pairs give the lead
    /// mean(a*) − 1 ∈ {−1, 0, 1} with probabilities 1/4, 1/2, 1/4; the bootstrap must match.
    func testBootstrapMatchesExactEnumeration() throws {
        let groups: [[Double]] = [[0, 2], [1, 1]]
        let draws = SpectralComparison.groupResamples(groups, resamples: 20000, seed: 4, label: "test") {
            SpectralComparison.leadOverOthers($0, target: 0)
        }
        let frequency = { (v: Double) in Double(draws.filter { $0 == v }.count) / Double(draws.count) }
        XCTAssertEqual(frequency(-1), 0.25, accuracy: 0.015)
        XCTAssertEqual(frequency(0), 0.5, accuracy: 0.015)
        XCTAssertEqual(frequency(1), 0.25, accuracy: 0.015)
        let result = try XCTUnwrap(SpectralComparison.leadWithBootstrap(groups, target: 0, seed: 4, label: "test"))
        XCTAssertEqual(result.value, 0)
        XCTAssertEqual(result.interval, -1...1)
        // Constant groups: the interval collapses onto the value.
        let constant = try XCTUnwrap(SpectralComparison.leadWithBootstrap([[3, 3, 3], [1, 1]], target: 0, label: "c"))
        XCTAssertEqual(constant.value, 2)
        XCTAssertEqual(constant.interval, 2...2)
        // One member: no interval.
        XCTAssertNil(try XCTUnwrap(SpectralComparison.leadWithBootstrap([[3], [1, 2]], target: 0, label: "c")).interval)
        let mean = try XCTUnwrap(SpectralComparison.meanWithBootstrap([0, 2], seed: 1, label: "m"))
        XCTAssertEqual(mean.value, 1)
        XCTAssertEqual(mean.interval, 0...2)
    }
}
