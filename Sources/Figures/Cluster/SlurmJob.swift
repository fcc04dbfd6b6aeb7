import Core
import Foundation

/// The Slurm submission of a ``RunPlan``: job arrays of `reproduce run-spec` tasks, one task per
/// unfinished run, and a final job, dependent on them all, that draws the figures and the report
/// from the shared cache (`reproduce <ids…> --cached-only`).
///
/// A Slurm array has one time limit, so the runs are grouped by their limit (the cost model's
/// seconds × ``safetyFactor``, rounded up to one of ``timeLimitSteps``): one array per group,
/// the longest group first and, inside a group, the longest run first. Each task is `--requeue`d
/// and asks for SIGTERM ``signalLeadSeconds`` before its limit (`--signal=B:TERM@…`): the task
/// forwards it to `reproduce run-spec`, which writes a checkpoint and exits 143, and then requeues
/// itself (`scontrol requeue`) so that the run resumes from the checkpoint. A preempted task is
/// requeued by Slurm. Two tasks that get the same run train it once (its lock in the cache).
public struct SlurmJob: Sendable {
    /// The plan (its unfinished entries are submitted).
    public var plan: RunPlan
    /// Where the plan file lies (tasks read their spec from it), absolute.
    public var planPath: String
    /// The `reproduce` binary, absolute (it must be reachable from the compute nodes).
    public var binary: String
    /// The shared cache directory, absolute.
    public var cache: String
    /// The working directory of every job (`paper-targets.json` is read from there), absolute.
    public var workingDirectory: String
    /// Where the scripts and the jobs' logs go, absolute.
    public var scriptDirectory: String
    /// `--out` of the final job (nil: the default of the profile).
    public var outputDirectory: String?
    /// `--data-dir` of the training tasks, if any (the final job has it in the plan's options).
    public var dataDirectory: String?
    /// `--partition`, if any.
    public var partition: String?
    /// `--cpus-per-task` of the training tasks (a run uses one BLAS thread; more cores help only
    /// when the cluster's policy gives them anyway).
    public var cpusPerTask: Int = 1
    /// The cost model's seconds are multiplied by this for the time limit.
    public var safetyFactor: Double = 3
    /// SIGTERM this many seconds before the time limit.
    public var signalLeadSeconds: Int = 120
    /// The allowed time limits in minutes; a run's limit is the smallest one that covers it (the
    /// last one when none does: the run then resumes over several requeues).
    public var timeLimitSteps: [Int] = [10, 30, 60, 120, 240, 480, 720, 1440, 2880]
    /// Extra `#SBATCH` lines (e.g. "--account=abc").
    public var extraDirectives: [String] = []

    public init(plan: RunPlan, planPath: String, binary: String, cache: String, workingDirectory: String, scriptDirectory: String) {
        self.plan = plan
        self.planPath = planPath
        self.binary = binary
        self.cache = cache
        self.workingDirectory = workingDirectory
        self.scriptDirectory = scriptDirectory
    }

    /// One job array: the runs sharing a time limit, longest first.
    public struct TaskArray: Equatable, Sendable {
        /// Time limit of each task, in minutes.
        public var minutes: Int
        /// The runs, in task order (task i runs hashes[i]).
        public var hashes: [String]
        /// File name of its script.
        public var scriptName: String
    }

    /// The time limit of a run expected to take `seconds`, in minutes (see ``timeLimitSteps``).
    public func timeLimitMinutes(forExpectedSeconds seconds: Double) -> Int {
        let needed = (seconds * safetyFactor + Double(signalLeadSeconds)) / 60
        return timeLimitSteps.first { Double($0) >= needed } ?? timeLimitSteps.last ?? 60
    }

    /// The arrays of the unfinished runs, longest limit first.
    public var arrays: [TaskArray] {
        let grouped = Dictionary(grouping: plan.unfinished) { timeLimitMinutes(forExpectedSeconds: $0.expectedSeconds) }
        return grouped.keys.sorted(by: >).enumerated().map { index, minutes in
            TaskArray(minutes: minutes, hashes: grouped[minutes]!.map(\.hash), scriptName: "runs-\(index + 1)-\(minutes)min.sbatch")
        }
    }

    /// Slurm's time format D-HH:MM:SS.
    public static func slurmTime(minutes: Int) -> String {
        String(format: "%d-%02d:%02d:00", minutes / 1440, (minutes % 1440) / 60, minutes % 60)
    }

