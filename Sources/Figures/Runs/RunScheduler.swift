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
    /// Where records that could not be checked against their data, and records refused as
    /// corrupt, unverified or stale, are reported.
    public let integrity: RunIntegrityLog

    /// Whether a stop was asked for (Ctrl-C, SIGTERM: ``Interruption``); tests replace it.
    let stopRequested: @Sendable () -> Bool

    public init(cacheDirectory: URL, dataDirectory: URL?, jobs: Int, showsProgress: Bool = true, cachedOnly: Bool = false,
                integrity: RunIntegrityLog = RunIntegrityLog()) {
        self.init(cacheDirectory: cacheDirectory, dataDirectory: dataDirectory, jobs: jobs, showsProgress: showsProgress,
                  cachedOnly: cachedOnly, integrity: integrity, stopRequested: { Interruption.isRequested })
    }

    init(cacheDirectory: URL, dataDirectory: URL?, jobs: Int, showsProgress: Bool = true, cachedOnly: Bool = false,
         integrity: RunIntegrityLog = RunIntegrityLog(), stopRequested: @escaping @Sendable () -> Bool) {
        self.cacheDirectory = cacheDirectory
        self.dataDirectory = dataDirectory
        self.jobs = max(1, jobs)
        self.showsProgress = showsProgress
        self.cachedOnly = cachedOnly
        self.integrity = integrity
        self.stopRequested = stopRequested
    }

    /// Runs every spec (duplicates once) and returns, in the order given, each
    /// record or the error that prevented it (e.g. a missing dataset).
    public func run(_ specs: [RunSpec]) -> [Result<RunRecord, Error>] {
        let results = cachedOnly ? specs.map(cachedRecord) : train(specs)
        for (spec, result) in zip(specs, results) {
            if case let .failure(error) = result { integrity.noteFailure(error, spec: spec) }
        }
        return results
    }

    /// Runs start longest-expected first (``RunCostEstimate/startOrder(_:)``) and `jobs` workers
    /// each take the next unstarted run as soon as they are free, so a grid of independent
    /// trainings keeps every worker busy and does not end on one long straggler. After a stop
    /// request no further run starts (each gets ``RunError/notStarted(_:)``); the running ones
    /// write their checkpoints.
    private func train(_ specs: [RunSpec]) -> [Result<RunRecord, Error>] {
        Interruption.install()
        let unique = RunCostEstimate.startOrder(
            Array(Dictionary(specs.map { ($0.configurationHash, $0) }, uniquingKeysWith: { a, _ in a }).values))
        let work = unique.map(RunCostEstimate.expectedWork)
        let sink = showsProgress ? SchedulerProgress(total: unique.count, totalWork: work.reduce(0, +)) : nil
        let results = ResultBox(count: unique.count)
        let next = NextIndex()
        let cacheDirectory = cacheDirectory, dataDirectory = dataDirectory, integrity = integrity, stopRequested = stopRequested
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = jobs
        for worker in 1...min(jobs, max(1, unique.count)) {
            queue.addOperation {
                while let index = next.take(below: unique.count) {
                    let spec = unique[index]
                    guard !stopRequested() else {
                        results.set(index, .failure(RunError.notStarted(spec.label)))
                        continue
                    }
                    sink?.started(spec.configurationHash, worker: worker)
                    var runner = Runner(cache: RunCache(directory: cacheDirectory), dataDirectory: dataDirectory, progress: sink)
                    runner.stopRequested = { _ in stopRequested() }
                    let outcome: Result<RunRecord, Error> = Result {
                        let (record, check) = try runner.runChecked(spec)
                        integrity.noteCheck(check, spec: spec, path: runner.cache.recordURL(for: spec).path)
                        return record
                    }
                    results.set(index, outcome)
                    sink?.finishedOne(spec.configurationHash, work: work[index])
                }
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        let byHash = Dictionary(uniqueKeysWithValues: zip(unique.map(\.configurationHash), results.values))
        return specs.map { byHash[$0.configurationHash]! }
    }
}

/// The expected cost of a run, used only to order the runs of a batch (results never depend on it).
public enum RunCostEstimate {
    /// Floating-point work in arbitrary units: parameters × (3 × training samples + test samples)
    /// per epoch (a training step costs about three forward passes, and every epoch ends with a
    /// test evaluation), times the expected epochs. A fixed budget (epochs, steps) is its own
    /// expectation; a loss threshold is expected after about 7 · batch / (n · η_eff) epochs, capped,
    /// with η_eff = η/(1 − μ) for SGD with momentum μ and 100·η for Adam (a rough fit to this
    /// engine's Fashion-MNIST runs: fewer steps per epoch and smaller steps take more epochs).
    public static func expectedWork(_ spec: RunSpec) -> Double {
        let samples = Double(spec.trainSubsetPerClass.map { $0 * spec.dataset.classCount } ?? spec.dataset.standardTrainingCount)
        let perEpoch = Double(spec.architecture.parameterCount) * (3 * samples + Double(spec.dataset.standardTestCount))
        let stepsPerEpoch = max(1, Int((samples / Double(max(1, spec.batchSize))).rounded(.up)))
        let epochs: Double
        switch spec.stopping {
        case .epochs, .steps:
            epochs = Double(spec.stopping.epochLimit(stepsPerEpoch: stepsPerEpoch))
        case .trainLossBelow, .runningLossBelow:
            let effectiveRate: Double
            switch spec.optimizer {
            case let .sgd(learningRate, momentum, _): effectiveRate = learningRate / max(1e-3, 1 - momentum)
            case let .adam(learningRate, _, _, _, _): effectiveRate = 100 * learningRate
            }
            let expected = effectiveRate > 0 ? 7 * Double(spec.batchSize) / (samples * effectiveRate) : .infinity
            epochs = min(Double(spec.stopping.epochLimit(stepsPerEpoch: stepsPerEpoch)), max(1, expected))
        }
        return perEpoch * epochs
    }

    /// `specs` in the order they should start: largest ``expectedWork(_:)`` first, ties by
    /// configuration hash (deterministic).
    public static func startOrder(_ specs: [RunSpec]) -> [RunSpec] {
        specs.map { ($0, expectedWork($0), $0.configurationHash) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }
            .map(\.0)
    }
}

/// Hands out the indices 0, 1, 2, … once each to concurrent workers.
private final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < count else { return nil }
        defer { value += 1 }
        return value
    }
}

