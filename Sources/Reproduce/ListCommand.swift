import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce list`: what exists, what runs, and which data are present.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every figure and table of the paper, whether it is implemented, and whether its datasets are present."
    )

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Where MNIST, KMNIST and CIFAR are looked for.", valueName: "dir"))
    var dataDir: String?

    func run() throws {
        let dataDirectory = dataDir.map { URL(fileURLWithPath: $0, isDirectory: true) }
        var availability: [DatasetName: DatasetAvailability] = [:]
        for name in DatasetName.allCases { availability[name] = DatasetLocator.availability(of: name, dataDirectory: dataDirectory) }
        let rows = FigureCatalog.entries.map { entry -> [String] in
            let data = entry.datasets.isEmpty ? "none" : entry.datasets.map { name in
                "\(name.rawValue) \(availability[name]?.isPresent == true ? "✓" : "✗")"
            }.joined(separator: ", ")
            let status = entry.isImplemented ? "implemented" : "not yet" + (entry.requirement.map { " (needs \($0))" } ?? "")
            return [entry.id, status, data, entry.title]
        }
        let header = ["id", "status", "datasets (✓ present, ✗ missing)", "what"]
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.offset == cells.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        print(line(header))
        rows.forEach { print(line($0)) }
        print("\nDatasets:")
        for name in DatasetName.allCases {
            print("  \(name.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(availability[name]!)")
        }
    }
}