    /// A word quoted for bash (single quotes).
    public static func quoted(_ word: String) -> String {
        word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,@+".contains($0) }) && !word.isEmpty
            ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private var jobPrefix: String { "reproduce-" + plan.figures.joined(separator: "-") }

    private func header(name: String, minutes: Int, cpus: Int) -> [String] {
        var lines = ["#!/bin/bash",
                     "#SBATCH --job-name=\(Self.quoted(name))",
                     "#SBATCH --chdir=\(Self.quoted(workingDirectory))",
                     "#SBATCH --cpus-per-task=\(cpus)",
                     "#SBATCH --ntasks=1",
                     "#SBATCH --time=\(Self.slurmTime(minutes: minutes))"]
        if let partition { lines.append("#SBATCH --partition=\(Self.quoted(partition))") }
        lines += extraDirectives.map { "#SBATCH \($0)" }
        return lines
    }

    /// The script of one array.
    public func script(for array: TaskArray) -> String {
        var lines = header(name: jobPrefix + "-runs", minutes: array.minutes, cpus: cpusPerTask)
        lines += ["#SBATCH --array=0-\(array.hashes.count - 1)",
                  "#SBATCH --requeue",
                  "#SBATCH --signal=B:TERM@\(signalLeadSeconds)",
                  "#SBATCH --output=\(Self.quoted(scriptDirectory))/logs/%x-%A_%a.out",
                  "#",
                  "# One run per task, longest first: reproduce run-spec HASH (the spec is read from the plan).",
                  "# SIGTERM (before the time limit, or on preemption) makes it checkpoint and exit 143;",
                  "# the task then requeues itself and the run resumes from its checkpoint.",
                  "set -u",
                  "HASHES=(\(array.hashes.joined(separator: " ")))",
                  "HASH=${HASHES[$SLURM_ARRAY_TASK_ID]}",
                  "\(Self.quoted(binary)) run-spec \"$HASH\" --cache \(Self.quoted(cache)) --plan \(Self.quoted(planPath))"
                    + (dataDirectory.map { " --data-dir " + Self.quoted($0) } ?? "") + " &",
                  "child=$!",
                  "trap 'kill -TERM \"$child\" 2>/dev/null' TERM",
                  "wait \"$child\"; status=$?",
                  "while kill -0 \"$child\" 2>/dev/null; do wait \"$child\"; status=$?; done",
                  "if [ \"$status\" -eq 143 ]; then",
                  "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"",
                  "fi",
                  "exit \"$status\""]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The command line of the final job: the figures from the cache, then the report.
    public var finalCommand: [String] {
        var words = [binary] + plan.figures + plan.options + ["--cached-only", "--cache", cache]
        if let outputDirectory { words += ["--out", outputDirectory] }
        return words
    }

    /// The final job's script (figures and report from the cache, no training).
    public var finalScript: String {
        var lines = header(name: jobPrefix + "-figures", minutes: 30, cpus: 1)
        lines += ["#SBATCH --output=\(Self.quoted(scriptDirectory))/logs/%x-%j.out",
                  "#",
                  "# After every run task: draw the figures and the report from the shared cache (trains nothing).",
                  finalCommand.map(Self.quoted).joined(separator: " ")]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A bash script that submits the arrays and then the final job with `--dependency=afterany:…`
    /// on all of them (afterany: a run that failed for good is named in the figures' notes).
    public var submitScript: String {
        var lines = ["#!/bin/bash", "set -euo pipefail", "cd \(Self.quoted(scriptDirectory))", "mkdir -p logs", "jobs=()"]
        for array in arrays {
            lines.append("jobs+=(\"$(sbatch --parsable \(array.scriptName) | cut -d';' -f1)\")")
        }
        let dependency = arrays.isEmpty ? "" : "--dependency=afterany:$(IFS=:; echo \"${jobs[*]}\") "
        lines.append("final=$(sbatch --parsable \(dependency)figures.sbatch | cut -d';' -f1)")
        lines.append("echo \"runs: ${jobs[*]:-none}  figures: $final\"")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The files to write, by name in ``scriptDirectory``.
    public var files: [(name: String, text: String)] {
        arrays.map { ($0.scriptName, script(for: $0)) } + [("figures.sbatch", finalScript), ("submit.sh", submitScript)]
    }
}
