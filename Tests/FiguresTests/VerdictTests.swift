import Core
import XCTest
@testable import Figures

/// The three-way rule of docs/verdicts.md.
final class VerdictTests: XCTestCase {
    private func claim(_ id: ClaimID = .fig3FashionMNISTSlopeQuick, kind: ClaimKind = .paper, target: Double = 0.6, tolerance: Double = 0.15,
                       comparison: Comparison? = nil, known: KnownDeviation? = nil) -> ClaimTarget {
        ClaimTarget(id: id.rawValue, figure: "fig3", kind: kind, measures: "m", paperStatement: nil, paperValue: target, target: target,
                    tolerance: tolerance, comparison: comparison, profiles: nil, source: "s", justification: "j", knownDeviation: known)
    }

    private func interval(_ lower: Double, _ upper: Double) -> ConfidenceInterval {
        ConfidenceInterval(lower: lower, upper: upper, level: 0.95)
    }

    func testAnIntervalInsideOutsideOrAcrossTheAcceptedRange() {
        let within = claim()  // [0.45, 0.75]
        XCTAssertEqual(IntervalPlacement.place(value: 0.6, interval: interval(0.5, 0.7), sampleSize: 10, in: within), .inside)
        XCTAssertEqual(IntervalPlacement.place(value: 0.6, interval: interval(0.45, 0.75), sampleSize: 10, in: within), .inside, "bounds are inclusive")
        XCTAssertEqual(IntervalPlacement.place(value: 1.2, interval: interval(0.99, 1.45), sampleSize: 33, in: within), .outside)
        XCTAssertEqual(IntervalPlacement.place(value: 0.2, interval: interval(0.1, 0.44), sampleSize: 33, in: within), .outside)
        guard case .straddles = IntervalPlacement.place(value: 0.7, interval: interval(0.6, 0.8), sampleSize: 10, in: within) else {
            return XCTFail("an interval across the upper bound is inconclusive")
        }
        let atLeast = claim(target: 0, tolerance: 0, comparison: .atLeast)
        XCTAssertEqual(IntervalPlacement.place(value: 0.3, interval: interval(0.1, 0.5), sampleSize: 5, in: atLeast), .inside)
        XCTAssertEqual(IntervalPlacement.place(value: -0.3, interval: interval(-0.5, -0.1), sampleSize: 5, in: atLeast), .outside)
        guard case .straddles = IntervalPlacement.place(value: -0.1, interval: interval(-0.4, 0.2), sampleSize: 5, in: atLeast) else {
            return XCTFail("an interval across 0 is inconclusive for '≥ 0'")
        }
    }

    func testWithoutAnIntervalTheValueDecides() {
        let within = claim()
        XCTAssertEqual(IntervalPlacement.place(value: 0.7, interval: nil, sampleSize: 1, in: within), .inside)
        XCTAssertEqual(IntervalPlacement.place(value: 0.8, interval: nil, sampleSize: 1, in: within), .outside)
        // A deterministic quantity carries [v, v]: the same as its value.
        let exact = Uncertainty.deterministic(0.8)
        XCTAssertEqual(exact.interval, interval(0.8, 0.8).with(level: 1))
        XCTAssertEqual(IntervalPlacement.place(value: 0.8, interval: exact.interval, sampleSize: nil, in: within), .outside)
        XCTAssertEqual(IntervalPlacement.place(value: 0.7, interval: Uncertainty.deterministic(0.7).interval, sampleSize: nil, in: within), .inside)
    }

    func testTheDecidingSampleSizeScalesTheHalfWidthOnTheSideOfTheCrossedBound() {
        // The quick Fig 3 slope as measured: 1.682, bootstrap [0.6677, 2.191], 15 points, against 0.6 ± 0.15.
        // The interval crosses 0.75 only; below the value it reaches 1.682 − 0.6677 = 1.0143 while the
        // bound is 1.682 − 0.75 = 0.932 away: n' = ⌈15 · (1.0143 / 0.932)²⌉ = ⌈17.77⌉ = 18.
        let placement = IntervalPlacement.place(value: 1.682, interval: interval(0.6677, 2.191), sampleSize: 15, in: claim())
        XCTAssertEqual(placement, .straddles(decidingSampleSize: 18))
        // Across both bounds, the harder one decides: value 0.6, interval [0.3, 0.95], n = 4:
        // lower: 4 · (0.3/0.15)² = 16; upper: 4 · (0.35/0.15)² = 21.8 → 22.
        XCTAssertEqual(IntervalPlacement.place(value: 0.6, interval: interval(0.3, 0.95), sampleSize: 4, in: claim()),
                       .straddles(decidingSampleSize: 22))
        // A value on the bound cannot be decided by more samples; no sample size, no estimate.
        XCTAssertEqual(IntervalPlacement.place(value: 0.75, interval: interval(0.7, 0.8), sampleSize: 9, in: claim()),
                       .straddles(decidingSampleSize: nil))
        XCTAssertEqual(IntervalPlacement.place(value: 0.7, interval: interval(0.6, 0.8), sampleSize: nil, in: claim()),
                       .straddles(decidingSampleSize: nil))
    }

