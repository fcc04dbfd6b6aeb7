import Core
import XCTest
@testable import Figures

final class ClaimTests: XCTestCase {
    /// Real ids stand in for the test's names (ids are typed: only declared ids exist).
    private static let ids: [String: ClaimID] = [
        "c": .theoryForwardExponent, "a": .theoryForwardExponent, "b": .theoryForwardConstant,
        "pass": .theoryForwardExponent, "fail": .theoryForwardConstant, "known": .theoryBackwardExponent,
        "band": .theoryBackwardAlpha, "left": .theoryEquilibriumSlopeAsymptotic,
        "missing": .theoryEquilibriumSlopeAsymptoticAllInitialCorrelations, "nodata": .theoryEquilibriumSlopeDepths10to100,
        "fullOnly": .theoryEquilibriumSlopeDepths100to1000, "whole": .theoryFiniteWidthForwardError, "part": .theoryFiniteWidthBackwardError,
        "wide": .theoryFiniteWidthForwardErrorExponent, "outside": .theoryFiniteWidthBackwardErrorExponent,
        "inside": .theoryBackwardAlpha, "knownWide": .thmAFirstOrderErrorExponent,
    ]
    private func id(_ name: String) -> ClaimID { Self.ids[name]! }

    private func claim(_ name: String = "c", kind: ClaimKind = .paper, target: Double = 1, tolerance: Double = 0.1,
                       comparison: Comparison? = nil, profiles: [Profile]? = nil, known: KnownDeviation? = nil) -> ClaimTarget {
        ClaimTarget(id: id(name).rawValue, figure: "theory", kind: kind, measures: "m", paperStatement: nil, paperValue: target,
                    target: target, tolerance: tolerance, comparison: comparison, profiles: profiles, source: "s",
                    justification: "j", knownDeviation: known)
    }

    private func result(_ measurements: [ClaimMeasurement], profile: Profile = .quick) -> FigureResult {
        FigureResult(id: "theory", title: "t", paperReference: "r", profile: profile, caption: "c", images: [],
                     protocolSettings: [], notes: [], measurements: measurements,
                     provenance: Provenance(gitCommit: "x", configurationHashes: [], seed: 1, wallSeconds: 0, machine: "m", blasKernel: "k", date: "d"))
    }

    func testComparisons() {
        XCTAssertTrue(claim().accepts(1.1))
        XCTAssertFalse(claim().accepts(1.11))
        XCTAssertFalse(claim().accepts(.nan))
        XCTAssertTrue(claim(comparison: .atLeast).accepts(0.9))
        XCTAssertFalse(claim(comparison: .atLeast).accepts(0.89))
        XCTAssertTrue(claim(comparison: .atLeast).accepts(100))
        XCTAssertTrue(claim(comparison: .atMost).accepts(-100))
        XCTAssertFalse(claim(comparison: .atMost).accepts(1.2))
        XCTAssertEqual(claim(comparison: .atMost).acceptedRangeText, "≤ 1.1")
    }

