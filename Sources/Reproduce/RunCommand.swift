import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce <id>...`: produces figures, stores results, rewrites the report.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Produce figures by id (the default command: 'reproduce theory' is 'reproduce run theory').",
        discussion: HelpText.reflow("""
            Ids are those of 'reproduce list' (theory, fig1 … fig23, table1 … table4, thmA), or 'all'
            for every implemented figure. Each figure writes <id>.png and <id>.pdf, merges its
            measurements into results.json, and the report is rebuilt at the end. With several
            figures and --jobs above 1, the runs they need are trained first as one batch, longest
            expected first, so that no worker waits at the end of a figure; the figures are then
            drawn from the cache (the numbers do not depend on the order or on --jobs).
            """)
    )

    @Argument(help: ArgumentHelp("Figure ids, or 'all'.", valueName: "id"))
    var ids: [String] = []

    @OptionGroup var options: RunOptions

    func validate() throws {
        guard !ids.isEmpty else {
            throw ValidationError("name at least one figure id (e.g. 'reproduce theory'), or 'all'; 'reproduce list' shows the ids.")
        }
        for id in ids where id.lowercased() != "all" {
            guard let entry = FigureCatalog.entry(id) else {
                throw ValidationError("unknown figure id '\(id)'; 'reproduce list' shows the ids.")
            }
            guard entry.isImplemented else {
                throw ValidationError("'\(entry.id)' (\(entry.title)) is not implemented yet; 'reproduce list' shows what is.")
            }
        }
    }

    func run() throws {
        do {
            try produce()
        } catch {
            throw Failure.exit(for: error)
        }
    }

    private func produce() throws {
        let entries: [CatalogEntry]
        if ids.contains(where: { $0.lowercased() == "all" }) {
            entries = FigureCatalog.implemented
        } else {
            var seen = Set<String>()
            entries = ids.compactMap(FigureCatalog.entry).filter { seen.insert($0.id).inserted }
        }
        let targets = try TargetsFile.load(from: options.targetsURL)
        for dataset in Set(entries.compactMap(\.spec).flatMap(\.datasets)).sorted(by: { $0.rawValue < $1.rawValue }) {
            if let error = DatasetLocator.partialCopyError(of: dataset, dataDirectory: options.dataDirectory) { throw error }
        }
        let output = options.outputDirectory
        try AtomicFile.ensureWritableDirectory(output)
        if !options.cachedOnly {  // --cached-only only reads the cache, which may be read-only
            try AtomicFile.ensureWritableDirectory(options.cacheDirectory)
        }
        let resultsURL = output.appendingPathComponent("results.json")
        _ = try ResultsFile.load(from: resultsURL)  // a damaged file is reported before any work

        var context = FigureContext(
            profile: options.profile, seed: options.seed, outputDirectory: output,
            cacheDirectory: options.cacheDirectory, dataDirectory: options.dataDirectory,
            jobs: options.jobs, seedsPerDepth: options.seeds,
            depths: options.depthList, calibrationCandidate: options.candidate, cachedOnly: options.cachedOnly,
            protocolOptions: options.protocolOptionsText, log: { printError($0) })
        context.protocolFamily = options.protocolFamily
        try SharedRunBatch.trainAhead(entries.compactMap(\.spec), in: context)
        var produced: [FigureResult] = []
        for entry in entries {
            guard let spec = entry.spec else { continue }
            let started = Date()
            printError("[\(spec.id)] \(spec.title) (--\(options.profile.rawValue))")
            context.integrity = RunIntegrityLog()
            var result = try spec.produce(in: context)
            if let refused = context.integrity.refused.first {
                // A result drawn without a refused record would look complete: it is not stored.
                for other in context.integrity.refused.dropFirst() { printError("error: \(other)") }
                printError("[\(spec.id)] not stored: a run record it needs was refused")
                throw refused
            }
            let unchecked = context.integrity.unchecked
            if !unchecked.isEmpty {
                result.provenance.uncheckedRecords = unchecked.map { "\($0.hash) (\($0.label)): \($0.reason)" }
                let note = "\(unchecked.count) run record(s) could not be checked against their dataset files and are used unverified: "
                    + (Set(unchecked.map(\.reason)).sorted().joined(separator: "; ")) + "."
                result.notes.append(note)
                printError("[\(spec.id)] note: " + note)
            }
            try ResultsFile.merge(result, into: resultsURL)  // after each figure, so finished work is never lost
            produced.append(result)
            printError("[\(spec.id)] done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s: \(result.images.map { output.appendingPathComponent($0).relativePathFromCurrentDirectory }.joined(separator: ", "))")
        }
        for defect in ClaimEvaluator.defects(targets: targets, results: produced) {
            printError("warning: \(defect) (the gate fails on it)")
        }
        let reports = try ResultsFile.withLock(on: resultsURL) { try ReportWriter(directory: output, targets: targets).write() }
        let claims = ClaimEvaluator.evaluate(targets: targets, results: produced)
            .filter { claim in produced.contains { $0.id == claim.claim.figure && $0.protocolFamily == claim.claim.protocolFamily } }
        print(ClaimTable.render(claims))
        print("results: \(resultsURL.relativePathFromCurrentDirectory)")
        print("report:  \(reports.map(\.relativePathFromCurrentDirectory).joined(separator: ", "))")
    }
}

extension URL {
    /// The path relative to the current directory when inside it, else absolute.
    var relativePathFromCurrentDirectory: String {
        let current = FileManager.default.currentDirectoryPath
        let path = standardizedFileURL.path
        return path.hasPrefix(current + "/") ? String(path.dropFirst(current.count + 1)) : path
    }
}
