@testable import Core
import XCTest
@testable import Figures

/// The `authors` protocol of Fig 3 (the authors' public script, docs/authors-protocol.md) and the
/// protocol family of claims and results.
final class AuthorsProtocolTests: XCTestCase {
    func testAuthorsProtocolSpecsFollowTheMC5Script() throws {
        let authors = ScalingLawProtocol.authors(.fashionMNIST, seeds: 1)
        // fmnist_FNNs_MC5.py at 424b035: lrs = [0.005, 0.004, 0.004, 0.002, 0.001, 0.0007, 0.0005, 0.0002, 0.0001, 0.0001].
        XCTAssertEqual(authors.depths.map(\.learningRate), [0.005, 0.004, 0.004, 0.002, 0.001, 0.0007, 0.0005, 0.0002, 0.0001, 0.0001])
        XCTAssertEqual(authors.depths.map(\.depth), Array(stride(from: 10, through: 100, by: 10)))
        let spec = authors.spec(for: authors.depths[9], seed: 1)
        XCTAssertEqual(spec.architecture.width, 256)
        XCTAssertEqual(spec.architecture.depth, 100)
        XCTAssertEqual(spec.optimizer, .sgd(learningRate: 0.0001, momentum: 0.9, weightDecay: 0))
        XCTAssertEqual(spec.stopping, .runningLossBelow(threshold: 0.1, finalThreshold: 0.02, smoothing: 0.9, consecutiveEpochs: 2, maxEpochs: 300))
        XCTAssertEqual(spec.probeSelection, .leadingSamples(trainCount: 2000, testCount: 2000))
        XCTAssertEqual(spec.alignment.centring, .perOutput)
        XCTAssertEqual(spec.alignment.atMilestones, true)
        XCTAssertNil(spec.trainSubsetPerClass)
        XCTAssertEqual(spec.batchSize, 128)
        XCTAssertNoThrow(try spec.validate())

        let generic = ScalingLawProtocol.authors(.fashionMNIST, seeds: 1, variant: .authorsGeneric)
        XCTAssertEqual(generic.depths.map(\.learningRate), [0.005, 0.004, 0.004, 0.002, 0.001, 0.0007, 0.0002, 0.0001, 0.0002, 0.0001])
        XCTAssertEqual(generic.spec(for: generic.depths[0], seed: 1).stopping.epochLimit(stepsPerEpoch: 1), 50)
        XCTAssertEqual(generic.weightDecay, 5e-4)

        let quick = ScalingLawProtocol.standard(.fashionMNIST, profile: .quick, family: .authors)
        XCTAssertEqual(quick.depths.map(\.depth), [10, 20, 30, 40, 50])
        XCTAssertEqual(quick.seedsPerDepth, 3)
        XCTAssertNoThrow(try quick.spec(for: quick.depths[0], seed: 1).validate())
        // The paper's family is unchanged by the new options (its records keep their hashes).
        XCTAssertEqual(ScalingLawProtocol.standard(.fashionMNIST, profile: .full, family: .paper).specs(baseSeed: 1).map(\.configurationHash),
                       ScalingLawProtocol.paper(.fashionMNIST, seeds: 5).specs(baseSeed: 1).map(\.configurationHash))
    }

    func testTable2HasItsDepth100Row() {
        // Table 2's last row: L = 100, width 100, lr 7·10⁻⁵, 300 epochs, 88%.
        let last = PaperDepthTables.fashionMNIST.last
        XCTAssertEqual(last, PaperDepthSetting(depth: 100, width: 100, learningRate: 0.00007, paperEpochs: 300, paperTestAccuracy: 0.88))
    }

    func testDepthRestrictionUsesTheFamilysOwnTable() throws {
        let restricted = try ScalingLawProtocol.authors(.fashionMNIST, seeds: 1).restricted(toDepths: [70])
        XCTAssertEqual(restricted.depths.map(\.learningRate), [0.0005])  // Table 2 would give 0.0003
        XCTAssertEqual(restricted.depths.map(\.width), [256])
    }

    private func record(milestoneStep: Int?, stop: StopReason) -> RunRecord {
        let spec = ScalingLawProtocol.authorsQuick(.fashionMNIST).spec(for: PaperDepthTables.authorsFashionMNIST[0], seed: 1)
        let profile = { (peak: Int) in (0..<10).map { $0 == peak ? 0.5 : 0.1 } }
        let snapshots = [AlignmentSnapshot(step: 0, epoch: 0, trainProbe: profile(0), testProbe: profile(0)),
                         AlignmentSnapshot(step: 30, epoch: 2, trainProbe: profile(3), testProbe: profile(3)),
                         AlignmentSnapshot(step: 90, epoch: 6, trainProbe: profile(7), testProbe: profile(7))]
        let evaluation = Evaluation(loss: 0.1, accuracy: 0.9)
        return RunRecord(spec: spec, trainingSampleCount: 2000, stepsPerEpoch: 15, epochs: [], alignments: snapshots,
                         stopReason: stop, totalSteps: 90, finalTrain: evaluation, finalTest: evaluation, wallSeconds: 0,
                         machine: "", finalWeightsFile: nil,
                         milestones: milestoneStep.map { [RunMilestone(threshold: 0.1, epoch: 2, step: $0)] })
    }

