import Core
import XCTest
@testable import Figures

/// Claim ids are typed once (``ClaimID``); these tests hold them to `paper-targets.json` in both directions.
final class ClaimIDTests: XCTestCase {
    /// What is wrong between the typed ids and a targets file: an emitted id the file does not
    /// declare, a declared id nothing emits (and not planned), an id under another figure, and the
    /// same for the sensitivity measurements and the file's `informational` list.
    static func coverageProblems(_ targets: TargetsFile) -> [String] {
        let declared = Dictionary(targets.claims.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        for id in ClaimID.allCases where !ClaimID.sensitivityMeasurements.contains(id) {
            guard let claim = declared[id.rawValue] else {
                problems.append("emitted id '\(id.rawValue)' is not declared in paper-targets.json")
                continue
            }
            if claim.figure != id.figure {
                problems.append("'\(id.rawValue)' is emitted by \(id.figure) but declared for figure \(claim.figure)")
            }
        }
        let informational = Dictionary((targets.informational ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for id in ClaimID.sensitivityMeasurements {
            if declared[id.rawValue] != nil {
                problems.append("'\(id.rawValue)' is a sensitivity measurement (no verdict) but paper-targets.json declares it as a claim")
            }
            if informational[id.rawValue]?.figure != id.figure {
                problems.append("sensitivity measurement '\(id.rawValue)' is not listed under 'informational' for \(id.figure) in paper-targets.json")
            }
        }
        for entry in targets.informational ?? [] where !ClaimID.sensitivityMeasurements.contains(where: { $0.rawValue == entry.id }) {
            problems.append("informational id '\(entry.id)' has no emitter (add it to ClaimID.sensitivityMeasurements)")
        }
        for claim in targets.claims where ClaimID(rawValue: claim.id) == nil && !ClaimID.planned.contains(claim.id) {
            problems.append("declared id '\(claim.id)' has no emitter (add a ClaimID case, or list it in ClaimID.planned)")
        }
        return problems
    }

    private func repositoryTargets() throws -> TargetsFile {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try TargetsFile.load(from: root.appendingPathComponent("paper-targets.json"))
    }

    func testEveryEmittedIdIsDeclaredAndEveryDeclaredIdIsEmitted() throws {
        let problems = Self.coverageProblems(try repositoryTargets())
        XCTAssertEqual(problems, [], problems.joined(separator: "\n"))
    }

    func testTheCheckNamesAnIdRemovedFromOrAddedToTheTargets() throws {
        var targets = try repositoryTargets()
        let removed = try XCTUnwrap(targets.claims.first { $0.id == ClaimID.fig8InterceptLargerBatchQuick.rawValue })
        targets.claims.removeAll { $0.id == removed.id }
        XCTAssertEqual(Self.coverageProblems(targets), ["emitted id 'fig8.intercept.largerBatch.quick' is not declared in paper-targets.json"])
        var stranger = removed
        stranger.id = "fig8.intercept.somethingNew"
        targets.claims.append(removed)
        targets.claims.append(stranger)
        XCTAssertEqual(Self.coverageProblems(targets), ["declared id 'fig8.intercept.somethingNew' has no emitter (add a ClaimID case, or list it in ClaimID.planned)"])
    }

    func testIdsRoundTripAsTheirStrings() throws {
        let measurement = ClaimMeasurement(claimId: .fig9Lr005TestAccuracy, value: 80, uncertainty: .singleRun, detail: "d")
        let json = String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self)
        XCTAssertTrue(json.contains(#""claimId":"fig9.lr0.05.testAccuracy""#), json)
        XCTAssertEqual(try JSONDecoder().decode(ClaimMeasurement.self, from: Data(json.utf8)), measurement)
        XCTAssertEqual(Set(ClaimID.allCases.map(\.rawValue)).count, ClaimID.allCases.count)
    }
}
