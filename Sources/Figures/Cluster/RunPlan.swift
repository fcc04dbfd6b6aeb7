import Core
import Foundation

/// Collects the specs a figure asks ``FigureContext/run(_:)`` for while it only plans
/// (``FigureContext/plannedRuns``): each configuration once, in the order first asked.
public final class RunSpecCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var ordered: [RunSpec] = []
    private var seen: Set<String> = []

    public init() {}

    /// Adds the specs not yet listed.
    public func add(_ specs: [RunSpec]) {
        lock.lock(); defer { lock.unlock() }
        for spec in specs where seen.insert(spec.configurationHash).inserted { ordered.append(spec) }
    }

    /// Every spec listed so far.
    public var specs: [RunSpec] {
        lock.lock(); defer { lock.unlock() }
        return ordered
    }
}

/// Every training run a set of figures needs, with its cost to the epoch cap and whether the cache
/// already holds its finished record: what `reproduce plan` prints and writes, and what a
/// cluster task reads its spec from (`reproduce run-spec HASH --plan FILE`).
public struct RunPlan: Codable, Equatable, Sendable {
    /// One planned run.
    public struct Entry: Codable, Equatable, Sendable {
        /// ``RunSpec/configurationHash``: the run's name in the cache.
        public var hash: String
        /// ``RunSpec/label``.
        public var label: String
        /// The figures that need it.
        public var figures: [String]
        /// Expected wall-clock seconds on one core (the cost model, up to the stopping rule's limit).
        public var expectedSeconds: Double
        /// Whether the cache holds its finished, intact record.
        public var finished: Bool
        /// The full specification.
        public var spec: RunSpec

        public init(spec: RunSpec, figures: [String], expectedSeconds: Double, finished: Bool) {
            self.hash = spec.configurationHash
            self.label = spec.label
            self.figures = figures
            self.expectedSeconds = expectedSeconds
            self.finished = finished
            self.spec = spec
        }
    }

    /// The figure ids planned, as given.
    public var figures: [String]
    /// The options that select the protocol (e.g. ["--full", "--seeds", "2"]), to repeat in the final job.
    public var options: [String]
    /// The cache the plan was made against.
    public var cache: String
    /// The cost model used.
    public var costModel: RunCostModel
    /// Every run, longest first (ties by hash).
    public var entries: [Entry]

    public init(figures: [String], options: [String], cache: String, costModel: RunCostModel, entries: [Entry]) {
        self.figures = figures
        self.options = options
        self.cache = cache
        self.costModel = costModel
        self.entries = entries.sorted { ($0.expectedSeconds, $1.hash) > ($1.expectedSeconds, $0.hash) }
    }

    /// The runs whose record is not yet in the cache, longest first.
    public var unfinished: [Entry] { entries.filter { !$0.finished } }

    /// The entry of `hash`, if planned.
    public func entry(_ hash: String) -> Entry? { entries.first { $0.hash == hash } }

    /// Reads a plan written by ``write(to:)``.
    /// - Throws: `FileError.unreadable` or `FileError.corrupt` naming the file.
    public static func load(from url: URL) throws -> RunPlan {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileError.unreadable(path: url.path, reason: SystemErrorText.describe(error, path: url.path) + "; write it with 'reproduce plan … --json FILE'")
        }
        do { return try JSONDecoder().decode(RunPlan.self, from: data) } catch {
            throw FileError.corrupt(path: url.path, reason: "it is not a run plan of 'reproduce plan --json' (\(error))")
        }
    }

    /// Writes the plan as pretty JSON, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}

/// Lists the runs of figures without training anything: each figure's content is computed in a
/// context that only plans (``FigureContext/plannedRuns``, behaving as `--cached-only`), so that
/// a run that depends on the records of an earlier stage is listed once those are in the cache.
public enum RunPlanner {
    /// The plan of `figures` under `context` (its `cachedOnly` and `plannedRuns` are set here).
    public static func plan(_ figures: [any FigureSpec], in context: FigureContext, options: [String],
                            costModel: RunCostModel = .calibrated) -> RunPlan {
        var hashes: [String: [String]] = [:]
        var specs: [String: RunSpec] = [:]
        for figure in figures where figure.trainsRuns {
            var planning = context
            planning.cachedOnly = true
            planning.integrity = RunIntegrityLog()
            let collector = RunSpecCollector()
            planning.plannedRuns = collector
            _ = try? figure.content(in: planning)  // only its requests count; a figure that stops early lists what it asked for
            for spec in collector.specs {
                hashes[spec.configurationHash, default: []].append(figure.id)
                specs[spec.configurationHash] = spec
            }
        }
        let cache = RunCache(directory: context.cacheDirectory)
        let entries = specs.values.map { spec in
            let finished = ((try? cache.record(for: spec)) ?? nil) != nil
            return RunPlan.Entry(spec: spec, figures: hashes[spec.configurationHash] ?? [],
                                 expectedSeconds: costModel.plannedSeconds(spec), finished: finished)
        }
        return RunPlan(figures: figures.map(\.id), options: options, cache: context.cacheDirectory.path,
                       costModel: costModel, entries: entries)
    }
}
