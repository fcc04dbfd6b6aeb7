import Core
import Foundation
import XCTest
@testable import Figures

/// Faults 1 and 2 of issue 11 at the level of the results file and the gate, and the marking of
/// records used without their data being checked.
final class ResultIntegrityTests: XCTestCase {
    /// Ids are typed (``ClaimID``): real theory and thmA ids stand in for the test's names.
    private static let ids: [String: ClaimID] = [
        "a": .theoryForwardExponent, "b": .theoryForwardConstant, "c": .theoryBackwardExponent,
        "fullOnly": .theoryFiniteWidthForwardErrorExponent, "other": .thmAFirstOrderErrorExponent,
        "a.sensitivity": .theoryBackwardAlpha,
    ]
    private func id(_ name: String) -> ClaimID { Self.ids[name] ?? .theoryForwardExponent }
    private func name(_ id: String) -> String { Self.ids.first { $0.value.rawValue == id }?.key ?? id }

    private func claim(_ name: String, figure: String = "theory", profiles: [Profile]? = nil) -> ClaimTarget {
        ClaimTarget(id: id(name).rawValue, figure: figure, kind: .paper, measures: "m", paperStatement: nil, paperValue: 1, target: 1, tolerance: 0.1,
                    comparison: nil, profiles: profiles, source: "s", justification: "j", knownDeviation: nil)
    }

    private func result(_ measurements: [ClaimMeasurement]) -> FigureResult { result("theory", measurements) }

    private func result(_ id: String, _ measurements: [ClaimMeasurement], profile: Profile = .quick) -> FigureResult {
        FigureResult(id: id, title: "t", paperReference: "r", profile: profile, caption: "c", images: [],
                     protocolSettings: [], notes: [], measurements: measurements,
                     provenance: Provenance(gitCommit: "x", configurationHashes: [], seed: 1, wallSeconds: 0, machine: "m", blasKernel: "k", date: "d"))
    }

    /// Fault 2: every kind of defect is found and named; a complete result (with a declared
    /// informational measurement, a not-run claim and a claim of another profile left out) has none.
    func testFault2DefectsOfAFigureResult() {
        var targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [claim("a"), claim("b"), claim("c"), claim("fullOnly", profiles: [.full]),
                                                                         claim("other", figure: "thmA")])
        targets.informational = [InformationalMeasurement(id: id("a.sensitivity").rawValue, figure: "theory", measures: "m")]
        let complete = result([ClaimMeasurement(claimId: id("a"), value: 1, uncertainty: .singleRun, detail: ""), ClaimMeasurement(claimId: id("b"), notRunBecause: "no data"),
                               ClaimMeasurement(claimId: id("c"), value: 1.05, uncertainty: .singleRun, detail: ""), ClaimMeasurement(claimId: id("a.sensitivity"), value: 3, uncertainty: .singleRun, detail: "")])
        XCTAssertEqual(ClaimEvaluator.defects(targets: targets, results: [complete]), [])