extension RunScheduler {
    /// The finished record of `spec` from the cache, without training, checked against the
    /// dataset files when they are present (and reported as unchecked when they are not).
    func cachedRecord(_ spec: RunSpec) -> Result<RunRecord, Error> {
        Result {
            let cache = RunCache(directory: cacheDirectory)
            // Nothing is written under --cached-only (the cache may be read-only), not even the fingerprint memo.
            let expected = try DataFingerprint.of(spec.dataset, dataDirectory: dataDirectory, memoDirectory: nil)
            guard let (record, check) = try cache.verifiedRecord(for: spec, expectedData: expected) else {
                throw RunSchedulerError.notInCache(spec.label)
            }
            integrity.noteCheck(check, spec: spec, path: cache.recordURL(for: spec).path)
            return record
        }
    }
}

/// What the scheduler saw of the records' integrity during one figure: records used without
/// their data being checked (the dataset absent under `--cached-only`), and records refused
/// (corrupt, unverified or stale). The command reports both; a refused record fails it.
public final class RunIntegrityLog: @unchecked Sendable {
    private let lock = NSLock()
    private var uncheckedRecords: [(hash: String, label: String, reason: String)] = []
    private var refusedErrors: [Error] = []

    public init() {}

    /// Records used whose data could not be checked: configuration hash, run label and why.
    public var unchecked: [(hash: String, label: String, reason: String)] {
        lock.lock(); defer { lock.unlock() }
        return uncheckedRecords
    }