    func testPeakSnapshotIsTheOneAtTheFirstMilestone() throws {
        // Bug caught: taking the last snapshot (at 0.02) where l* is defined at the 0.1 milestone.
        let authors = ScalingLawProtocol.authorsQuick(.fashionMNIST)
        XCTAssertEqual(authors.peakSnapshot(of: record(milestoneStep: 30, stop: .thresholdReached))?.step, 30)
        // A capped run that never reached 0.1: its last snapshot, counted as capped by the curve.
        XCTAssertEqual(authors.peakSnapshot(of: record(milestoneStep: nil, stop: .epochCap))?.step, 90)
        var atStop = authors
        atStop.runningLoss?.peakAtStop = true
        XCTAssertEqual(atStop.peakSnapshot(of: record(milestoneStep: 30, stop: .thresholdReached))?.step, 90)
        // The paper's protocol always uses the last snapshot.
        XCTAssertEqual(ScalingLawProtocol.quick(.fashionMNIST).peakSnapshot(of: record(milestoneStep: 30, stop: .thresholdReached))?.step, 90)
        // The curve reads l* from that snapshot: layer 4 (index 3), not layer 8.
        let depth = try XCTUnwrap(ScalingLawCurve.depthResult(setting: PaperDepthTables.authorsFashionMNIST[0],
                                                             records: [record(milestoneStep: 30, stop: .thresholdReached)],
                                                             peakSnapshot: authors.peakSnapshot(of:)))
        XCTAssertEqual(depth.peaks.map(\.peakLayer), [4])
    }