    func testVerdicts() {
        let targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [
            claim("pass"), claim("fail"), claim("known", known: KnownDeviation(evidence: "docs/x.md", note: "n")),
            claim("band", kind: .regression), claim("left", kind: .regression), claim("missing"), claim("nodata"),
            claim("fullOnly", profiles: [.full]),
        ])
        let measurements = [
            ClaimMeasurement(claimId: id("pass"), value: 1.05, uncertainty: .singleRun, detail: ""), ClaimMeasurement(claimId: id("fail"), value: 2, uncertainty: .singleRun, detail: ""),
            ClaimMeasurement(claimId: id("known"), value: 2, uncertainty: .singleRun, detail: ""), ClaimMeasurement(claimId: id("band"), value: 1, uncertainty: .singleRun, detail: ""),
            ClaimMeasurement(claimId: id("left"), value: 0, uncertainty: .singleRun, detail: ""), ClaimMeasurement(claimId: id("nodata"), notRunBecause: "CIFAR-10 missing"),
            ClaimMeasurement(claimId: id("fullOnly"), value: 1, uncertainty: .singleRun, detail: ""),
        ]
        let evaluated = ClaimEvaluator.evaluate(targets: targets, results: [result(measurements)])
        let verdicts = Dictionary(uniqueKeysWithValues: evaluated.map { ($0.claim.id, $0.verdict) })
        XCTAssertEqual(verdicts[id("pass").rawValue], .reproduced)
        XCTAssertEqual(verdicts[id("fail").rawValue], .notReproduced)
        XCTAssertEqual(verdicts[id("known").rawValue], .knownDeviation)
        XCTAssertEqual(verdicts[id("band").rawValue], .held)
        XCTAssertEqual(verdicts[id("left").rawValue], .left)
        XCTAssertEqual(verdicts[id("missing").rawValue], .notRun)
        XCTAssertEqual(verdicts[id("nodata").rawValue], .notRun)
        XCTAssertEqual(verdicts[id("fullOnly").rawValue], .notApplicable)
        XCTAssertEqual(evaluated.first { $0.claim.id == id("nodata").rawValue }?.detail, "CIFAR-10 missing")
        XCTAssertFalse(ClaimEvaluator.gatePasses(evaluated))
        XCTAssertTrue(ClaimEvaluator.gatePasses(evaluated.filter { ![id("fail"), id("left")].map(\.rawValue).contains($0.claim.id) }))
    }

    func testAVerdictFromPartOfTheRunsIsMarkedPartial() {
        let targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [claim("whole"), claim("part")])
        let evaluated = ClaimEvaluator.evaluate(targets: targets, results: [result([
            ClaimMeasurement(claimId: id("whole"), value: 1, uncertainty: .singleRun, detail: ""),
            ClaimMeasurement(claimId: id("part"), value: 3, uncertainty: .singleRun, detail: "", partialBecause: "partial result from 3 of 6 planned runs"),
        ])])
        XCTAssertEqual(evaluated.map(\.verdictText), ["REPRODUCED", "NOT REPRODUCED (partial)"])
        XCTAssertEqual(evaluated[1].partialBecause, "partial result from 3 of 6 planned runs")
        XCTAssertFalse(ClaimEvaluator.gatePasses(evaluated), "a partial failure still fails the gate")
    }

    func testScalingLawStorySaysPlainlyWhetherTheSlopeReproduced() {
        func slopeClaim(_ id: String, figure: String = "fig3", kind: ClaimKind = .paper) -> ClaimTarget {
            ClaimTarget(id: id, figure: figure, kind: kind, measures: "m", paperStatement: nil, paperValue: 0.6, target: 0.6,
                        tolerance: 0.15, comparison: nil, profiles: nil, source: "s", justification: "j", knownDeviation: nil)
        }
        // The detail is prose for the reader; the interval must come from the numbers, whatever the wording.
        let detail = "a reworded summary without any interval in it"
        var full = ClaimResult(claim: slopeClaim(ScalingLawStory.fullSlopeId.rawValue), profile: .full, measured: 1.3, detail: detail, verdict: .notReproduced)
        full.partialBecause = "partial result from 35 of 50 planned runs"
        full.interval = ConfidenceInterval(lower: 0.93, upper: 1.61, level: 0.95)
        full.method = .clusterBootstrap
        full.sampleSize = 35
        let theory = ClaimResult(claim: slopeClaim(ScalingLawStory.theorySlopeId.rawValue, figure: "theory", kind: .regression), profile: .quick,
                                 measured: 0.8145, detail: "", verdict: .held)
        let story = ScalingLawStory(claims: [full, theory])
        XCTAssertTrue(story.hasMeasurement)
        XCTAssertTrue(story.verdictSentence.contains("did not reproduce"), story.verdictSentence)
        XCTAssertTrue(story.verdictSentence.contains("95% interval [0.93, 1.61]"), story.verdictSentence)
        XCTAssertEqual(story.rows[1][2], "[0.93, 1.61] (95% cluster bootstrap, n = 35)", "the interval comes from numbers, not from the detail's prose")
        XCTAssertTrue(story.verdictSentence.contains("provisional"), story.verdictSentence)
        XCTAssertEqual(story.rows.map { $0[1] }, ["0.6 (3/5)", "1.3", "0.8145"])
        XCTAssertEqual(story.rows[1][3], "NOT REPRODUCED (partial)")

        let reproduced = ClaimResult(claim: slopeClaim(ScalingLawStory.fullSlopeId.rawValue), profile: .full, measured: 0.62, detail: detail, verdict: .reproduced)
        XCTAssertTrue(ScalingLawStory(claims: [reproduced]).verdictSentence.contains("reproduced on Fashion-MNIST"))
        XCTAssertFalse(ScalingLawStory(claims: [reproduced]).verdictSentence.contains("provisional"))
        XCTAssertFalse(ScalingLawStory(claims: [theory]).hasMeasurement)

        // The per-output centring slope is a sensitivity row without a verdict.
        let withSensitivity = ScalingLawStory(claims: [full, theory], results: [result([
            ClaimMeasurement(claimId: .fig3FashionMNISTSlopePerOutputCentring, value: 0.7,
                             uncertainty: .bootstrap(.clusterBootstrap, 0.3...1.1, sampleSize: 15),
                             detail: "OLS …: 0.7 (95% CI: bootstrap [0.3, 1.1], OLS [0.4, 1]); l* 10: 4", partialBecause: nil),
        ], profile: .full)])
        let row = try? XCTUnwrap(withSensitivity.rows.first { $0[0].contains("centred per output") })
        XCTAssertEqual(row?[1], "0.7")
        XCTAssertEqual(row?[2], "[0.3, 1.1] (95% cluster bootstrap, n = 15)")
        XCTAssertTrue(row?[3].hasPrefix("no verdict") ?? false)
    }

    func testFigureNotRunIsNotRun() {
        let targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [claim()])
        let evaluated = ClaimEvaluator.evaluate(targets: targets, results: [])
        XCTAssertEqual(evaluated.map(\.verdict), [.notRun])
        XCTAssertTrue(ClaimEvaluator.gatePasses(evaluated), "not run never fails by itself; the CLI fails when nothing was measured")
    }

    func testTargetsValidation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("targets-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func load(_ file: TargetsFile) throws -> TargetsFile {
            let url = directory.appendingPathComponent("t.json")
            try JSONEncoder().encode(file).write(to: url)
            return try TargetsFile.load(from: url)
        }
        XCTAssertNoThrow(try load(TargetsFile(schemaVersion: 1, policy: nil, claims: [claim("a"), claim("b")])))
        XCTAssertThrowsError(try load(TargetsFile(schemaVersion: 1, policy: nil, claims: [claim("a"), claim("a")]))) {
            XCTAssertTrue("\($0)".contains("appears twice"))
        }
        XCTAssertThrowsError(try load(TargetsFile(schemaVersion: 1, policy: nil, claims: [claim(tolerance: -1)])))
        XCTAssertThrowsError(try load(TargetsFile(schemaVersion: 1, policy: nil, claims: [
            claim(kind: .regression, known: KnownDeviation(evidence: "e", note: "n"))])))
        XCTAssertThrowsError(try load(TargetsFile(schemaVersion: 1, policy: nil, claims: [
            claim(known: KnownDeviation(evidence: " ", note: "n"))])))
        XCTAssertThrowsError(try load(TargetsFile(schemaVersion: 2, policy: nil, claims: [])))
        let url = directory.appendingPathComponent("broken.json")
        try Data(#"{"schemaVersion": 1, "claims": [{"id": "x"}]}"#.utf8).write(to: url)
        XCTAssertThrowsError(try TargetsFile.load(from: url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("broken.json") && text.contains("missing field"), text)
        }
    }

    func testTheRepositoryTargetsFileIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try TargetsFile.load(from: root.appendingPathComponent("paper-targets.json"))
        XCTAssertFalse(file.claims.isEmpty)
        for claim in file.claims {
            XCTAssertNotNil(FigureCatalog.entry(claim.figure), "claim \(claim.id) names an unknown figure \(claim.figure)")
            XCTAssertFalse(claim.source.isEmpty)
            XCTAssertFalse(claim.justification.isEmpty)
        }
    }
}

