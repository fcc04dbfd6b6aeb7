@testable import Core
@testable import Figures
import XCTest

/// The claim arithmetic of the gofe figure on a hand-made study result whose every claim value
/// can be written down.
final class GOFEFigureTests: XCTestCase {
    private func comparison(_ cosine: Double) -> FeatureEvolution.RankOneComparison {
        FeatureEvolution.RankOneComparison(layerCosines: [cosine, cosine, cosine], cosine: cosine,
                                           layerRelativeErrors: [1, 1, 1], relativeError: 1)
    }

    private func moments(_ k: Double) -> FeatureEvolution.LayerMoments {
        FeatureEvolution.LayerMoments(m2: 1, m3: -k, m4: 0, m2Error: 0, m3Error: 0, m4Error: 0, ratioError: 0)
    }

    /// Designed values: Eq. 20/21 maxima 3e-9 and 5e-10; Eq. 22 mean cosine 0.3; Ψu relative changes
    /// 0.5 and 0.3 against 1 for ΨỸ (ratio 0.4); kernel log-growths log 4 and 0 against log 4 (ratio 0.5);
    /// predicted growth 0.2, 0.4, 0.6 (−2η m₃/m₂, η = 0.1) against measured 0.1, 0.3, 0.2 (ρ = 0.5, the
    /// same every step, so the bootstrap interval is [0.5, 0.5]). Catches a wrong state for "after the
    /// window", the anisotropy ratio inverted, layer norms summed instead of squared, a mean over steps
    /// replaced by the last step, a sign error in the predicted growth.
    func testSummaryComputesEachClaimFromTheStudy() {
        let configuration = GOFEStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 1, width: 3, depth: 3, learningRate: 0.1,
                                                   steps: 2, orthogonalDirections: 2, hutchinsonProbes: 2, identityDirections: 1,
                                                   eigenpairs: 2, lanczosIterations: 4, seed: 0)
        let study = GOFEStudyResult(
            configuration: configuration, lossHessianErrors: [1e-9, 3e-9, 2e-9, 1e-10], gofeEquivalenceErrors: [2e-10, 5e-10],
            gofeUpdate: [comparison(0.1), comparison(0.1)], approximationUpdate: [comparison(0.2), comparison(0.4)],
            projectedCosine: [0.5, 0.5], eq23Growth: [[0.1, 0.3, 0.2], [0.1, 0.3, 0.2]], collinearity: [-0.9, -0.9, -0.9],
            targetFeatureNorms: [[3, 4, 0], [3, 4, 0], [6, 8, 0]], targetFeatureChanges: [[0, 0, 0], [0, 0, 1], [0, 0, 5]],
            orthogonalFeatureNorms: [[[1, 0, 0], [1, 0, 0], [2, 0, 0]], [[0, 2, 0], [0, 2, 0], [0, 2, 0]]],
            orthogonalFeatureChanges: [[[0, 0, 0], [0.1, 0, 0], [0.5, 0, 0]], [[0, 0, 0], [0, 0.1, 0], [0, 0.6, 0]]],
            alignments: [[1, 1, 1], [1.1, 1.3, 1.2], [1.21, 1.69, 1.44]],
            moments: [[moments(1), moments(2), moments(3)], [moments(1), moments(2), moments(3)]],
            initialEigenvalues: [2, -1], initialWeightedRatios: [1, 1, 1], losses: [2, 1.9, 1.8], wallSeconds: 1)
        let summary = GOFESummary(study: study, resamples: 200, seed: 1)
        let byId = Dictionary(uniqueKeysWithValues: summary.measurements.map { ($0.claimId, $0) })
        XCTAssertEqual(Set(byId.keys), Set(GOFEFigure.claimIds))
        XCTAssertEqual(byId[.gofeEq20LossHessianMaxRelativeError]?.value ?? .nan, 3e-9, accuracy: 1e-20)
        XCTAssertEqual(byId[.gofeEq21EquivalenceMaxRelativeError]?.value ?? .nan, 5e-10, accuracy: 1e-20)
        XCTAssertEqual(byId[.gofeEq22FeatureUpdateCosineEarly]?.value ?? .nan, 0.3, accuracy: 1e-12)
        XCTAssertEqual(byId[.gofeEq24FeatureAnisotropyRatio]?.value ?? .nan, 0.4, accuracy: 1e-12)
        XCTAssertEqual(byId[.gofeEq24KernelAnisotropyRatio]?.value ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(byId[.gofeEq25GrowthRankCorrelation]?.value ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(summary.meanPredicted[0], 0.2, accuracy: 1e-12)
        XCTAssertEqual(summary.meanPredicted[2], 0.6, accuracy: 1e-12)
        XCTAssertEqual(summary.meanMeasured[1], 0.3, accuracy: 1e-9)
        let interval = byId[.gofeEq25GrowthRankCorrelation]?.interval
        XCTAssertEqual(interval?.lower ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(interval?.upper ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(GOFEFigure.panels(study: study, summary: summary).count, 7)
    }
}
