import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce slurm <id>...`: the figures' unfinished runs as Slurm job arrays on a shared cache.
struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write (or --submit) Slurm job arrays that train the figures' unfinished runs on a shared --cache, then draw the figures.",
        discussion: HelpText.reflow("""
            Writes to --scripts DIR: plan.json (every run with its specification), one job array per
            time limit (one task per unfinished run, longest first, 'reproduce run-spec HASH'; the
            limit is the cost model's time × --safety-factor), figures.sbatch (runs
            'reproduce <ids…> --cached-only' after every task, afterany) and submit.sh, which
            submits them all. Tasks are --requeue'd and get SIGTERM 120 s before their limit: the
            run checkpoints, exits 143 and requeues itself to resume. --cache and the binary must
            be on a file system every node sees (see docs/cluster.md).
            """)
    )

    @Argument(help: ArgumentHelp("Figure ids, or 'all'.", valueName: "id"))
    var ids: [String] = []

    @OptionGroup var options: RunOptions

    @Option(help: ArgumentHelp("Directory for the plan, the job scripts and the jobs' logs.", discussion: "Default: <cache>/slurm.", valueName: "dir"))
    var scripts: String?

    @Option(help: ArgumentHelp("The Slurm partition of every job.", valueName: "name"))
    var partition: String?

    @Option(name: .customLong("cpus-per-task"), parsing: .unconditional, help: ArgumentHelp("--cpus-per-task of each training task (a run uses one BLAS thread).", valueName: "n"))
    var cpusPerTask: Int = 1

    @Option(name: .customLong("safety-factor"), parsing: .unconditional, help: ArgumentHelp("Time limit = the cost model's time × this (a run past its limit checkpoints and requeues).", valueName: "x"))
    var safetyFactor: Double = 3

    @Option(name: .customLong("sbatch-option"), help: ArgumentHelp("An extra #SBATCH option for every job, e.g. '--account=abc' (repeatable).", valueName: "option"))
    var sbatchOptions: [String] = []

    @Flag(help: "Submit with sbatch (runs the written submit.sh) instead of printing the command.")
    var submit = false

    func validate() throws {
        guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task must be at least 1, got \(cpusPerTask).") }
        guard safetyFactor >= 1 else { throw ValidationError("--safety-factor must be at least 1, got \(safetyFactor).") }
        if options.cachedOnly { throw ValidationError("--cached-only trains nothing; 'reproduce slurm' writes jobs that train.") }
    }

    func run() throws {
        do {
            let plan = try FigureSelection.plan(ids, options: options, model: .calibrated)
            let directory = URL(fileURLWithPath: scripts ?? options.cacheDirectory.appendingPathComponent("slurm").path, isDirectory: true).standardizedFileURL
            try AtomicFile.ensureWritableDirectory(directory)
            try AtomicFile.ensureWritableDirectory(directory.appendingPathComponent("logs"))
            try AtomicFile.ensureWritableDirectory(options.cacheDirectory)
            let planURL = directory.appendingPathComponent("plan.json")
            try plan.write(to: planURL)
            var job = SlurmJob(plan: plan, planPath: planURL.path, binary: Self.binaryPath, cache: options.cacheDirectory.path,
                               workingDirectory: FileManager.default.currentDirectoryPath, scriptDirectory: directory.path)
            job.outputDirectory = options.out.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            job.partition = partition
            job.dataDirectory = options.dataDirectory?.path
            job.cpusPerTask = cpusPerTask
            job.safetyFactor = safetyFactor
            job.extraDirectives = sbatchOptions
            for file in job.files {
                let url = directory.appendingPathComponent(file.name)
                try AtomicFile.write(file.text, to: url)
                if file.name.hasSuffix(".sh") { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
            }
            for line in PlanCommand.table(plan) { print(line) }
            for array in job.arrays {
                print("\(directory.appendingPathComponent(array.scriptName).relativePathFromCurrentDirectory): \(array.hashes.count) task(s), --time \(SlurmJob.slurmTime(minutes: array.minutes))")
            }
            print("\(directory.appendingPathComponent("figures.sbatch").relativePathFromCurrentDirectory): \(job.finalCommand.map(SlurmJob.quoted).joined(separator: " "))")
            let submitScript = directory.appendingPathComponent("submit.sh").path
            if submit {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/bash")
                process.arguments = [submitScript]
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    throw SubmitError(description: "sbatch failed (\(submitScript) exited \(process.terminationStatus)); the scripts are in \(directory.path)")
                }
            } else {
                print("submit with: bash \(SlurmJob.quoted(submitScript))")
            }
        } catch {
            throw Failure.exit(for: error)
        }
    }

    /// The running binary, absolute (the jobs call it).
    static var binaryPath: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}

/// `sbatch` could not submit the jobs.
struct SubmitError: Error, CustomStringConvertible {
    let description: String
}