final class ResultsAndReportTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func sample(_ id: String, value: Double, profile: Profile = .quick) -> FigureResult {
        FigureResult(id: id, title: "Title \(id)", paperReference: "Section 9", profile: profile, caption: "A caption.",
                     images: ["\(id).png", "\(id).pdf"], protocolSettings: [.init("depth", "10")], notes: ["an approximation"],
                     measurements: [ClaimMeasurement(claimId: .theoryForwardExponent, value: value, uncertainty: .singleRun, detail: "how")],
                     provenance: Provenance(gitCommit: "abc", configurationHashes: ["00ff"], seed: 3, wallSeconds: 1.5, machine: "m", blasKernel: "Zen", date: "today"))
    }

    func testMergeReplacesSameFigureAndProfile() throws {
        var file = ResultsFile()
        file.merge(sample("fig10", value: 1))
        file.merge(sample("fig2", value: 1))
        file.merge(sample("fig2", value: 2))
        file.merge(sample("fig2", value: 3, profile: .full))
        XCTAssertEqual(file.figures.map(\.id), ["fig2", "fig2", "fig10"])
        XCTAssertEqual(file.figures.first { $0.id == "fig2" && $0.profile == .quick }?.measurements.first?.value, 2)
        let url = directory.appendingPathComponent("results.json")
        try file.write(to: url)
        XCTAssertEqual(try ResultsFile.load(from: url)?.figures.count, 3)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["results.json"], "no temporary files left")
    }

    func testCorruptResultsNameTheFile() throws {
        let url = directory.appendingPathComponent("results.json")
        try Data("{\"schemaVersion\": 1, \"figures\": [".utf8).write(to: url)
        XCTAssertThrowsError(try ResultsFile.load(from: url)) { error in
            guard case FileError.corrupt(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
        XCTAssertNil(try ResultsFile.load(from: directory.appendingPathComponent("absent.json")))
    }

    func testReportListsClaimsImagesAndProvenance() throws {
        var file = ResultsFile()
        file.merge(sample("theory", value: 0.61))
        try file.write(to: directory.appendingPathComponent("results.json"))
        // A tiny valid PNG so the HTML can embed it.
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        try png.write(to: directory.appendingPathComponent("theory.png"))
        let targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [
            ClaimTarget(id: ClaimID.theoryForwardExponent.rawValue, figure: "theory", kind: .paper, measures: "slope", paperStatement: "3/5",
                        paperValue: 0.6, target: 0.6, tolerance: 0.05, comparison: nil, profiles: nil, source: "Corollary 1",
                        justification: "why", knownDeviation: nil),
        ])
        let urls = try ReportWriter(directory: directory, targets: targets).write()
        let markdown = try String(contentsOf: urls[0], encoding: .utf8)
        XCTAssertTrue(markdown.contains("| theory.forward.exponent | theory | quick | paper | 3/5 | 0.61 | single run, no interval | 0.6 ± 0.05 | REPRODUCED |"), markdown)
        XCTAssertTrue(markdown.contains("![Title theory](theory.png)"))
        XCTAssertTrue(markdown.contains("commit `abc`"))
        XCTAssertTrue(markdown.contains("an approximation"))
        XCTAssertTrue(markdown.contains("implemented, not run here"), "figures not run are listed")
        XCTAssertEqual(markdown.contains("not implemented yet"), FigureCatalog.entries.contains { !$0.isImplemented },
                       "planned figures are listed as such, when there are any")
        let html = try String(contentsOf: urls[1], encoding: .utf8)
        XCTAssertTrue(html.contains("data:image/png;base64,iVBORw0KGgo"))
        XCTAssertTrue(html.contains("<td class=\"pass\">REPRODUCED</td>"))
    }
}
