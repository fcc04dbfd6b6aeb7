import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce factors`: the factor table of docs/factor-table.md, from finished records.
struct FactorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "factors",
        abstract: "Print the scaling-law factor table (paper protocol → authors' code, one factor at a time) from cached records.",
        discussion: """
            Each row is the quick Fig 3 protocol with one setting moved to what the authors' public
            code does (docs/authors-protocol.md), then all of them together; every row uses seeds
            1-3, so the rows are paired. Nothing is trained: train the rows first with
            'reproduce fig3 --quick --candidate factor-<name> --cache DIR' (names in
            docs/factor-table.md) and 'reproduce fig3 --quick --protocol authors --cache DIR'.
            """
    )

    @Option(name: .customLong("cache"), parsing: .singleValue, help: ArgumentHelp(
        "A cache directory to read records from (repeatable; the first that holds a record wins).", valueName: "dir"))
    var caches: [String] = ["runs/factors", "runs/authors-quick"]

    @Option(name: .long, help: ArgumentHelp("Also write the table to this Markdown file.", valueName: "file"))
    var markdown: String?

    func run() throws {
        do {
            let table = try ScalingLawFactorTable(caches: caches.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL })
            print(table.markdown)
            if let markdown {
                try AtomicFile.write(Data((table.markdown + "\n").utf8), to: URL(fileURLWithPath: markdown).standardizedFileURL)
            }
        } catch {
            throw Failure.exit(for: error)
        }
    }
}
