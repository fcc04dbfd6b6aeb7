import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce factors`: the factor table of docs/factor-table.md, from finished records.
struct FactorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "factors",
        abstract: "Print the scaling-law factor table (paper protocol → authors' code, one factor at a time) from cached records.",
        discussion: HelpText.reflow("""
            Each row is the quick Fig 3 protocol with one setting moved to what the authors' public
            code does (docs/authors-protocol.md), then all of them together; every row uses seeds
            1-3, so the rows are paired. Nothing is trained (except replays with --train-replays): train the rows first with
            'reproduce fig3 --quick --candidate factor-<name> --cache DIR' (names in
            docs/factor-table.md) and 'reproduce fig3 --quick --protocol authors --cache DIR'.
            """)
    )

    @Option(name: .customLong("cache"), parsing: .singleValue, help: ArgumentHelp(
        "A cache directory to read records from (repeatable; the first that holds a record wins).", valueName: "dir"))
    var caches: [String] = ["runs/factors", "runs/authors-quick"]

    @Option(name: .long, help: ArgumentHelp("Also write the table to this Markdown file.", valueName: "file"))
    var markdown: String?

    @Option(name: .long, help: ArgumentHelp(
        "Also measure how stable l* is over the last N epochs before each run's l* snapshot.",
        discussion: "Each run is replayed up to that snapshot with A_l measured at the end of each of its last N epochs (the replay trains the same network). Replays are read from the caches; with --train-replays the missing ones are trained into the first --cache.",
        valueName: "N"))
    var stability: Int?

    @Flag(name: .customLong("train-replays"), help: "Train the replays that --stability needs and the caches lack.")
    var trainReplays = false

    @Option(name: .long, help: ArgumentHelp("Replays to train at once with --train-replays.", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if let stability, stability < 1 { throw ValidationError("--stability must be at least 1 epoch, got \(stability).") }
        if trainReplays && stability == nil { throw ValidationError("--train-replays needs --stability N.") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs).") }
    }

    func run() throws {
        do {
            let directories = caches.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL }
            let scheduler = RunScheduler(cacheDirectory: directories[0], dataDirectory: nil, jobs: jobs)
            let table = try ScalingLawFactorTable(caches: directories, stabilityWindow: stability,
                                                  trainReplays: trainReplays ? { scheduler.run($0) } : nil)
            print(table.markdown)
            if let markdown {
                try AtomicFile.write(Data((table.markdown + "\n").utf8), to: URL(fileURLWithPath: markdown).standardizedFileURL)
            }
        } catch {
            throw Failure.exit(for: error)
        }
    }
}