    func testClaimsAreCheckedAgainstResultsOfTheirOwnProtocolFamily() {
        // Bug caught: an authors-protocol slope judged against the paper protocol's claim (or the reverse).
        // Ids are typed: two real Fig 3 slope ids stand in for "paperSlope" and "authorsSlope".
        let ids: [String: ClaimID] = ["paperSlope": .fig3FashionMNISTSlope, "authorsSlope": .fig3FashionMNISTSlopeAuthors]
        func claim(_ name: String, family: String?) -> ClaimTarget {
            ClaimTarget(id: ids[name]!.rawValue, figure: "fig3", kind: .paper, measures: "m", paperStatement: nil, paperValue: 0.6, target: 0.6,
                        tolerance: 0.15, comparison: nil, profiles: [.full], source: "s", justification: "j", knownDeviation: nil,
                        protocolFamily: family)
        }
        func result(_ name: String, _ value: Double, family: String?) -> FigureResult {
            var result = FigureResult(id: "fig3", title: "t", paperReference: "r", profile: .full, caption: "c", images: [],
                                      protocolSettings: [], notes: [], measurements: [ClaimMeasurement(claimId: ids[name]!, value: value, uncertainty: .singleRun, detail: "")],
                                      provenance: Provenance(gitCommit: "x", configurationHashes: [], seed: 1, wallSeconds: 0, machine: "m", blasKernel: "k", date: "d"))
            result.protocolFamily = family
            return result
        }
        let targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [claim("paperSlope", family: nil), claim("authorsSlope", family: "authors")])
        let evaluated = ClaimEvaluator.evaluate(targets: targets, results: [result("paperSlope", 1.2, family: nil), result("authorsSlope", 0.62, family: "authors")])
        XCTAssertEqual(evaluated.count, 2)
        XCTAssertEqual(evaluated.first { $0.claim.id == ids["paperSlope"]!.rawValue }?.measured, 1.2)
        XCTAssertEqual(evaluated.first { $0.claim.id == ids["authorsSlope"]!.rawValue }?.verdict, .reproduced)
        // Without an authors-protocol result the authors claim is not run, naming the flag.
        let onlyPaper = ClaimEvaluator.evaluate(targets: targets, results: [result("paperSlope", 1.2, family: nil)])
        let authors = onlyPaper.first { $0.claim.id == ids["authorsSlope"]!.rawValue }
        XCTAssertEqual(authors?.verdict, .notRun)
        XCTAssertTrue(authors?.detail.contains("--protocol authors") ?? false)
        // Results of the two families sit side by side in one results file.
        var file = ResultsFile()
        file.merge(result("paperSlope", 1.2, family: nil))
        file.merge(result("authorsSlope", 0.62, family: "authors"))
        file.merge(result("authorsSlope", 0.7, family: "authors"))
        XCTAssertEqual(file.figures.count, 2)
    }

    func testEveryFamilyClaimIsDeclaredInTheTargetsFile() throws {
        // The ids the authors' families emit exist in paper-targets.json, with their family set.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("paper-targets.json")
        let targets = try TargetsFile.load(from: url)
        for family in [ScalingLawProtocol.Family.authors, .authorsGeneric] {
            for profile in [Profile.quick, .full] {
                for id in [ScalingLawClaims.slope(.fashionMNIST, profile: profile, family: family),
                           ScalingLawClaims.fixedSlopeResidual(.fashionMNIST, profile: profile, family: family)] {
                    let id = try XCTUnwrap(id, "\(family) \(profile)")
                    let claim = try XCTUnwrap(targets.claims.first { $0.id == id.rawValue }, id.rawValue)
                    XCTAssertEqual(claim.protocolFamily, family.rawValue, id.rawValue)
                    XCTAssertEqual(claim.profiles, [profile], id.rawValue)
                }
            }
        }
    }

    func testEachFactorChangesOneSettingOfTheQuickProtocol() throws {
        // Bug caught: a factor row that changes two things at once (an unpaired comparison).
        let base = ScalingLawProtocol.quick(.fashionMNIST)
        let factors = ScalingLawProtocol.factorCandidates(.fashionMNIST)
        XCTAssertEqual(factors.map(\.name), ["factor-noWeightDecay", "factor-authorsLearningRates", "factor-width256",
                                             "factor-runningLossStop", "factor-leadingProbe", "factor-tiedHiddenWeights"])
        for factor in factors {
            var renamed = factor
            renamed.name = base.name
            let difference = try XCTUnwrap(renamed.differences(from: base), factor.name)
            XCTAssertFalse(difference.contains(";"), "\(factor.name): \(difference)")
            XCTAssertEqual(factor.seeds(base: 1), base.seeds(base: 1))
            XCTAssertTrue(ScalingLawProtocol.calibrationCandidates(.fashionMNIST).contains { $0.name == factor.name })
        }
        // The tied row changes the networks only: every spec is the base's with tied hidden weights.
        let tied = try XCTUnwrap(factors.first { $0.name == "factor-tiedHiddenWeights" })
        for (tiedSpec, baseSpec) in zip(tied.specs(baseSeed: 1), base.specs(baseSeed: 1)) {
            var untied = tiedSpec
            if case var .dense(shape) = untied.architecture {
                shape.tiedHiddenWeights = false
                untied.architecture = .dense(shape)
            }
            XCTAssertEqual(tiedSpec.architecture.dense?.tiedHiddenWeights, true)
            XCTAssertEqual(untied.configurationHash, baseSpec.configurationHash)
        }
        // Only depth 10's rate differs between the paper's and the authors' tables over 10–50.
        let rates = try XCTUnwrap(factors.first { $0.name == "factor-authorsLearningRates" }).depths.map(\.learningRate)
        XCTAssertEqual(rates, [0.005, 0.004, 0.004, 0.002, 0.001])
    }

    func testReportShowsTheAuthorsProtocolBesideThePapers() throws {
        // Bug caught: the report's scaling-law section dropping a protocol family's slope.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("paper-targets.json")
        let targets = try TargetsFile.load(from: url)
        var authors = FigureResult(id: "fig3", title: "t", paperReference: "r", profile: .full, caption: "c", images: [],
                                   protocolSettings: [], notes: [],
                                   measurements: [ClaimMeasurement(claimId: .fig3FashionMNISTSlopeAuthors, value: 0.71,
                                                                   uncertainty: .bootstrap(.clusterBootstrap, 0.5...0.9, sampleSize: 10), detail: "")],
                                   provenance: Provenance(gitCommit: "x", configurationHashes: [], seed: 1, wallSeconds: 0, machine: "m", blasKernel: "k", date: "d"))
        authors.protocolFamily = "authors"
        let claims = ClaimEvaluator.evaluate(targets: targets, results: [authors])
        let story = ScalingLawStory(claims: claims, results: [authors])
        XCTAssertTrue(story.hasMeasurement)
        let row = try XCTUnwrap(story.rows.first { $0[0].hasPrefix("authors' protocol (--full") })
        XCTAssertEqual(row[1], "0.71")
        XCTAssertEqual(row[3], "INCONCLUSIVE")  // [0.5, 0.9] straddles 0.6 ± 0.15
        XCTAssertTrue(story.protocolsParagraph.contains("0.71"))
    }
}
