import Foundation
import XCTest

/// End-to-end tests: run the built `reproduce` binary as a user would.
final class CommandLineTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let targets = repositoryRoot.appendingPathComponent("paper-targets.json").path
    static var workspace: URL!
    static var theoryRun: Output!

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary sits next to the test bundle in the build products directory.
    static var binary: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("reproduce")
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? workspace
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    override class func setUp() {
        super.setUp()
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("reproduce-e2e-\(UUID())")
        try? FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        // One real run shared by the tests below (the theory figure is the cheapest complete figure).
        theoryRun = try? run(["theory", "--quick", "--out", "out", "--cache", "cache", "--targets", targets])
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workspace)
        super.tearDown()
    }

    private var out: URL { Self.workspace.appendingPathComponent("out") }

    func testTheoryWritesFiguresResultsAndReport() throws {
        let run = try XCTUnwrap(Self.theoryRun)
        XCTAssertEqual(run.status, 0, run.stderr)
        for name in ["theory.png", "theory.pdf", "results.json", "report.md", "report.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let png = try Data(contentsOf: out.appendingPathComponent("theory.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertGreaterThanOrEqual(width, 1200)
        let pdf = try Data(contentsOf: out.appendingPathComponent("theory.pdf"))
        XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-")
        XCTAssertTrue(run.stdout.contains("theory.equilibrium.slope.asymptotic"))
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("theory.equilibrium.slope.asymptotic"))
        XCTAssertTrue(report.contains("![Signal propagation"))
    }

    func testPDFCarriesAxisLabelsAsText() throws {
        let pdftotext = Process()
        pdftotext.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        pdftotext.arguments = [out.appendingPathComponent("theory.pdf").path, "-"]
        let pipe = Pipe()
        pdftotext.standardOutput = pipe
        try pdftotext.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        pdftotext.waitUntilExit()
        for label in ["depth L", "layer l", "width N", "Equilibrium layer"] {
            XCTAssertTrue(text.contains(label), "PDF text lacks '\(label)'")
        }
    }

    func testCheckPassesOnTheRepositoryTargets() throws {
        let check = try Self.run(["check", "--out", "out", "--targets", Self.targets])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("gate: PASS"))
        XCTAssertTrue(check.stdout.contains("REPRODUCED"))
        // Value, interval and verdict of every measured claim: the theory's quantities are exact, its Monte Carlo a single run.
        XCTAssertTrue(check.stdout.contains("interval"), check.stdout)
        XCTAssertTrue(check.stdout.contains("exact (deterministic)"), check.stdout)
        XCTAssertTrue(check.stdout.contains("single run, no interval"), check.stdout)
    }

    private func targetsVariant(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.targets))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var claims = try XCTUnwrap(json["claims"] as? [[String: Any]])
        for index in claims.indices where claims[index]["id"] as? String == "theory.forward.exponent" {
            edit(&claims[index])
        }
        json["claims"] = claims
        let url = Self.workspace.appendingPathComponent("targets-\(UUID()).json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return url.path
    }

    func testCheckFailsOnAFailingPaperClaim() throws {
        let failing = try targetsVariant { $0["target"] = 5.0; $0["tolerance"] = 0.01 }
        let check = try Self.run(["check", "--out", "out", "--targets", failing])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("NOT REPRODUCED"))
        XCTAssertTrue(check.stdout.contains("gate: FAIL"))
    }

    func testKnownDeviationIsReportedButPassesTheGate() throws {
        let known = try targetsVariant {
            $0["target"] = 5.0
            $0["tolerance"] = 0.01
            $0["knownDeviation"] = ["evidence": "docs/calibration.md", "note": "test"]
        }
        let check = try Self.run(["check", "--out", "out", "--targets", known])
        XCTAssertEqual(check.status, 0, check.stdout)
        XCTAssertTrue(check.stdout.contains("not reproduced (known)"))
    }

    func testCheckFailsWhenABandIsLeft() throws {
        let band = try targetsVariant { $0["kind"] = "regression"; $0["target"] = -2.5; $0["tolerance"] = 0.1 }
        let check = try Self.run(["check", "--out", "out", "--targets", band])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("LEFT BAND"))
    }

    func testReportRebuildsWithoutRecomputing() throws {
        let report = out.appendingPathComponent("report.md")
        try FileManager.default.removeItem(at: report)
        let run = try Self.run(["report", "--out", "out", "--targets", Self.targets])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: report.path))
    }

    func testListShowsEveryFigureAndTable() throws {
        let list = try Self.run(["list"])
        XCTAssertEqual(list.status, 0)
        for id in ["theory", "fig1", "fig23", "table1", "table4"] { XCTAssertTrue(list.stdout.contains(id), id) }
        XCTAssertTrue(list.stdout.contains("implemented"))
        XCTAssertTrue(list.stdout.contains("not yet"))
        XCTAssertTrue(list.stdout.contains("fashion-mnist"))
    }

    func testCachedOnlyDrawsFromTheCacheWithoutTraining() throws {
        let empty = Self.workspace.appendingPathComponent("empty-cache")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let result = try Self.run(["fig3", "--quick", "--cached-only", "--cache", "empty-cache", "--out", "cached-only", "--targets", Self.targets])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("--cached-only"), result.stderr)
        XCTAssertTrue(result.stdout.contains("none of the 15 planned runs is in the cache"), result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.workspace.appendingPathComponent("cached-only/fig3.png").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty.path), [], "nothing was trained or cached")

        // A hierarchy figure reports its uncached runs as not run instead of failing.
        let hierarchy = try Self.run(["fig7", "--quick", "--cached-only", "--cache", "empty-cache", "--out", "cached-only", "--targets", Self.targets])
        XCTAssertEqual(hierarchy.status, 0, hierarchy.stderr)
        XCTAssertTrue(hierarchy.stdout.contains("has no finished record in the cache"), hierarchy.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty.path), [])

        let noSeeds = try Self.run(["fig3", "--seeds", "0", "--targets", Self.targets])
        XCTAssertEqual(noSeeds.status, 64)
        XCTAssertTrue(noSeeds.stderr.contains("--seeds must be at least 1"), noSeeds.stderr)

        let oddDepth = try Self.run(["fig3", "--depths", "10,15", "--targets", Self.targets])
        XCTAssertEqual(oddDepth.status, 64)
        XCTAssertTrue(oddDepth.stderr.contains("--depths 15"), oddDepth.stderr)
        let notNumbers = try Self.run(["fig3", "--depths", "10,x", "--targets", Self.targets])
        XCTAssertEqual(notNumbers.status, 64)
        XCTAssertTrue(notNumbers.stderr.contains("comma-separated"), notNumbers.stderr)
        let unknownCandidate = try Self.run(["fig3", "--candidate", "nope", "--targets", Self.targets])
        XCTAssertEqual(unknownCandidate.status, 64)
        XCTAssertTrue(unknownCandidate.stderr.contains("--candidate 'nope'") && unknownCandidate.stderr.contains("sub200-lr1-L50"), unknownCandidate.stderr)
    }

    func testBadInputsExitWithAClearSentence() throws {
        let unknown = try Self.run(["fig99", "--targets", Self.targets])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("unknown figure id 'fig99'"), unknown.stderr)

        let badValue = try Self.run(["theory", "--seed", "abc"])
        XCTAssertEqual(badValue.status, 64)
        XCTAssertTrue(badValue.stderr.contains("--seed"), badValue.stderr)

        let unwritable = try Self.run(["theory", "--out", "/proc/reproduce-cannot-write", "--targets", Self.targets])
        XCTAssertEqual(unwritable.status, 73)
        XCTAssertTrue(unwritable.stderr.contains("/proc/reproduce-cannot-write"), unwritable.stderr)

        let corruptDirectory = Self.workspace.appendingPathComponent("corrupt")
        try FileManager.default.createDirectory(at: corruptDirectory, withIntermediateDirectories: true)
        try Data("{ not json".utf8).write(to: corruptDirectory.appendingPathComponent("results.json"))
        let corrupt = try Self.run(["check", "--out", "corrupt", "--targets", Self.targets])
        XCTAssertEqual(corrupt.status, 65)
        XCTAssertTrue(corrupt.stderr.contains("corrupt/results.json"), corrupt.stderr)

        let missing = try Self.run(["check", "--out", "nothing-here", "--targets", Self.targets])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.contains("reproduce all --quick"), missing.stderr)

        let noTargets = try Self.run(["check", "--out", "out", "--targets", "absent.json"])
        XCTAssertEqual(noTargets.status, 66)
        XCTAssertTrue(noTargets.stderr.contains("absent.json"), noTargets.stderr)
    }
}
