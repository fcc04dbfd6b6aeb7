import Core
import Foundation

/// Trains the runs of several figures as one batch before any of them is drawn.
///
/// Each figure otherwise trains its own runs when it is drawn, so `reproduce fig4 fig11 … --jobs 2`
/// would end every figure's batch on one straggler while the other worker waits (and a figure
/// with one run leaves a core idle). Here the figures are first planned (``RunPlanner``: nothing is
/// trained), every unfinished run they ask for goes to one ``RunScheduler`` batch, longest expected
/// first, and the figures are then drawn from the cache. Results do not change: every run is a
/// deterministic function of its specification, whatever the order or the number of workers.
///
/// Runs that a figure can only name once earlier records exist (a replay of a finished run) are not
/// in the plan; the figure trains them when it is drawn, as before.
public enum SharedRunBatch {
    /// Trains the unfinished runs of `figures` together when that can help: two or more figures,
    /// more than one job, training allowed, at least two runs to train. Returns how many runs the
    /// batch held (0 when it did nothing).
    ///
    /// A run that fails here (e.g. its dataset is missing) is left for its figure, which reports
    /// the error in its place; an interrupted batch (Ctrl-C, SIGTERM) stops the command at once
    /// with its ``RunError`` (the running trainings write their checkpoints; no other run starts).
    @discardableResult
    public static func trainAhead(_ figures: [any FigureSpec], in context: FigureContext) throws -> Int {
        guard figures.count > 1, context.jobs > 1, !context.cachedOnly, context.plannedRuns == nil else { return 0 }
        var planning = context
        planning.log = { _ in }  // a figure's lines ("cached result …") are written once, when it is drawn
        let plan = RunPlanner.plan(figures, in: planning, options: [])
        // A run whose dataset is not on this machine is left to its figure, which names the missing files.
        var present: [DatasetName: Bool] = [:]
        let entries = plan.unfinished.filter { entry in
            let dataset = entry.spec.dataset
            if present[dataset] == nil {
                present[dataset] = DatasetLocator.availability(of: dataset, dataDirectory: context.dataDirectory).isPresent
            }
            return present[dataset] ?? false
        }
        let unfinished = entries.map(\.spec)
        guard unfinished.count > 1 else { return 0 }
        let figureCount = Set(entries.flatMap(\.figures)).count
        context.log("[runs] training the \(unfinished.count) unfinished runs of \(figureCount) figures first, "
            + "longest expected first, \(context.jobs) at once")
        var batch = context
        batch.integrity = RunIntegrityLog()  // the figures check and report their records themselves
        let stops = batch.run(unfinished).compactMap { result -> RunError? in
            if case let .failure(error) = result { return error as? RunError }  // every RunError is a stop request
            return nil
        }
        if let stop = RunError.mostInformative(stops) { throw stop }
        return unfinished.count
    }
}