        var broken = complete
        broken.measurements.remove(at: 2)                                              // c missing
        broken.measurements[0].value = .nan                                            // a non-finite
        broken.measurements[1].notRunReason = nil                                      // b: no value, no reason
        broken.measurements.append(ClaimMeasurement(claimId: id("other"), value: 1, uncertainty: .singleRun, detail: ""))  // thmA's claim, undeclared here
        broken.measurements.append(ClaimMeasurement(claimId: id("a.sensitivity"), value: 4, uncertainty: .singleRun, detail: ""))  // twice
        let defects = ClaimEvaluator.defects(targets: targets, results: [broken])
        XCTAssertEqual(Set(defects.map { "\(name($0.claimId)) \($0.kind.rawValue)" }),
                       ["c missing", "a noValue", "b noValue", "other undeclared", "a.sensitivity duplicate"])
        XCTAssertFalse(ClaimEvaluator.gatePasses([], defects: defects))
        for defect in defects { XCTAssertTrue(defect.description.hasPrefix(defect.claimId + ":"), defect.description) }
        // A figure that did not run has no defects (its claims are "not run").
        XCTAssertEqual(ClaimEvaluator.defects(targets: targets, results: []), [])
    }

    /// Fault 2: a non-finite value (which JSON cannot hold) is written as null without a reason,
    /// so the stored result fails the gate instead of failing to be written.
    func testFault2NonFiniteValueIsStoredAsADefect() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var file = ResultsFile()
        file.merge(result([ClaimMeasurement(claimId: id("a"), value: .infinity, uncertainty: .singleRun, detail: "d")]))
        let url = directory.appendingPathComponent("results.json")
        try file.write(to: url)
        let loaded = try XCTUnwrap(try ResultsFile.load(from: url))
        XCTAssertNil(loaded.figures[0].measurements[0].value)
        XCTAssertNil(loaded.figures[0].measurements[0].notRunReason)
        XCTAssertTrue(loaded.figures[0].measurements[0].detail.contains("non-finite value inf"))
        let targets = TargetsFile(schemaVersion: 1, policy: nil, claims: [claim("a")])
        XCTAssertEqual(ClaimEvaluator.defects(targets: targets, results: loaded.figures).map(\.kind), [.noValue])
    }

    /// Fault 1: many writers merging different figures into one results file at once lose nothing.
    func testFault1ConcurrentMergesLoseNoResult() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("results.json")
        let ids = (1...12).map { "fig\($0)" }
        let failures = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: ids.count) { index in
            do { try ResultsFile.merge(result(ids[index], [ClaimMeasurement(claimId: .theoryForwardExponent, value: 1, uncertainty: .singleRun, detail: "")]), into: url) }
            catch { failures.add(error) }
        }
        XCTAssertEqual(failures.count, 0)
        XCTAssertEqual(Set(try XCTUnwrap(try ResultsFile.load(from: url)).figures.map(\.id)), Set(ids))
    }

    /// A record used under --cached-only while its dataset is absent is returned (--cached-only
    /// keeps working without the data) and reported as unchecked, naming why.
    func testCachedOnlyRecordWithoutItsDataIsMarkedUnchecked() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unchecked-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = RunSpec(dataset: .mnist, trainSubsetPerClass: 2, probePerClass: 1,
                           architecture: RunSpec.architecture(for: .mnist, width: 4, depth: 2),
                           optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4), batchSize: 10,
                           stopping: .steps(2), alignment: AlignmentSchedule(logSpacedStepsPerDecade: 2, logSpacedUntilEpoch: 1), seed: 1)
        let record = RunRecord(spec: spec, trainingSampleCount: 20, stepsPerEpoch: 2,
                               epochs: [EpochEntry(epoch: 1, step: 2, batches: 2, trainLoss: 2, trainAccuracy: 0.2, testLoss: 2,
                                                   testAccuracy: 0.2, wallSeconds: 1)],
                               alignments: [AlignmentSnapshot(step: 0, epoch: 0, trainProbe: [0.1, 0.2], testProbe: [0.1, 0.2])],
                               stopReason: .stepCap, totalSteps: 2, finalTrain: Evaluation(loss: 2, accuracy: 0.2),
                               finalTest: Evaluation(loss: 2, accuracy: 0.2), wallSeconds: 1, machine: "", finalWeightsFile: nil)
        try RunCache(directory: directory).store(record)
        let log = RunIntegrityLog()
        let results = RunScheduler(cacheDirectory: directory, dataDirectory: nil, jobs: 1, showsProgress: false, cachedOnly: true,
                                   integrity: log).run([spec])
        XCTAssertEqual(try results[0].get().configurationHash, spec.configurationHash)
        XCTAssertEqual(log.unchecked.map(\.hash), [spec.configurationHash])
        XCTAssertTrue(log.unchecked[0].reason.contains("MNIST is not on this machine"), log.unchecked[0].reason)
        XCTAssertTrue(log.refused.isEmpty)

        // A damaged record is refused and logged, never used.
        try Data("[1,2,3]".utf8).write(to: RunCache(directory: directory).recordURL(for: spec))
        let damaged = RunScheduler(cacheDirectory: directory, dataDirectory: nil, jobs: 1, showsProgress: false, cachedOnly: true,
                                   integrity: log).run([spec])
        XCTAssertThrowsError(try damaged[0].get()) { XCTAssertTrue("\($0)".contains("JSON of the wrong shape"), "\($0)") }
        XCTAssertEqual(log.refused.count, 1)
    }
}

private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ error: Error) { lock.lock(); errors.append(error); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return errors.count }
}
