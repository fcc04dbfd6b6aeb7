import ArgumentParser
import Core
import Figures
import Foundation

/// What `plan`, `slurm` and `run` share: figure ids resolved to their specs, and the context and
/// options words of an invocation.
enum FigureSelection {
    /// The implemented figures named by `ids` ('all': every one), each once, in the order given.
    /// - Throws: ``UsageError`` naming an unknown or unimplemented id.
    static func figures(_ ids: [String]) throws -> [any FigureSpec] {
        guard !ids.isEmpty else { throw UsageError(description: "name at least one figure id (e.g. 'fig3'), or 'all'; 'reproduce list' shows the ids.") }
        if ids.contains(where: { $0.lowercased() == "all" }) { return FigureCatalog.implemented.compactMap(\.spec) }
        var seen = Set<String>()
        var figures: [any FigureSpec] = []
        for id in ids {
            guard let entry = FigureCatalog.entry(id) else { throw UsageError(description: "unknown figure id '\(id)'; 'reproduce list' shows the ids.") }
            guard let spec = entry.spec else { throw UsageError(description: "'\(entry.id)' (\(entry.title)) is not implemented yet; 'reproduce list' shows what is.") }
            if seen.insert(spec.id).inserted { figures.append(spec) }
        }
        return figures
    }

    /// The figure context of `options` (nothing is written through it while planning).
    static func context(_ options: RunOptions) -> FigureContext {
        var context = FigureContext(
            profile: options.profile, seed: options.seed, outputDirectory: options.outputDirectory,
            cacheDirectory: options.cacheDirectory, dataDirectory: options.dataDirectory,
            jobs: options.jobs, seedsPerDepth: options.seeds, depths: options.depthList,
            calibrationCandidate: options.candidate, cachedOnly: options.cachedOnly,
            protocolOptions: options.protocolOptionsText, log: { _ in })
        context.protocolFamily = options.protocolFamily
        return context
    }

    /// The options that select what is trained, as words to repeat on another command line.
    static func protocolWords(_ options: RunOptions) -> [String] {
        var words = ["--" + options.profile.rawValue, "--seed", "\(options.seed)"]
        if let seeds = options.seeds { words += ["--seeds", "\(seeds)"] }
        if let depths = options.depths { words += ["--depths", depths] }
        if let candidate = options.candidate { words += ["--candidate", candidate] }
        if options.protocolFamily != .paper { words += ["--protocol", options.protocolFamily.rawValue] }
        if let dataDir = options.dataDirectory { words += ["--data-dir", dataDir.path] }
        words += ["--targets", options.targetsURL.path]
        return words
    }

    /// The plan of `ids` under `options`, with `model`.
    static func plan(_ ids: [String], options: RunOptions, model: RunCostModel) throws -> RunPlan {
        let figures = try self.figures(ids).filter { !$0.datasets.isEmpty }  // theory and thmA train nothing
        return RunPlanner.plan(figures, in: context(options), options: protocolWords(options), costModel: model)
    }
}

/// Seconds as "1 h 05 min", "12 min" or "40 s".
func durationText(_ seconds: Double) -> String {
    if seconds >= 3600 { return String(format: "%d h %02d min", Int(seconds) / 3600, (Int(seconds) % 3600) / 60) }
    if seconds >= 60 { return String(format: "%d min", Int((seconds / 60).rounded())) }
    return String(format: "%.0f s", seconds)
}