    func testTheEvaluatorAppliesTheRuleAndTheGateNeitherPassesNorFailsAnInconclusiveClaim() {
        let known = KnownDeviation(evidence: "docs/calibration.md", note: "n")
        let targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [
            claim(.fig3FashionMNISTSlopeQuick, known: known),
            claim(.fig3FashionMNISTSlope, known: known),
            claim(.fig3FashionMNISTSlopeQuickBand, kind: .regression, target: 1.577, tolerance: 0.384),
            claim(.fig3MNISTSlope),
        ])
        func bootstrap(_ lower: Double, _ upper: Double, n: Int) -> Uncertainty { .bootstrap(.clusterBootstrap, lower...upper, sampleSize: n) }
        let measurements = [
            ClaimMeasurement(claimId: .fig3FashionMNISTSlopeQuick, value: 1.682, uncertainty: bootstrap(0.6677, 2.191, n: 15), detail: "d"),
            ClaimMeasurement(claimId: .fig3FashionMNISTSlope, value: 1.248, uncertainty: bootstrap(0.9871, 1.452, n: 33), detail: "d"),
            ClaimMeasurement(claimId: .fig3FashionMNISTSlopeQuickBand, value: 1.682, uncertainty: bootstrap(0.6677, 2.191, n: 15), detail: "d"),
            ClaimMeasurement(claimId: .fig3MNISTSlope, value: 0.62, uncertainty: bootstrap(0.5, 0.74, n: 50), detail: "d"),
        ]
        let result = FigureResult(id: "fig3", title: "t", paperReference: "r", profile: .quick, caption: "c", images: [], protocolSettings: [],
                                  notes: [], measurements: measurements,
                                  provenance: Provenance(gitCommit: "x", configurationHashes: [], seed: 1, wallSeconds: 0, machine: "m", blasKernel: "k", date: "d"))
        let evaluated = ClaimEvaluator.evaluate(targets: targets, results: [result])
        let byId = Dictionary(uniqueKeysWithValues: evaluated.map { ($0.claim.id, $0) })
        let quick = byId[ClaimID.fig3FashionMNISTSlopeQuick.rawValue]
        XCTAssertEqual(quick?.verdict, .inconclusive, "a known deviation applies only to an interval outside the range")
        XCTAssertEqual(quick?.decidingSampleSize, 18)
        XCTAssertEqual(quick?.intervalText, "[0.6677, 2.191] (95% cluster bootstrap, n = 15)")
        XCTAssertEqual(byId[ClaimID.fig3FashionMNISTSlope.rawValue]?.verdict, .knownDeviation)
        XCTAssertEqual(byId[ClaimID.fig3FashionMNISTSlopeQuickBand.rawValue]?.verdict, .held, "bands judge the point value")
        XCTAssertEqual(byId[ClaimID.fig3MNISTSlope.rawValue]?.verdict, .reproduced)
        XCTAssertTrue(ClaimEvaluator.gatePasses(evaluated), "INCONCLUSIVE does not fail the gate")
        XCTAssertFalse(Verdict.inconclusive.failsGate)
        XCTAssertNotEqual(quick?.verdict, .reproduced)

        // The same outside interval without a known deviation fails the gate.
        var strict = targets
        strict.claims[1].knownDeviation = nil
        XCTAssertFalse(ClaimEvaluator.gatePasses(ClaimEvaluator.evaluate(targets: strict, results: [result])))
    }

    func testIntervalTextSaysHowTheUncertaintyWasObtained() {
        func text(_ uncertainty: Uncertainty, value: Double = 1) -> String {
            var result = ClaimResult(claim: claim(), profile: .quick, measured: value, detail: "", verdict: .reproduced)
            result.interval = uncertainty.interval
            result.method = uncertainty.method
            result.sampleSize = uncertainty.sampleSize
            return result.intervalText
        }
        XCTAssertEqual(text(.singleRun), "single run, no interval")
        XCTAssertEqual(text(.deterministic(1)), "exact (deterministic)")
        XCTAssertEqual(text(.notEstimated(runs: 3)), "no interval estimated")
        XCTAssertEqual(text(.bootstrap(.pairedBootstrap, -0.2...0.1, sampleSize: 5)), "[-0.2, 0.1] (95% paired bootstrap, n = 5)")
    }
}

private extension ConfidenceInterval {
    func with(level: Double) -> ConfidenceInterval { ConfidenceInterval(lower: lower, upper: upper, level: level) }
}
