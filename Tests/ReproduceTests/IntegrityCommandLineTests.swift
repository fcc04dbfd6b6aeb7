import Foundation
import XCTest

/// The faults of issue 11 as a user meets them: the built binary, real files, real signals.
/// Each test names the fault it covers; each fails on the code before the fix.
final class IntegrityCommandLineTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let targets = repositoryRoot.appendingPathComponent("paper-targets.json").path
    private var workspace: URL!

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var all: String { stdout + stderr }
    }

    static var binary: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("reproduce")
    }

    /// A started process whose output is collected in files (so that pipes never fill up).
    final class Running {
        let process = Process()
        let stdoutURL: URL, stderrURL: URL
        init(_ arguments: [String], in directory: URL, executable: URL? = nil) throws {
            stdoutURL = directory.appendingPathComponent(".out-\(UUID())")
            stderrURL = directory.appendingPathComponent(".err-\(UUID())")
            FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            process.executableURL = executable ?? IntegrityCommandLineTests.binary
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            try process.run()
        }
        var stderrSoFar: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
        func wait() -> Output {
            process.waitUntilExit()
            return Output(status: process.terminationStatus,
                          stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
                          stderr: stderrSoFar)
        }
    }

    func run(_ arguments: [String]) throws -> Output {
        try Running(arguments, in: workspace).wait()
    }

    override func setUpWithError() throws {
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("reproduce-integrity-\(UUID())")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: workspace)
    }

    private func requireFashionMNIST() throws { try CommandLineSupport.requireFashionMNIST() }

    private func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        CommandLineSupport.waitUntil(timeout, poll: 0.05, condition)
    }

    private func lockFiles(in cache: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? []).filter { $0.hasSuffix(".lock") }
    }

    // MARK: Fault 1

    /// Fault 1: figure commands on one --out at the same time all keep their results. thmA
    /// computes for seconds (it reads results.json at its start and writes at its end); fig3 and
    /// fig7 under --cached-only with an empty cache finish within a second, in between: the old
    /// read-once, write-at-the-end code kept only thmA.
    func testFault1ConcurrentFiguresOnOneOutKeepAllResults() throws {
        try FileManager.default.createDirectory(at: workspace.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let common = ["--quick", "--out", "shared", "--targets", Self.targets]
        let commands = [["thmA", "--cache", "cache"] + common,
                        ["fig3", "--cached-only", "--cache", "empty"] + common,
                        ["fig7", "--cached-only", "--cache", "empty"] + common]
        let running = try commands.map { try Running($0, in: workspace) }
        for output in running.map({ $0.wait() }) { XCTAssertEqual(output.status, 0, output.stderr) }
        let data = try Data(contentsOf: workspace.appendingPathComponent("shared/results.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ids = (json["figures"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(Set(ids), ["thmA", "fig3", "fig7"], "every figure's result survives")
        let report = try String(contentsOf: workspace.appendingPathComponent("shared/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("thmA") && report.contains("fig7"), "the report is rebuilt from the merged results")
    }

    // MARK: Fault 2

    /// A complete thmA result, with every declared quick claim at its target value.
    private func thmAResults(_ edit: (inout [[String: Any]]) -> Void) throws -> String {
        let targets = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.targets))) as? [String: Any])
        let claims = (targets["claims"] as? [[String: Any]] ?? []).filter {
            $0["figure"] as? String == "thmA" && (($0["profiles"] as? [String])?.contains("quick") ?? true)
        }
        XCTAssertGreaterThan(claims.count, 1)
        var measurements: [[String: Any]] = claims.map { ["claimId": $0["id"]!, "value": $0["target"]!, "detail": "test"] }
        edit(&measurements)
        let figure: [String: Any] = [
            "id": "thmA", "title": "t", "paperReference": "r", "profile": "quick", "caption": "c", "images": [String](),
            "protocolSettings": [Any](), "notes": [String](), "measurements": measurements,
            "provenance": ["gitCommit": "x", "configurationHashes": [String](), "seed": 1, "wallSeconds": 0, "machine": "m",
                           "blasKernel": "k", "date": "d"],
        ]
        let directory = "results-\(UUID())"
        let url = workspace.appendingPathComponent(directory + "/results.json")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: ["schemaVersion": 1, "figures": [figure]]).write(to: url)
        return directory
    }

    /// Fault 2: the gate fails, naming the claim, when a figure that ran lacks a declared
    /// measurement, has one with neither value nor reason, emits an undeclared id, or emits an id twice.
    func testFault2GateFailsOnMissingNullUndeclaredOrDuplicateMeasurements() throws {
        let complete = try run(["check", "--out", try thmAResults { _ in }, "--targets", Self.targets])
        XCTAssertEqual(complete.status, 0, complete.all)
        XCTAssertTrue(complete.stdout.contains("gate: PASS"), complete.stdout)

        var first = ""
        let cases: [(String, (inout [[String: Any]]) -> Void, String)] = [
            ("missing", { first = $0[0]["claimId"] as! String; $0.removeFirst() }, "has no measurement for it"),
            ("null", { first = $0[0]["claimId"] as! String; $0[0]["value"] = NSNull() }, "neither a finite value nor a reason"),
            ("renamed", { first = $0[0]["claimId"] as! String + ".typo"; $0[0]["claimId"] = first }, "not declared for it"),
            ("duplicate", { first = $0[0]["claimId"] as! String; $0.append($0[0]) }, "measured more than once"),
        ]
        for (name, edit, phrase) in cases {
            let check = try run(["check", "--out", try thmAResults(edit), "--targets", Self.targets])
            XCTAssertEqual(check.status, 1, "\(name): \(check.all)")
            XCTAssertTrue(check.stdout.contains("gate: FAIL"), "\(name): \(check.stdout)")
            XCTAssertTrue(check.stdout.contains(first), "\(name) names the claim: \(check.stdout)")
            XCTAssertTrue(check.stdout.contains(phrase), "\(name): \(check.stdout)")
        }
    }

    // MARK: Fault 3

    private let tinyTraining = ["train", "--depth", "2", "--width", "8", "--steps", "5", "--train-per-class", "10",
                                "--probe-per-class", "2", "--batch-size", "10", "--cache", "cache", "--quiet"]

    /// Fault 3: an edited record (accuracy 0.1295 → 0.9295 style) is refused with exit 65, naming
    /// the file and how to recover; a record of an older version (no checksum) is refused until
    /// `migrate-records` upgrades it, after which it is read again without training.
    func testFault3EditedRecordIsRefusedAndLegacyRecordsMigrate() throws {
        try requireFashionMNIST()
        let first = try run(tinyTraining)
        XCTAssertEqual(first.status, 0, first.all)
        let recordPath = try XCTUnwrap(first.stdout.split(separator: "\n").first { $0.hasPrefix("record: ") }?.dropFirst("record: ".count))
        let url = workspace.appendingPathComponent(String(recordPath))
        let original = try Data(contentsOf: url)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: original) as? [String: Any])
        var finalTest = try XCTUnwrap(json["finalTest"] as? [String: Any])
        finalTest["accuracy"] = min(1, (finalTest["accuracy"] as? Double ?? 0) + 0.8)
        json["finalTest"] = finalTest
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let edited = try run(tinyTraining)
        XCTAssertEqual(edited.status, 65, edited.all)
        XCTAssertTrue(edited.stderr.contains(url.lastPathComponent) && edited.stderr.contains("checksum does not match"), edited.stderr)
        XCTAssertTrue(edited.stderr.contains("delete it to rerun the run"), edited.stderr)

        var legacy = try XCTUnwrap(JSONSerialization.jsonObject(with: original) as? [String: Any])
        legacy.removeValue(forKey: "checksum")
        legacy.removeValue(forKey: "dataFingerprint")
        try JSONSerialization.data(withJSONObject: legacy).write(to: url)
        let refused = try run(tinyTraining)
        XCTAssertEqual(refused.status, 65, refused.all)
        XCTAssertTrue(refused.stderr.contains("reproduce migrate-records --cache"), refused.stderr)
        let migrated = try run(["migrate-records", "--cache", "cache"])
        XCTAssertEqual(migrated.status, 0, migrated.all)
        XCTAssertTrue(migrated.stdout.contains("1 migrated"), migrated.stdout)
        let again = try run(tinyTraining)
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertEqual(again.stdout, first.stdout, "the migrated record answers as before, without training")
        XCTAssertTrue(try run(["migrate-records", "--cache", "cache"]).stdout.contains("0 migrated, 1 already verified"))
    }

    // MARK: Fault 5

    /// Fault 5: `--data-dir` with two of the four Fashion-MNIST files is an error (66) naming the
    /// missing files, not a silent run on the system copy.
    func testFault5PartialDataDirectoryIsAnError() throws {
        let directory = workspace.appendingPathComponent("data/fashion-mnist")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
            try Data([0x1f, 0x8b]).write(to: directory.appendingPathComponent(name))
        }
        let train = try run(tinyTraining + ["--data-dir", "data"])
        XCTAssertEqual(train.status, 66, train.all)
        XCTAssertTrue(train.stderr.contains("t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] are missing"), train.stderr)
        XCTAssertTrue(train.stderr.contains(directory.path), train.stderr)
        let figure = try run(["fig3", "--quick", "--cached-only", "--data-dir", "data", "--cache", "cache", "--out", "out", "--targets", Self.targets])
        XCTAssertEqual(figure.status, 66, figure.all)
        XCTAssertTrue(figure.stderr.contains("holds only part of Fashion-MNIST"), figure.stderr)
    }

    // MARK: Fault 7

    /// Fault 7: a full disk while writing a figure exits 73 (cannot write), not 70, naming the file.
    /// Needs a tiny tmpfs (mount privileges); skipped where none can be mounted.
    func testFault7FullDiskExits73() throws {
        let small = workspace.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small.path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a small tmpfs here (needs mount privileges)") }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [small.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let full = try run(["thmA", "--quick", "--out", "small", "--cache", "cache", "--targets", Self.targets])
        XCTAssertEqual(full.status, 73, full.all)
        XCTAssertTrue(full.stderr.contains(small.path), full.stderr)
        XCTAssertTrue(full.stderr.contains("disk space") || full.stderr.contains("no space"), full.stderr)
    }

    // MARK: Fault 8

    /// Fault 8: SIGTERM (a cluster scheduler's warning before SIGKILL) writes a checkpoint and
    /// exits 143; the same command then resumes from it.
    func testFault8SIGTERMWritesACheckpointAndExits143() throws {
        try requireFashionMNIST()
        let long = ["train", "--depth", "2", "--width", "16", "--epochs", "1000", "--train-per-class", "100", "--probe-per-class", "2",
                    "--batch-size", "10", "--cache", "cache", "--quiet"]
        let running = try Running(long, in: workspace)
        let cache = workspace.appendingPathComponent("cache")
        XCTAssertTrue(waitUntil(60) { !lockFiles(in: cache).isEmpty }, "the training takes its lock: \(running.stderrSoFar)")
        Thread.sleep(forTimeInterval: 1.5)
        kill(running.process.processIdentifier, SIGTERM)
        let stopped = running.wait()
        XCTAssertEqual(stopped.status, 143, stopped.all)
        XCTAssertEqual(running.process.terminationReason, .exit, "it exits, not killed by the signal")
        XCTAssertTrue(stopped.stderr.contains("running the same command again resumes it"), stopped.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        XCTAssertEqual(files.filter { $0.hasSuffix(".checkpoint") }.count, 1, "\(files)")
        XCTAssertTrue(lockFiles(in: cache).isEmpty, "the lock is released: \(files)")
    }

    /// Fault 8: two identical trainings on one cache train once: the second says it waits for
    /// the first (by pid), then prints the first's record.
    func testFault8IdenticalTrainingsTrainOnce() throws {
        try requireFashionMNIST()
        let training = ["train", "--depth", "2", "--width", "16", "--steps", "300", "--train-per-class", "100", "--probe-per-class", "2",
                        "--batch-size", "10", "--cache", "cache", "--quiet"]
        let first = try Running(training, in: workspace)
        let cache = workspace.appendingPathComponent("cache")
        XCTAssertTrue(waitUntil(60) { !lockFiles(in: cache).isEmpty }, first.stderrSoFar)
        let second = try Running(training, in: workspace)
        let outputs = [first.wait(), second.wait()]
        for output in outputs { XCTAssertEqual(output.status, 0, output.all) }
        XCTAssertTrue(outputs[1].stderr.contains("is being trained by process \(first.process.processIdentifier)"), outputs[1].stderr)
        XCTAssertEqual(outputs[0].stdout, outputs[1].stdout, "the second prints the first's record (same wall time: it did not train)")
    }

    // MARK: Minor items

    /// Minor: JSON of the wrong shape is called so (not "not valid JSON"); a directory given as a
    /// file is named as such (not "no such file"); both with their exit codes.
    func testMessagesForWrongShapesAndDirectories() throws {
        let shape = workspace.appendingPathComponent("shape")
        try FileManager.default.createDirectory(at: shape, withIntermediateDirectories: true)
        try Data("[1,2,3]".utf8).write(to: shape.appendingPathComponent("results.json"))
        let wrongShape = try run(["check", "--out", "shape", "--targets", Self.targets])
        XCTAssertEqual(wrongShape.status, 65, wrongShape.all)
        XCTAssertTrue(wrongShape.stderr.contains("JSON of the wrong shape: expected an object with schemaVersion and figures, found an array"),
                      wrongShape.stderr)
        let directoryTargets = try run(["check", "--out", "shape", "--targets", "shape"])
        XCTAssertEqual(directoryTargets.status, 66, directoryTargets.all)
        XCTAssertTrue(directoryTargets.stderr.contains("it is a directory, not a file"), directoryTargets.stderr)
        XCTAssertFalse(directoryTargets.stderr.contains("NSCocoaErrorDomain"), directoryTargets.stderr)
        let resultsDirectory = workspace.appendingPathComponent("dir/results.json")
        try FileManager.default.createDirectory(at: resultsDirectory, withIntermediateDirectories: true)
        let directoryResults = try run(["check", "--out", "dir", "--targets", Self.targets])
        XCTAssertEqual(directoryResults.status, 66, directoryResults.all)
        XCTAssertTrue(directoryResults.stderr.contains("results.json': it is a directory, not a file"), directoryResults.stderr)
        XCTAssertFalse(directoryResults.stderr.contains("NSCocoaErrorDomain"), directoryResults.stderr)
        // An unreadable directory is not "not found" (needs root to drop to another user; skipped otherwise).
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            let locked = workspace.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: workspace.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: locked.path)
            let targetsCopy = workspace.appendingPathComponent("targets.json")
            try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.targets), to: targetsCopy)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: targetsCopy.path)
            let asNobody = try Running(["--reuid", "65534", "--regid", "65534", "--clear-groups", Self.binary.path,
                                        "check", "--out", "locked", "--targets", "targets.json"],
                                       in: workspace, executable: URL(fileURLWithPath: "/usr/bin/setpriv")).wait()
            XCTAssertEqual(asNobody.status, 66, asNobody.all)
            XCTAssertTrue(asNobody.stderr.contains("locked cannot be read (permission denied)"), asNobody.stderr)
            XCTAssertFalse(asNobody.stderr.contains("no stored results"), asNobody.stderr)
        }
        let help = try run(["--help"])
        XCTAssertTrue(help.stdout.contains("143") && help.stdout.contains("migrate-records"), help.stdout)
    }
}
