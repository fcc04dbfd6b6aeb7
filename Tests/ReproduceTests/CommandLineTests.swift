import Core
import Figures
import Foundation
import XCTest

/// End-to-end tests: run the built `reproduce` binary as a user would.
///
/// Order independence: the one shared run (`all --quick --cached-only` into `out/`, made once in
/// `setUp`) is only read by the tests; every test that writes works in a directory of its own.
/// Assertions name exit codes and the path or flag a message must mention, not its wording.
final class CommandLineTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let targets = repositoryRoot.appendingPathComponent("paper-targets.json").path
    static var workspace: URL!
    /// The shared run, or why it could not be started (reported by every test that uses it).
    static var sharedRun: Result<Output, Error>!

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

    static func process(_ arguments: [String], in directory: URL?) -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? workspace
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        return (process, out, err)
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Output {
        let (process, out, err) = process(arguments, in: directory)
        try process.run()
        return finish(process, out, err)
    }

    static func finish(_ process: Process, _ out: Pipe, _ err: Pipe) -> Output {
        // Read both pipes concurrently so that a full stderr pipe cannot block the child.
        nonisolated(unsafe) var stderr = Data()
        let reader = DispatchQueue(label: "stderr")
        let group = DispatchGroup()
        reader.async(group: group) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    override class func setUp() {
        super.setUp()
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("reproduce-e2e-\(UUID())")
        sharedRun = Result {
            try FileManager.default.createDirectory(at: workspace.appendingPathComponent("shared-empty-cache"), withIntermediateDirectories: true)
            // One real run shared by the tests below: every implemented figure, training nothing
            // (theory and thmA compute; the others report their uncached runs as not run).
            return try run(["all", "--quick", "--cached-only", "--cache", "shared-empty-cache", "--out", "out", "--targets", targets])
        }
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workspace)
        super.tearDown()
    }

    private struct SharedRunFailed: Error, CustomStringConvertible { let description: String }

    /// The shared run; a test that uses it fails (with the run's stderr) when it did not succeed.
    private func shared() throws -> Output {
        let output = try Self.sharedRun.get()
        guard output.status == 0 else {
            throw SharedRunFailed(description: "the shared 'all --quick --cached-only' run exited \(output.status): \(output.stderr)")
        }
        return output
    }

    private var out: URL { Self.workspace.appendingPathComponent("out") }

    /// A fresh directory of the workspace for one test.
    private func scratch(_ name: String) throws -> URL {
        let url = Self.workspace.appendingPathComponent("\(name)-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func testAllWritesEveryImplementedFigureResultsAndReport() throws {
        let run = try shared()
        // Every id `list` calls implemented has its PNG and PDF; nothing was trained or cached.
        let list = try Self.run(["list"])
        let implemented = list.stdout.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count > 1 && fields[1] == "implemented" ? String(fields[0]) : nil
        }
        XCTAssertGreaterThanOrEqual(implemented.count, 10, list.stdout)
        for id in implemented {
            for suffix in ["png", "pdf"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(id).\(suffix)").path), "\(id).\(suffix)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: Self.workspace.appendingPathComponent("shared-empty-cache").path), [],
                       "--cached-only trained nothing")
        for name in ["results.json", "report.md", "report.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let png = try Data(contentsOf: out.appendingPathComponent("theory.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertGreaterThanOrEqual(width, 1200)
        let pdf = try Data(contentsOf: out.appendingPathComponent("theory.pdf"))
        XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-")
        XCTAssertTrue(run.stdout.contains("theory.equilibrium.slope.asymptotic"))
        XCTAssertTrue(run.stdout.contains("none of the 15 planned runs is in the cache"), "fig3's uncached runs are named as not run")
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("theory.equilibrium.slope.asymptotic"))
        XCTAssertTrue(report.contains("![Signal propagation"))
        // results.json holds one entry per figure, with a measured theory claim.
        XCTAssertNotNil(try Self.measuredValue(of: "theory.forward.exponent", in: out.appendingPathComponent("results.json")))
    }

    func testPDFCarriesAxisLabelsAsText() throws {
        _ = try shared()
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
        _ = try shared()
        let check = try Self.run(["check", "--out", "out", "--targets", Self.targets])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("gate: PASS"))
        XCTAssertTrue(check.stdout.contains("REPRODUCED"))
        // Value, interval and verdict of every measured claim: the theory's quantities are exact, its Monte Carlo a single run.
        XCTAssertTrue(check.stdout.contains("interval"), check.stdout)
        XCTAssertTrue(check.stdout.contains("exact (deterministic)"), check.stdout)
        XCTAssertTrue(check.stdout.contains("single run, no interval"), check.stdout)
    }

    /// A copy of the targets file with the claim `id` edited.
    private func targetsVariant(_ id: String = "theory.forward.exponent", _ edit: (inout [String: Any]) -> Void) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.targets))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var claims = try XCTUnwrap(json["claims"] as? [[String: Any]])
        var found = false
        for index in claims.indices where claims[index]["id"] as? String == id {
            edit(&claims[index])
            found = true
        }
        XCTAssertTrue(found, "no claim \(id) in the targets file")
        json["claims"] = claims
        let url = Self.workspace.appendingPathComponent("targets-\(UUID()).json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return url.path
    }

    func testCheckFailsOnAFailingPaperClaim() throws {
        _ = try shared()
        let failing = try targetsVariant { $0["target"] = 5.0; $0["tolerance"] = 0.01 }
        let check = try Self.run(["check", "--out", "out", "--targets", failing])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("NOT REPRODUCED"))
        XCTAssertTrue(check.stdout.contains("gate: FAIL"))
        XCTAssertTrue(check.stdout.contains("theory.forward.exponent"))
    }

    func testKnownDeviationIsReportedButPassesTheGate() throws {
        _ = try shared()
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
        _ = try shared()
        let band = try targetsVariant { $0["kind"] = "regression"; $0["target"] = -2.5; $0["tolerance"] = 0.1 }
        let check = try Self.run(["check", "--out", "out", "--targets", band])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("LEFT BAND"))
    }

    /// Works on a copy of the shared results (the shared report.md stays for the other tests).
    func testReportRebuildsWithoutRecomputing() throws {
        _ = try shared()
        let directory = try scratch("report")
        try FileManager.default.copyItem(at: out.appendingPathComponent("results.json"), to: directory.appendingPathComponent("results.json"))
        let run = try Self.run(["report", "--out", directory.lastPathComponent, "--targets", Self.targets])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("theory.equilibrium.slope.asymptotic"))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)), ["results.json", "report.md", "report.html"],
                       "no figure was recomputed")
    }

    /// Bug caught: a discussion hard-wrapped in the source printing with a short line after every
    /// line the parser wrapped (the parser keeps the source's line breaks). A prose line that is
    /// followed by more prose of its paragraph must be a full line.
    func testHelpParagraphsAreWrappedByTheParserOnly() throws {
        for command in ["run", "check", "train", "factors", "bench", "plan", "slurm", "run-spec", "migrate-records", "report", "list"] {
            let help = try Self.run([command, "--help"])
            XCTAssertEqual(help.status, 0, command)
            let lines = help.stdout.components(separatedBy: "\n").prefix { !$0.hasPrefix("USAGE:") }
            for (line, next) in zip(lines, lines.dropFirst()) where !line.isEmpty && !next.isEmpty
                && !line.hasPrefix(" ") && !next.hasPrefix(" ") && !next.hasPrefix("-") && !line.hasSuffix(":") {
                XCTAssertGreaterThan(line.count, 50, "reproduce \(command) --help: a short line inside a paragraph: '\(line)'")
            }
        }
    }

    func testListShowsEveryFigureAndTable() throws {
        let list = try Self.run(["list"])
        XCTAssertEqual(list.status, 0)
        for id in ["theory", "fig1", "fig23", "table1", "table4"] { XCTAssertTrue(list.stdout.contains(id), id) }
        XCTAssertTrue(list.stdout.contains("implemented"))
        // "not yet" marks a planned entry; it appears exactly when the catalog still has one.
        XCTAssertEqual(list.stdout.contains("not yet"), FigureCatalog.entries.contains { !$0.isImplemented })
        XCTAssertTrue(list.stdout.contains("fashion-mnist"))
    }

    func testCachedOnlyOnAnEmptyCacheTrainsNothingAndCheckFailsWhenNothingWasMeasured() throws {
        let directory = try scratch("cached-only")
        let empty = directory.appendingPathComponent("empty-cache")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let result = try Self.run(["fig3", "--quick", "--cached-only", "--cache", "empty-cache", "--out", "drawn", "--targets", Self.targets], in: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("--cached-only"), result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("drawn/fig3.png").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty.path), [], "nothing was trained or cached")

        // Catches: a gate that passes when every claim is "not run" (nothing measured ≠ nothing failed).
        let check = try Self.run(["check", "--out", "drawn", "--targets", Self.targets], in: directory)
        XCTAssertEqual(check.status, 1, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("not run"), check.stdout)
    }

    func testUsageErrorsNameTheFlag() throws {
        let noSeeds = try Self.run(["fig3", "--seeds", "0", "--targets", Self.targets])
        XCTAssertEqual(noSeeds.status, 64)
        XCTAssertTrue(noSeeds.stderr.contains("--seeds"), noSeeds.stderr)
        let noJobs = try Self.run(["fig3", "--jobs", "0", "--targets", Self.targets])
        XCTAssertEqual(noJobs.status, 64)
        XCTAssertTrue(noJobs.stderr.contains("--jobs"), noJobs.stderr)
        let oddDepth = try Self.run(["fig3", "--depths", "10,15", "--targets", Self.targets])
        XCTAssertEqual(oddDepth.status, 64)
        XCTAssertTrue(oddDepth.stderr.contains("--depths 15"), oddDepth.stderr)
        let notNumbers = try Self.run(["fig3", "--depths", "10,x", "--targets", Self.targets])
        XCTAssertEqual(notNumbers.status, 64)
        XCTAssertTrue(notNumbers.stderr.contains("--depths"), notNumbers.stderr)
        let trainWithoutStop = try Self.run(["train", "--depth", "2"])
        XCTAssertEqual(trainWithoutStop.status, 64)
        XCTAssertTrue(trainWithoutStop.stderr.contains("--epochs"), trainWithoutStop.stderr)
        let unknownCandidate = try Self.run(["fig3", "--candidate", "nope", "--targets", Self.targets])
        XCTAssertEqual(unknownCandidate.status, 64)
        XCTAssertTrue(unknownCandidate.stderr.contains("--candidate 'nope'") && unknownCandidate.stderr.contains("sub200-lr1-L50"), unknownCandidate.stderr)
    }

    func testBadInputsExitWithAClearSentence() throws {
        let unknown = try Self.run(["fig99", "--targets", Self.targets])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("fig99"), unknown.stderr)

        let badValue = try Self.run(["theory", "--seed", "abc"])
        XCTAssertEqual(badValue.status, 64)
        XCTAssertTrue(badValue.stderr.contains("--seed"), badValue.stderr)

        let unwritable = try Self.run(["theory", "--out", "/proc/reproduce-cannot-write", "--targets", Self.targets])
        XCTAssertEqual(unwritable.status, 73)
        XCTAssertTrue(unwritable.stderr.contains("/proc/reproduce-cannot-write"), unwritable.stderr)

        let corruptDirectory = try scratch("corrupt")
        try Data("{ not json".utf8).write(to: corruptDirectory.appendingPathComponent("results.json"))
        let corrupt = try Self.run(["check", "--out", corruptDirectory.lastPathComponent, "--targets", Self.targets])
        XCTAssertEqual(corrupt.status, 65)
        XCTAssertTrue(corrupt.stderr.contains(corruptDirectory.lastPathComponent + "/results.json"), corrupt.stderr)

        let missing = try Self.run(["check", "--out", "nothing-here", "--targets", Self.targets])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.contains("reproduce all --quick"), missing.stderr)

        let noTargets = try Self.run(["check", "--out", "out", "--targets", "absent.json"])
        XCTAssertEqual(noTargets.status, 66)
        XCTAssertTrue(noTargets.stderr.contains("absent.json"), noTargets.stderr)
    }

    /// A targets file that is not JSON, or JSON of the wrong shape: exit 65 naming the file,
    /// for the commands that read it (check and a figure run).
    func testCorruptTargetsFileExits65NamingThePath() throws {
        _ = try shared()
        let directory = try scratch("corrupt-targets")
        try Data("{ \"claims\": [ { \"id\": ".utf8).write(to: directory.appendingPathComponent("broken-targets.json"))
        try Data("{ \"claims\": 3 }".utf8).write(to: directory.appendingPathComponent("wrong-shape.json"))
        try FileManager.default.copyItem(at: Self.workspace.appendingPathComponent("out/results.json"), to: directory.appendingPathComponent("results.json"))
        for name in ["broken-targets.json", "wrong-shape.json"] {
            let check = try Self.run(["check", "--out", ".", "--targets", name], in: directory)
            XCTAssertEqual(check.status, 65, "check --targets \(name): " + check.stderr)
            XCTAssertTrue(check.stderr.contains(name), check.stderr)
            let figure = try Self.run(["fig3", "--cached-only", "--cache", "cache", "--out", "drawn", "--targets", name], in: directory)
            XCTAssertEqual(figure.status, 65, "fig3 --targets \(name): " + figure.stderr)
            XCTAssertTrue(figure.stderr.contains(name), figure.stderr)
        }
    }
}

