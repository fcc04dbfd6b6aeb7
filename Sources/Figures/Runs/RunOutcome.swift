import Core
import Foundation

/// What became of one planned training run: the one outcome model of every figure.
public enum RunOutcome {
    /// The run finished (trained now, or read from the cache).
    case finished(RunRecord)
    /// The run could not happen: one sentence saying why (its dataset is not on this machine,
    /// naming the files and `--data-dir`).
    case notRun(String)
    /// `--cached-only` and the cache has no finished record; the run's short label.
    case notInCache(label: String)
    /// Any other error that stopped the run (an interruption, an unreadable dataset file, a corrupt
    /// cache entry …).
    case failed(Error)

    /// The record, when the run finished.
    /// The outcome with its record's alignments under `centring` (``RunRecord/recentred(_:)``);
    /// a finished run that did not keep that centring becomes not run, saying so.
    public func recentred(_ centring: Centring) -> RunOutcome {
        guard case let .finished(record) = self else { return self }
        guard let recentred = record.recentred(centring) else {
            return .notRun("the record of \(record.spec.label) does not keep A_l under \(centring.rawValue) centring (written before records kept both)")
        }
        return .finished(recentred)
    }

    public var record: RunRecord? {
        if case let .finished(record) = self { return record }
        return nil
    }

    /// Why the run has no record, in one sentence; nil when it finished.
    public var missingReason: String? {
        switch self {
        case .finished: return nil
        case let .notRun(reason): return reason
        case let .notInCache(label): return RunSchedulerError.notInCache(label).description
        case let .failed(error): return "\(error)"
        }
    }

    /// Whether the run is only absent from the cache (`--cached-only`), not impossible.
    public var isNotCached: Bool {
        if case .notInCache = self { return true }
        return false
    }
}

/// The outcomes of a figure's runs, matched to specifications by configuration hash (never by
/// position or label).
public struct RunOutcomes {
    private var byHash: [String: RunOutcome] = [:]

    /// No outcomes yet.
    public init() {}

    /// Pairs each result with the spec it was run for (``RunScheduler/run(_:)`` returns them in
    /// the order given); a result missing at the end (the scheduler stopped early) leaves its spec
    /// without an outcome.
    public init(specs: [RunSpec], results: [Result<RunRecord, Error>]) {
        for (spec, result) in zip(specs, results) { record(result, for: spec) }
    }

    /// Stores one result under its spec's configuration hash.
    public mutating func record(_ result: Result<RunRecord, Error>, for spec: RunSpec) {
        switch result {
        case let .success(record): byHash[spec.configurationHash] = .finished(record)
        case let .failure(RunSchedulerError.notInCache(label)): byHash[spec.configurationHash] = .notInCache(label: label)
        case let .failure(error): byHash[spec.configurationHash] = .failed(error)
        }
    }

    /// Sets the outcome of `spec`.
    public mutating func set(_ outcome: RunOutcome, for spec: RunSpec) { byHash[spec.configurationHash] = outcome }

    /// The outcome of `spec`; nil when it was never run (e.g. not reached after an interruption).
    public subscript(spec: RunSpec) -> RunOutcome? { byHash[spec.configurationHash] }

    /// The interruption (Ctrl-C, SIGTERM) among the outcomes, which the figure rethrows so that the
    /// same command resumes: a run that stopped and wrote its checkpoint when there is one (its
    /// message names the checkpoint), else a run that was never started.
    public var interruption: RunError? {
        let errors = byHash.values.compactMap { outcome -> RunError? in
            if case let .failed(error as RunError) = outcome { return error }
            return nil
        }
        return RunError.mostInformative(errors)
    }
}

/// A run that was not started, as an error (its sentence is the reason).
struct RunNotStarted: Error, CustomStringConvertible {
    var description: String
}

extension FigureContext {
    /// Runs `stages` of specs in turn (cached, resumable, `jobs` at once; identical specs once):
    /// each stage finishes before the next starts, and an interruption (Ctrl-C) stops after its
    /// stage, so that cheap stages stay finished and cached. A spec whose dataset is not on this
    /// machine is not started, except under `--cached-only`, which reads finished records
    /// regardless of the data.
    public func execute(stages: [[RunSpec]]) -> RunOutcomes {
        var outcomes = RunOutcomes()
        for stage in stages {
            var toRun: [RunSpec] = []
            for spec in stage {
                let availability = DatasetLocator.availability(of: spec.dataset, dataDirectory: dataDirectory)
                if availability.isPresent || cachedOnly {
                    toRun.append(spec)
                } else {
                    outcomes.set(.notRun("\(spec.dataset.displayName) is \(availability.description)"), for: spec)
                }
            }
            for (spec, result) in zip(toRun, run(toRun)) { outcomes.record(result, for: spec) }
            if outcomes.interruption != nil { break }
        }
        return outcomes
    }

    /// ``execute(stages:)`` with one stage.
    public func execute(_ specs: [RunSpec]) -> RunOutcomes { execute(stages: [specs]) }
}