    /// Stored records or checkpoints refused as corrupt (`FileError.corrupt`), unverified or stale (`RunRecordError`).
    public var refused: [Error] {
        lock.lock(); defer { lock.unlock() }
        return refusedErrors
    }

    /// Empties the log (between figures).
    public func reset() {
        lock.lock(); uncheckedRecords = []; refusedErrors = []; lock.unlock()
    }

    func noteCheck(_ check: DataCheck, spec: RunSpec, path: String) {
        guard case let .unchecked(reason) = check else { return }
        lock.lock()
        if !uncheckedRecords.contains(where: { $0.hash == spec.configurationHash }) {
            uncheckedRecords.append((spec.configurationHash, spec.label, reason))
        }
        lock.unlock()
    }

    func noteFailure(_ error: Error, spec: RunSpec) {
        let refused: Bool
        switch error {
        case FileError.corrupt: refused = true
        case is RunRecordError: refused = true
        default: refused = false
        }
        guard refused else { return }
        lock.lock()
        if !refusedErrors.contains(where: { "\($0)" == "\(error)" }) { refusedErrors.append(error) }
        lock.unlock()
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

/// One progress line for many runs: "[runs 3/12 · w2 · grid ETA ~1:40] <the latest run's status>", naming
/// the worker that runs the reported training and an estimate of the whole batch's remaining time
/// (elapsed × remaining expected work / finished expected work, ``RunCostEstimate``).
///
/// Concurrent runs take turns on the line, so updates are thinned per run
/// (every phase change, otherwise at most every 0.5 s on a terminal and every
/// 30 s in a log), which also keeps logs short.
private final class SchedulerProgress: ProgressSink, @unchecked Sendable {
    private let bar: TerminalProgressBar
    private let lock = NSLock()
    private let total: Int
    private var totalWork: Double
    private var cached: Set<String> = []
    private let interval: Double
    private let start = ProcessInfo.processInfo.systemUptime
    private var finished = 0
    private var finishedWork = 0.0
    private var workers: [String: Int] = [:]
    private var lastForwarded: [String: (time: Double, phase: RunProgress.Phase)] = [:]

    init(total: Int, totalWork: Double) {
        self.total = total
        self.totalWork = totalWork
        bar = TerminalProgressBar()
        if case .lines(let seconds) = bar.resolvedStyle { interval = seconds } else { interval = 0.5 }
    }

    func started(_ hash: String, worker: Int) {
        lock.lock(); workers[hash] = worker; lock.unlock()
    }

    /// Counts a finished run; one read from the cache leaves the work to do, not the work done, so
    /// that a resumed grid's ETA is not fooled by its instant cached cells.
    func finishedOne(_ hash: String, work: Double) {
        lock.lock()
        finished += 1
        if cached.contains(hash) { totalWork -= work } else { finishedWork += work }
        lock.unlock()
    }

    func update(_ progress: RunProgress) {
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock()
        if progress.phase == .cached { cached.insert(progress.configurationHash) }
        let previous = lastForwarded[progress.configurationHash]
        let due = previous == nil || previous!.phase != progress.phase || now - previous!.time >= interval
        if due { lastForwarded[progress.configurationHash] = (now, progress.phase) }
        let done = finished
        let worker = workers[progress.configurationHash]
        let eta = finishedWork > 0 ? (now - start) * max(0, totalWork - finishedWork) / finishedWork : nil
        lock.unlock()
        guard due else { return }
        var labelled = progress
        if total > 1 {
            var prefix = "[runs \(done)/\(total)"
            if let worker { prefix += " · w\(worker)" }
            if let eta { prefix += " · grid ETA ~\(TerminalProgressBar.duration(eta))" }
            labelled.label = prefix + "] " + progress.label
        }
        bar.update(labelled)
    }
}
