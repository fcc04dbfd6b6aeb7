import Core
import Foundation

/// Executes the runs a figure needs, up to `jobs` at once (each run uses one
/// BLAS thread, so results do not depend on `jobs`), with one shared progress
/// line that counts finished runs. Records come from the cache when complete;
/// an interrupted run resumes from its checkpoint the next time.
///
/// Ctrl-C (SIGINT) asks every running training to write a checkpoint and stop;
/// the figure then fails with ``RunError/interrupted(step:checkpoint:)`` and the
/// same command resumes where it stopped.
public struct RunScheduler: Sendable {
    /// Cache directory for records and checkpoints.
    public let cacheDirectory: URL
    /// `--data-dir`.
    public let dataDirectory: URL?
    /// Concurrent runs.
    public let jobs: Int
    /// Whether to draw progress on standard error.
    public let showsProgress: Bool
    /// When true nothing is trained: finished records come from the cache and every
    /// other spec fails with ``RunSchedulerError/notInCache(_:)``.
    public let cachedOnly: Bool

    public init(cacheDirectory: URL, dataDirectory: URL?, jobs: Int, showsProgress: Bool = true, cachedOnly: Bool = false) {
        self.cacheDirectory = cacheDirectory
        self.dataDirectory = dataDirectory
        self.jobs = max(1, jobs)
        self.showsProgress = showsProgress
        self.cachedOnly = cachedOnly
    }

    /// Runs every spec (duplicates once) and returns, in the order given, each
    /// record or the error that prevented it (e.g. a missing dataset).
    public func run(_ specs: [RunSpec]) -> [Result<RunRecord, Error>] {
        if cachedOnly { return specs.map(cachedRecord) }
        Interruption.install()
        let unique = Array(Dictionary(specs.map { ($0.configurationHash, $0) }, uniquingKeysWith: { a, _ in a }).values)
            .sorted { $0.configurationHash < $1.configurationHash }
        let sink = showsProgress ? SchedulerProgress(total: unique.count) : nil
        let results = ResultBox(count: unique.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = jobs
        for (index, spec) in unique.enumerated() {
            queue.addOperation {
                var runner = Runner(cache: RunCache(directory: cacheDirectory), dataDirectory: dataDirectory, progress: sink)
                runner.stopRequested = { _ in Interruption.isRequested }
                let outcome: Result<RunRecord, Error> = Result { try runner.run(spec) }
                results.set(index, outcome)
                sink?.finishedOne()
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        let byHash = Dictionary(uniqueKeysWithValues: zip(unique.map(\.configurationHash), results.values))
        return specs.map { byHash[$0.configurationHash]! }
    }
}

extension RunScheduler {
    /// The finished record of `spec` from the cache, without training.
    func cachedRecord(_ spec: RunSpec) -> Result<RunRecord, Error> {
        Result {
            guard let record = try RunCache(directory: cacheDirectory).record(for: spec) else {
                throw RunSchedulerError.notInCache(spec.label)
            }
            return record
        }
    }
}

/// Thread-safe storage of the outcomes.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<RunRecord, Error>?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<RunRecord, Error>) {
        lock.lock(); storage[index] = value; lock.unlock()
    }
    var values: [Result<RunRecord, Error>] {
        lock.lock(); defer { lock.unlock() }
        return storage.map { $0 ?? .failure(RunSchedulerError.notExecuted) }
    }
}

/// Why the scheduler returned no record for a run.
public enum RunSchedulerError: Error, CustomStringConvertible, Equatable {
    /// The scheduler never started the run (cannot normally happen).
    case notExecuted
    /// `--cached-only`: the run (named by its short label) has no finished record in the cache.
    case notInCache(String)

    public var description: String {
        switch self {
        case .notExecuted: return "the run was not executed"
        case let .notInCache(label): return "\(label) has no finished record in the cache (--cached-only trains nothing; run without it to train)"
        }
    }
}

/// One progress line for many runs: "[runs 3/12] <the latest run's status>".
///
/// Concurrent runs take turns on the line, so updates are thinned per run
/// (every phase change, otherwise at most every 0.5 s on a terminal and every
/// 30 s in a log), which also keeps logs short.
private final class SchedulerProgress: ProgressSink, @unchecked Sendable {
    private let bar: TerminalProgressBar
    private let lock = NSLock()
    private let total: Int
    private let interval: Double
    private var finished = 0
    private var lastForwarded: [String: (time: Double, phase: RunProgress.Phase)] = [:]

    init(total: Int) {
        self.total = total
        bar = TerminalProgressBar()
        if case .lines(let seconds) = bar.resolvedStyle { interval = seconds } else { interval = 0.5 }
    }

    func finishedOne() {
        lock.lock(); finished += 1; lock.unlock()
    }

    func update(_ progress: RunProgress) {
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock()
        let previous = lastForwarded[progress.configurationHash]
        let due = previous == nil || previous!.phase != progress.phase || now - previous!.time >= interval
        if due { lastForwarded[progress.configurationHash] = (now, progress.phase) }
        let done = finished
        lock.unlock()
        guard due else { return }
        var labelled = progress
        if total > 1 { labelled.label = "[runs \(done)/\(total)] " + progress.label }
        bar.update(labelled)
    }
}
