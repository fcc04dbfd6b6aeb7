import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce run-spec HASH`: trains exactly one planned run (a cluster task).
struct RunSpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-spec",
        abstract: "Train exactly one run, named by its configuration hash (one task of 'reproduce slurm').",
        discussion: HelpText.reflow("""
            The specification is read from --plan (written by 'reproduce plan --json'), else from the
            run's record or checkpoint in --cache. A run another process is training (its lock in
            the cache) is not trained twice: this one waits and reads the record. SIGTERM or Ctrl-C
            write a checkpoint and exit 143 or 130; the same command resumes from it, and the
            record is the one an uninterrupted run writes.
            """)
    )

    @Argument(help: ArgumentHelp("The run's configuration hash (16 hexadecimal digits, as 'reproduce plan' lists).", valueName: "hash"))
    var hash: String

    @Option(help: ArgumentHelp("The shared cache directory for run records and checkpoints.", valueName: "dir"))
    var cache: String

    @Option(help: ArgumentHelp("The plan file of 'reproduce plan --json' holding the run's specification.", valueName: "file"))
    var plan: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Directory with the datasets in their standard formats.", valueName: "dir"))
    var dataDir: String?

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard hash.count == 16, hash.allSatisfy(\.isHexDigit) else {
            throw ValidationError("'\(hash)' is not a configuration hash (16 hexadecimal digits); 'reproduce plan' lists them.")
        }
    }

    func run() throws {
        let cacheDirectory = URL(fileURLWithPath: cache, isDirectory: true).standardizedFileURL
        do {
            let spec = try findSpec(cacheDirectory)
            var runner = Runner(cache: RunCache(directory: cacheDirectory),
                                dataDirectory: dataDir.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL },
                                progress: TerminalProgressBar(style: quiet ? .silent : .automatic))
            Interruption.install()
            runner.stopRequested = { _ in Interruption.isRequested }
            runner.notice = { printError($0) }
            if let error = DatasetLocator.partialCopyError(of: spec.dataset, dataDirectory: runner.dataDirectory) { throw error }
            try AtomicFile.ensureWritableDirectory(cacheDirectory)
            let (record, _) = try runner.runChecked(spec)
            for line in TrainCommand.summary(of: record, recordPath: runner.cache.recordURL(for: spec).relativePathFromCurrentDirectory) {
                print(line)
            }
        } catch {
            throw Failure.exit(for: error)
        }
    }

    private func findSpec(_ cacheDirectory: URL) throws -> RunSpec {
        if let plan {
            let url = URL(fileURLWithPath: plan).standardizedFileURL
            guard let entry = try RunPlan.load(from: url).entry(hash) else {
                throw UsageError(description: "the plan '\(plan)' has no run \(hash); 'reproduce plan … --json \(plan)' lists its runs.")
            }
            guard entry.spec.configurationHash == hash else {
                throw FileError.corrupt(path: url.path, reason: "its run \(hash) has a specification of hash \(entry.spec.configurationHash) (the file was edited)")
            }
            return entry.spec
        }
        guard let spec = try RunCache(directory: cacheDirectory).storedSpec(hash: hash) else {
            throw FileError.unreadable(path: cacheDirectory.appendingPathComponent(hash + ".json").path,
                                       reason: "the cache holds neither a record nor a checkpoint of run \(hash); give its plan with --plan FILE")
        }
        return spec
    }
}