// MARK: - Runs through the binary: train, SIGINT and resume, prepared caches, --full, --jobs

extension CommandLineTests {
    /// A tiny training: 200 samples, 20 steps an epoch; long enough (6 epochs) that a SIGINT
    /// sent at the first epoch-end checkpoint lands well before the stop.
    private static let trainArguments = ["train", "--depth", "3", "--width", "16", "--train-per-class", "20", "--probe-per-class", "2",
                                         "--batch-size", "10", "--epochs", "6", "--seed", "5", "--quiet"]

    /// The one record in a cache directory, decoded.
    private func onlyRecord(in cache: URL) throws -> RunRecord {
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".json") }
        XCTAssertEqual(files.count, 1, "\(files)")
        let name = try XCTUnwrap(files.first)
        return try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: cache.appendingPathComponent(name)))
    }

    private func requireFashionMNIST() throws {
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
    }

    /// SIGINT during `train`: exit 130 with a checkpoint and no record; the same command resumes
    /// and writes a record identical (all but wall-clock times) to an uninterrupted run's. A
    /// damaged checkpoint then stops the resume with exit 65 naming the checkpoint file.
    /// Catches: a lost optimiser state (momentum) or batch position on resume, a SIGINT that
    /// kills without a checkpoint, a resume that silently restarts from scratch on a bad checkpoint.
    func testInterruptedTrainingExits130AndResumesToTheSameRecord() throws {
        try requireFashionMNIST()
        let directory = try scratch("sigint")
        let straight = try Self.run(Self.trainArguments + ["--cache", "straight"], in: directory)
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let reference = try onlyRecord(in: directory.appendingPathComponent("straight"))
        XCTAssertEqual(reference.totalSteps, 120)
        XCTAssertTrue(straight.stdout.contains("straight/\(reference.configurationHash).json"), "train prints where its record went")

        // Interrupt at the first checkpoint (written at the end of epoch 1).
        let cache = directory.appendingPathComponent("interrupted")
        let (process, out, err) = Self.process(Self.trainArguments + ["--cache", "interrupted"], in: directory)
        try process.run()
        let checkpoint = RunCache(directory: cache).checkpointURL(for: reference.spec)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        kill(process.processIdentifier, SIGINT)
        let interrupted = Self.finish(process, out, err)
        XCTAssertEqual(interrupted.status, 130, "a SIGINT during training exits 130: " + interrupted.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.path), "the checkpoint stays for the resume")
        XCTAssertTrue(interrupted.stderr.contains(checkpoint.lastPathComponent), "the message names the checkpoint: " + interrupted.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: RunCache(directory: cache).recordURL(for: reference.spec).path))

        // A damaged copy of that checkpoint: exit 65 naming it, nothing trained over it.
        let damaged = directory.appendingPathComponent("damaged")
        try FileManager.default.copyItem(at: cache, to: damaged)
        let damagedCheckpoint = damaged.appendingPathComponent(checkpoint.lastPathComponent)
        var bytes = try Data(contentsOf: damagedCheckpoint)
        bytes = bytes.prefix(bytes.count / 2)
        try bytes.write(to: damagedCheckpoint)
        let corrupt = try Self.run(Self.trainArguments + ["--cache", "damaged"], in: directory)
        XCTAssertEqual(corrupt.status, 65, corrupt.stderr)
        XCTAssertTrue(corrupt.stderr.contains("damaged/" + checkpoint.lastPathComponent), corrupt.stderr)

        let resumed = try Self.run(Self.trainArguments + ["--cache", "interrupted"], in: directory)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint.path), "the checkpoint is removed once the record is written")
        let record = try onlyRecord(in: cache)
        XCTAssertEqual(record.epochs.map(\.trainLoss), reference.epochs.map(\.trainLoss), "the resumed trajectory")
        let identical = try CanonicalJSON.string(for: record.deterministicPart) == CanonicalJSON.string(for: reference.deterministicPart)
        XCTAssertTrue(identical, "the resumed record differs from the uninterrupted one beyond its wall-clock times")

        // The same command once more: the cached record, nothing trained (the file is untouched).
        let recordURL = RunCache(directory: cache).recordURL(for: reference.spec)
        let before = try Data(contentsOf: recordURL)
        let again = try Self.run(Self.trainArguments + ["--cache", "interrupted"], in: directory)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try Data(contentsOf: recordURL), before)
    }

    /// Writes records for some of `specs` (peak of A_l at `peaks[i]` for `specs[i]`) into `cache`.
    private func prepare(_ cache: URL, _ entries: [(spec: RunSpec, peak: Int)]) throws {
        let store = RunCache(directory: cache)
        for (spec, peak) in entries {
            let L = spec.architecture.depth
            let profile = (1...L).map { $0 == peak ? 1.0 : 0.1 }
            // A consistent record (one epoch of one step): the cache checks records on read.
            let epoch = EpochEntry(epoch: 1, step: 1, batches: 1, trainLoss: 0.05, trainAccuracy: 1, testLoss: 0.3,
                                   testAccuracy: 0.85, wallSeconds: 1)
            try store.store(RunRecord(spec: spec, trainingSampleCount: 100, stepsPerEpoch: 1, epochs: [epoch],
                                      alignments: [AlignmentSnapshot(step: 1, epoch: 1, trainProbe: profile, testProbe: profile)],
                                      stopReason: .thresholdReached, totalSteps: 1, finalTrain: Evaluation(loss: 0.05, accuracy: 1),
                                      finalTest: Evaluation(loss: 0.3, accuracy: 0.85), wallSeconds: 1, machine: "test", finalWeightsFile: nil))
        }
    }

    /// The measurement of `claimId` in a results file (searched anywhere in the JSON, so that the
    /// test does not depend on the file's layout); nil when absent.
    static func measurement(of claimId: String, in url: URL) throws -> [String: Any]? {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        func search(_ node: Any) -> [String: Any]? {
            if let dictionary = node as? [String: Any] {
                if dictionary["claimId"] as? String == claimId { return dictionary }
                for value in dictionary.values { if let found = search(value) { return found } }
            } else if let array = node as? [Any] {
                for value in array { if let found = search(value) { return found } }
            }
            return nil
        }
        return search(json)
    }

    /// The measured value of `claimId` in a results file (nil when absent or not run).
    static func measuredValue(of claimId: String, in url: URL) throws -> Double? {
        try measurement(of: claimId, in: url)?["value"] as? Double
    }

    /// `--cached-only` on a cache holding 3 of the 15 quick fig3 runs: exit 0, nothing trained,
    /// the slope measured from exactly those runs and marked partial; `--jobs 1` and `--jobs 2`
    /// give the same results. Catches: cached-only training the missing runs, dropping the
    /// cached ones, or a measurement that is not marked partial.
    func testCachedOnlyOnAPartlyFilledCacheMeasuresFromWhatIsThere() throws {
        let directory = try scratch("partial-cache")
        let cache = directory.appendingPathComponent("cache")
        let specs = ScalingLawProtocol.quick(.fashionMNIST).specs(baseSeed: 1)  // depths 10…50, seeds 1–3
        let depth10 = try XCTUnwrap(specs.first { $0.architecture.depth == 10 && $0.seed == 1 })
        let depth20 = try XCTUnwrap(specs.first { $0.architecture.depth == 20 && $0.seed == 1 })
        let depth40 = try XCTUnwrap(specs.first { $0.architecture.depth == 40 && $0.seed == 2 })
        try prepare(cache, [(depth10, 2), (depth20, 3), (depth40, 5)])
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: cache.path))
        XCTAssertEqual(before.count, 3)
        var measured: [Double?] = []
        for jobs in ["1", "2"] {
            let run = try Self.run(["fig3", "--quick", "--cached-only", "--cache", "cache", "--out", "drawn-\(jobs)", "--jobs", jobs,
                                    "--targets", Self.targets], in: directory)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("(partial)"), run.stdout)
            let results = directory.appendingPathComponent("drawn-\(jobs)/results.json")
            XCTAssertNotNil(try Self.measurement(of: "fig3.fashionMNIST.slope.quick", in: results)?["partialBecause"] as? String, "marked partial")
            measured.append(try Self.measuredValue(of: "fig3.fashionMNIST.slope.quick", in: directory.appendingPathComponent("drawn-\(jobs)/results.json")))
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: cache.path)), before, "nothing trained, nothing written")
        // OLS slope of log l* on log L through (10, 2), (20, 3), (40, 5).
        let x = [10.0, 20, 40].map { log($0) }, y = [2.0, 3, 5].map { log($0) }
        let mx = x.reduce(0, +) / 3, my = y.reduce(0, +) / 3
        let slope = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        XCTAssertEqual(measured[0] ?? .nan, slope, accuracy: 1e-12)
        XCTAssertEqual(measured[1], measured[0], "--jobs does not change a number")
    }

    /// `--full --cached-only` with no `--out` writes figures/full/ with the paper protocol's runs,
    /// and `check` merges full/results.json into the gate: a failing full claim fails it, and
    /// the same directory without full/ passes. Catches: --full drawing the quick protocol,
    /// writing into figures/, or `check` ignoring full/results.json.
    func testFullResultsAreWrittenToFiguresFullAndMergedByCheck() throws {
        let directory = try scratch("full")
        let cache = directory.appendingPathComponent("cache")
        let specs = ScalingLawProtocol.paper(.fashionMNIST, seeds: ScalingLawProtocol.fullSeeds).specs(baseSeed: 1)
        let chosen = try [(10, 3), (30, 6), (90, 12)].map { depth, peak in
            (try XCTUnwrap(specs.first { $0.architecture.depth == depth && $0.seed == 1 }), peak)
        }
        try prepare(cache, chosen)
        let full = try Self.run(["fig3", "--full", "--cached-only", "--cache", "cache", "--targets", Self.targets], in: directory)
        XCTAssertEqual(full.status, 0, full.stderr)
        // Measured from exactly the three prepared paper-protocol records (a quick protocol would find none).
        let fullResults = directory.appendingPathComponent("figures/full/results.json")
        let x = [10.0, 30, 90].map { log($0) }, y = [3.0, 6, 12].map { log($0) }
        let mx = x.reduce(0, +) / 3, my = y.reduce(0, +) / 3
        let slope = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        XCTAssertEqual(try Self.measuredValue(of: "fig3.fashionMNIST.slope", in: fullResults) ?? .nan, slope, accuracy: 1e-12)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("figures/results.json").path))

        // figures/results.json: the shared quick theory results. The full slope claim made to fail:
        // check over figures/ must see it through full/results.json.
        _ = try shared()
        try FileManager.default.copyItem(at: out.appendingPathComponent("results.json"), to: directory.appendingPathComponent("figures/results.json"))
        let failing = try targetsVariant("fig3.fashionMNIST.slope") { claim in
            claim["target"] = 5.0
            claim["tolerance"] = 0.01
            claim.removeValue(forKey: "knownDeviation")
        }
        let merged = try Self.run(["check", "--out", "figures", "--targets", failing], in: directory)
        XCTAssertEqual(merged.status, 1, merged.stdout + merged.stderr)
        XCTAssertTrue(merged.stdout.contains("fig3.fashionMNIST.slope"), merged.stdout)
        let withoutFull = try scratch("without-full")
        try FileManager.default.copyItem(at: out.appendingPathComponent("results.json"), to: withoutFull.appendingPathComponent("results.json"))
        let alone = try Self.run(["check", "--out", withoutFull.lastPathComponent, "--targets", failing])
        XCTAssertEqual(alone.status, 0, "the quick results alone hold no full fig3 claim: " + alone.stdout)
    }
}
