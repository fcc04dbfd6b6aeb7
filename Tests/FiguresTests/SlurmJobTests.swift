import Core
@testable import Figures
import XCTest

/// The text of the Slurm scripts: arrays, order, time limits, signals, dependency.
final class SlurmJobTests: XCTestCase {
    private func spec(depth: Int, seed: UInt64) -> RunSpec {
        RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 10, probePerClass: 2,
                architecture: RunSpec.architecture(for: .fashionMNIST, width: 8, depth: depth),
                optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 0), batchSize: 10, stopping: .steps(10), seed: seed)
    }

    /// Five runs: expected 20 min, 15 min, 5 min, 1 min and a finished 2 h one.
    private func job() -> SlurmJob {
        let entries = [
            RunPlan.Entry(spec: spec(depth: 2, seed: 1), figures: ["fig3"], expectedSeconds: 60, finished: false),
            RunPlan.Entry(spec: spec(depth: 3, seed: 1), figures: ["fig3"], expectedSeconds: 1200, finished: false),
            RunPlan.Entry(spec: spec(depth: 4, seed: 1), figures: ["fig3"], expectedSeconds: 300, finished: false),
            RunPlan.Entry(spec: spec(depth: 5, seed: 1), figures: ["fig3"], expectedSeconds: 900, finished: false),
            RunPlan.Entry(spec: spec(depth: 6, seed: 1), figures: ["fig3"], expectedSeconds: 7200, finished: true),
        ]
        let plan = RunPlan(figures: ["fig3"], options: ["--quick", "--seeds", "2"], cache: "/shared/cache", costModel: .calibrated, entries: entries)
        var job = SlurmJob(plan: plan, planPath: "/shared/jobs/plan.json", binary: "/opt/reproduce", cache: "/shared/cache",
                           workingDirectory: "/home/me/repro", scriptDirectory: "/shared/jobs")
        job.partition = "cpu"
        job.cpusPerTask = 2
        return job
    }

    func testTimeLimitsAreTheCostTimesTheSafetyFactorRoundedUpToASlurmStep() {
        let job = job()  // factor 3, SIGTERM 120 s before
        XCTAssertEqual(job.timeLimitMinutes(forExpectedSeconds: 60), 10)     // 3 min + 2 min → 10
        XCTAssertEqual(job.timeLimitMinutes(forExpectedSeconds: 300), 30)    // 15 + 2 → 30
        XCTAssertEqual(job.timeLimitMinutes(forExpectedSeconds: 900), 60)    // 45 + 2 → 60
        XCTAssertEqual(job.timeLimitMinutes(forExpectedSeconds: 1200), 120)  // 60 + 2 → 120
        XCTAssertEqual(job.timeLimitMinutes(forExpectedSeconds: 1e7), 2880, "beyond the last step: the last, resumed over requeues")
        XCTAssertEqual(SlurmJob.slurmTime(minutes: 2880), "2-00:00:00")
        XCTAssertEqual(SlurmJob.slurmTime(minutes: 90), "0-01:30:00")
    }

    func testOneTaskPerUnfinishedRunLongestFirstInArraysByTimeLimit() {
        let job = job()
        let arrays = job.arrays
        XCTAssertEqual(arrays.map(\.minutes), [120, 60, 30, 10], "longest limit first")
        XCTAssertEqual(arrays.flatMap(\.hashes), [3, 5, 4, 2].map { spec(depth: $0, seed: 1).configurationHash },
                       "unfinished runs only, longest first")
        let first = job.script(for: arrays[0])
        XCTAssertTrue(first.hasPrefix("#!/bin/bash\n"))
        for line in ["#SBATCH --array=0-0", "#SBATCH --time=0-02:00:00", "#SBATCH --requeue", "#SBATCH --signal=B:TERM@120",
                     "#SBATCH --cpus-per-task=2", "#SBATCH --partition=cpu", "#SBATCH --chdir=/home/me/repro",
                     "HASHES=(\(spec(depth: 3, seed: 1).configurationHash))",
                     "/opt/reproduce run-spec \"$HASH\" --cache /shared/cache --plan /shared/jobs/plan.json &",
                     "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""] {
            XCTAssertTrue(first.split(separator: "\n").contains(Substring(line)), "missing line '\(line)' in\n\(first)")
        }
    }

    func testTasksGetTheDataDirectory() {
        var job = job()
        job.dataDirectory = "/shared/data sets"
        XCTAssertTrue(job.script(for: job.arrays[0]).contains(" run-spec \"$HASH\" --cache /shared/cache --plan /shared/jobs/plan.json --data-dir '/shared/data sets' &"))
    }

    func testTheFinalJobDependsOnEveryArrayAndDrawsFromTheCache() {
        let job = job()
        XCTAssertEqual(job.finalCommand, ["/opt/reproduce", "fig3", "--quick", "--seeds", "2", "--cached-only", "--cache", "/shared/cache"])
        XCTAssertTrue(job.finalScript.contains("\n/opt/reproduce fig3 --quick --seeds 2 --cached-only --cache /shared/cache\n"), job.finalScript)
        let submit = job.submitScript
        let arrayLines = submit.split(separator: "\n").filter { $0.contains("sbatch --parsable runs-") }
        XCTAssertEqual(arrayLines.count, 4, submit)
        XCTAssertTrue(arrayLines[0].contains("runs-1-120min.sbatch"), submit)
        XCTAssertTrue(submit.contains("sbatch --parsable --dependency=afterany:$(IFS=:; echo \"${jobs[*]}\") figures.sbatch"), submit)
        XCTAssertEqual(job.files.map(\.name), ["runs-1-120min.sbatch", "runs-2-60min.sbatch", "runs-3-30min.sbatch", "runs-4-10min.sbatch",
                                               "figures.sbatch", "submit.sh"])
    }

    func testNothingToTrainSubmitsOnlyTheFigures() {
        var job = job()
        job.plan.entries = job.plan.entries.map { var entry = $0; entry.finished = true; return entry }
        XCTAssertTrue(job.arrays.isEmpty)
        XCTAssertTrue(job.submitScript.contains("final=$(sbatch --parsable figures.sbatch"), job.submitScript)
    }

    func testWordsAreQuotedForBash() {
        XCTAssertEqual(SlurmJob.quoted("/a/b-c_d.json"), "/a/b-c_d.json")
        XCTAssertEqual(SlurmJob.quoted("my dir/it's"), "'my dir/it'\\''s'")
        XCTAssertEqual(SlurmJob.quoted(""), "''")
    }

    /// The planning seam: a figure's content under `plannedRuns` lists its specs and trains nothing.
    func testPlannerListsAFiguresSpecsWithoutTraining() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: cache) }
        var context = FigureContext(profile: .quick, seed: 1, outputDirectory: cache, cacheDirectory: cache, dataDirectory: nil, jobs: 1,
                                    seedsPerDepth: 2, depths: [10, 20], log: { _ in })
        context.protocolFamily = .paper
        let plan = RunPlanner.plan([Fig3Figure()], in: context, options: ["--quick"])
        XCTAssertEqual(plan.entries.count, 4)
        XCTAssertTrue(plan.entries.allSatisfy { !$0.finished && $0.figures == ["fig3"] && $0.expectedSeconds > 0 })
        XCTAssertEqual(plan.entries.map(\.expectedSeconds), plan.entries.map(\.expectedSeconds).sorted(by: >))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.path), "planning writes nothing")

        // Figures that train nothing are not evaluated at all (Theorem A's checks took 20 s under --full).
        struct Computing: FigureSpec {
            var id = "thmA", title = "t", paperReference = "r"
            var datasets: [DatasetName] = []
            var trainsRuns: Bool { false }
            func content(in context: FigureContext) throws -> FigureContent {
                XCTFail("planning evaluated a figure that trains no run")
                throw CocoaError(.featureUnsupported)
            }
        }
        XCTAssertTrue(RunPlanner.plan([Computing()], in: context, options: []).entries.isEmpty)
        XCTAssertFalse(TheoryFigure().trainsRuns)
        XCTAssertFalse(TheoremAFigure().trainsRuns)
        XCTAssertTrue(Fig3Figure().trainsRuns)
    }
}
