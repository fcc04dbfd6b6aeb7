import Core
import Figures
import Foundation
import XCTest

/// `reproduce plan`, `run-spec` and `slurm` through the built binary, with a tiny spec.
final class ClusterCommandLineTests: XCTestCase {
    private var workspace: URL!
    typealias Running = IntegrityCommandLineTests.Running

    override func setUpWithError() throws {
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("reproduce-cluster-\(UUID())")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: workspace)
    }

    private func requireFashionMNIST() throws { try CommandLineSupport.requireFashionMNIST() }

    private func run(_ arguments: [String]) throws -> IntegrityCommandLineTests.Output {
        try Running(arguments, in: workspace).wait()
    }

    private func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        CommandLineSupport.waitUntil(timeout, poll: 0.02, condition)
    }

    /// A run of a few seconds: long enough to be signalled mid-run.
    private let tiny = RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 100, probePerClass: 2,
                               architecture: RunSpec.architecture(for: .fashionMNIST, width: 16, depth: 2),
                               optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 0), batchSize: 10,
                               stopping: .steps(4000), seed: 3)

    private func writePlan() throws -> String {
        let plan = RunPlan(figures: ["fig3"], options: ["--quick"], cache: "cache", costModel: .calibrated,
                           entries: [RunPlan.Entry(spec: tiny, figures: ["fig3"], expectedSeconds: 5, finished: false)])
        try plan.write(to: workspace.appendingPathComponent("plan.json"))
        return "plan.json"
    }

    private func record(in cache: String) throws -> RunRecord {
        let found = try RunCache(directory: workspace.appendingPathComponent(cache)).record(for: tiny)
        return try XCTUnwrap(found, "no record of the tiny run in \(cache)")
    }

    /// run-spec trains exactly the planned spec; two at once on one hash train once (the second
    /// waits for the first's lock and prints its record); SIGTERM mid-run checkpoints and exits 143,
    /// and a rerun that reads the spec from the checkpoint (no plan) resumes to a record identical to
    /// the uninterrupted one's. Catches: a task that trains twice, a lost checkpoint on SIGTERM, a
    /// resume that restarts or drifts, a spec read from the wrong place.
    func testRunSpecTrainsOnceAndResumesBitIdenticallyAfterSIGTERM() throws {
        try requireFashionMNIST()
        let plan = try writePlan()
        let hash = tiny.configurationHash

        let straight = try run(["run-spec", hash, "--cache", "straight", "--plan", plan, "--quiet"])
        XCTAssertEqual(straight.status, 0, straight.all)
        let reference = try record(in: "straight")
        XCTAssertEqual(reference.totalSteps, 4000)

        let first = try Running(["run-spec", hash, "--cache", "shared", "--plan", plan, "--quiet"], in: workspace)
        let lock = RunCache(directory: workspace.appendingPathComponent("shared")).lockURL(for: tiny)
        XCTAssertTrue(waitUntil(60) { FileManager.default.fileExists(atPath: lock.path) }, first.stderrSoFar)
        let second = try Running(["run-spec", hash, "--cache", "shared", "--plan", plan, "--quiet"], in: workspace)
        let outputs = [first.wait(), second.wait()]
        for output in outputs { XCTAssertEqual(output.status, 0, output.all) }
        XCTAssertTrue(outputs[1].stderr.contains("is being trained by process \(first.process.processIdentifier)"), outputs[1].stderr)
        XCTAssertEqual(outputs[0].stdout, outputs[1].stdout, "the second prints the first's record (same wall time: it did not train)")

        let terminated = try Running(["run-spec", hash, "--cache", "term", "--plan", plan, "--quiet"], in: workspace)
        let termLock = RunCache(directory: workspace.appendingPathComponent("term")).lockURL(for: tiny)
        XCTAssertTrue(waitUntil(60) { FileManager.default.fileExists(atPath: termLock.path) }, terminated.stderrSoFar)
        Thread.sleep(forTimeInterval: 1.0)
        kill(terminated.process.processIdentifier, SIGTERM)
        let stopped = terminated.wait()
        XCTAssertEqual(stopped.status, 143, stopped.all)
        let checkpoint = RunCache(directory: workspace.appendingPathComponent("term")).checkpointURL(for: tiny)
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.path), "SIGTERM leaves a checkpoint")
        XCTAssertNil(try RunCache(directory: workspace.appendingPathComponent("term")).record(for: tiny), "and no record")

        let resumed = try run(["run-spec", hash, "--cache", "term", "--quiet"])  // the spec from the checkpoint
        XCTAssertEqual(resumed.status, 0, resumed.all)
        let record = try record(in: "term")
        XCTAssertEqual(try CanonicalJSON.string(for: record.deterministicPart), try CanonicalJSON.string(for: reference.deterministicPart),
                       "the resumed record differs from the uninterrupted one beyond its wall-clock times")
    }

    /// Usage faults of run-spec: a hash that is no hash (64), a hash in neither plan nor cache (64/66).
    func testRunSpecNamesWhatIsMissing() throws {
        let bad = try run(["run-spec", "xyz", "--cache", "cache"])
        XCTAssertEqual(bad.status, 64, bad.all)
        let plan = try writePlan()
        let absentInPlan = try run(["run-spec", "0123456789abcdef", "--cache", "cache", "--plan", plan])
        XCTAssertEqual(absentInPlan.status, 64, absentInPlan.all)
        XCTAssertTrue(absentInPlan.stderr.contains("plan.json") && absentInPlan.stderr.contains("0123456789abcdef"), absentInPlan.stderr)
        let absentInCache = try run(["run-spec", "0123456789abcdef", "--cache", "cache"])
        XCTAssertEqual(absentInCache.status, 66, absentInCache.all)
        XCTAssertTrue(absentInCache.stderr.contains("--plan"), absentInCache.stderr)
    }

    /// plan lists fig3's runs with costs and cached state, and its JSON holds specs that hash to
    /// their entries; slurm writes the arrays, the final job and the submit script for them.
    func testPlanAndSlurmOnASmallFig3() throws {
        let planned = try run(["plan", "fig3", "--quick", "--depths", "10,20", "--seeds", "2", "--cache", "cache", "--json", "plan.json"])
        XCTAssertEqual(planned.status, 0, planned.all)
        XCTAssertTrue(planned.stdout.contains("4 runs, 0 finished"), planned.stdout)
        let plan = try RunPlan.load(from: workspace.appendingPathComponent("plan.json"))
        XCTAssertEqual(plan.entries.count, 4)
        XCTAssertEqual(Set(plan.entries.map(\.spec.architecture.depth)), [10, 20])
        XCTAssertEqual(Set(plan.entries.map(\.spec.seed)).count, 2)
        for entry in plan.entries { XCTAssertEqual(entry.spec.configurationHash, entry.hash) }
        XCTAssertEqual(plan.entries.first?.spec.architecture.depth, 20, "longest first")

        let slurm = try run(["slurm", "fig3", "--quick", "--depths", "10,20", "--seeds", "2", "--cache", "cache", "--scripts", "jobs",
                             "--partition", "debug"])
        XCTAssertEqual(slurm.status, 0, slurm.all)
        let names = try FileManager.default.contentsOfDirectory(atPath: workspace.appendingPathComponent("jobs").path)
        XCTAssertTrue(names.contains("figures.sbatch") && names.contains("submit.sh") && names.contains("plan.json"), "\(names)")
        let arrays = names.filter { $0.hasPrefix("runs-") && $0.hasSuffix(".sbatch") }
        XCTAssertFalse(arrays.isEmpty, "\(names)")
        var hashes: [String] = []
        for name in arrays {
            let text = try String(contentsOf: workspace.appendingPathComponent("jobs/" + name), encoding: .utf8)
            XCTAssertTrue(text.contains("#SBATCH --partition=debug"), text)
            let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("HASHES=(") })
            hashes += line.dropFirst("HASHES=(".count).dropLast().split(separator: " ").map(String.init)
        }
        XCTAssertEqual(Set(hashes), Set(plan.entries.map(\.hash)), "one task per unfinished run")
        XCTAssertTrue(slurm.stdout.contains("submit with: bash"), slurm.stdout)
    }
}
