import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce plan <id>...`: the training runs figures need, their cost to the epoch cap and whether they are cached.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "List every training run the figures need, with its hash, cost to the epoch cap and whether it is finished in --cache (trains nothing).",
        discussion: HelpText.reflow("""
            The cost is the cost model's estimate of the wall time on one core of this project's
            build machine with every run taken to its stopping rule's limit, the epoch cap (flop per
            step × steps; docs/cluster.md): a run that stops at a loss threshold usually takes a
            fraction of it, and the model itself errs by about 25% (median). --calibrate DIR refits
            the cost model on the finished records in DIR (repeatable) and reports its error
            against their measured wall times. --json FILE writes the plan with the full
            specifications: 'reproduce run-spec HASH --plan FILE' trains one of them.
            """)
    )

    @Argument(help: ArgumentHelp("Figure ids, or 'all'.", valueName: "id"))
    var ids: [String] = []

    @OptionGroup var options: RunOptions

    @Option(help: ArgumentHelp("Write the plan, with the full specifications, to this JSON file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Refit the cost model on the finished records of this directory (repeatable) and report its error.", valueName: "dir"))
    var calibrate: [String] = []

    func run() throws {
        do {
            var model = RunCostModel.calibrated
            if !calibrate.isEmpty {
                let records = calibrate.flatMap { RunCache(directory: URL(fileURLWithPath: $0, isDirectory: true)).allRecords() }
                let samples = records.map { (work: RunWork(measured: $0), seconds: $0.wallSeconds) }
                guard let fitted = RunCostModel.fit(samples) else {
                    throw UsageError(description: "--calibrate: too few finished records in \(calibrate.joined(separator: ", ")) to fit the cost model (\(samples.count) found)")
                }
                for (name, candidate) in [("built-in", RunCostModel.calibrated), ("refitted", fitted)] {
                    if let error = candidate.error(on: samples) { print(Self.describe(error, name: name)) }
                }
                print(String(format: "refitted: %.4g s/training flop, %.4g s/evaluation flop, %.4g s/measurement flop, %.3g s/run",
                             fitted.secondsPerTrainingFlop, fitted.secondsPerEvaluationFlop, fitted.secondsPerMeasurementFlop, fitted.secondsPerRun))
                // What a plan promises: the cost up to the stopping rule's limit, against what the runs took.
                let planned = records.reduce(0) { $0 + fitted.plannedSeconds($1.spec) }
                let measured = records.reduce(0) { $0 + $1.wallSeconds }
                print(String(format: "planned to the stopping rules' limits: %.2f core-hours for these runs, measured %.2f (%.1f×)",
                             planned / 3600, measured / 3600, planned / max(measured, 1e-9)))
                model = fitted
            }
            let plan = try FigureSelection.plan(ids, options: options, model: model)
            for line in Self.table(plan) { print(line) }
            if let json {
                let url = URL(fileURLWithPath: json).standardizedFileURL
                try plan.write(to: url)
                print("plan: \(url.relativePathFromCurrentDirectory)")
            }
        } catch {
            throw Failure.exit(for: error)
        }
    }

    static func describe(_ error: RunCostModel.ErrorSummary, name: String) -> String {
        String(format: "%@ cost model on %d measured runs: median |error| %.0f%%, 90th percentile %.0f%%, max %.0f%%, error on the total %+.0f%%",
               name, error.count, error.medianRelativeError * 100, error.p90RelativeError * 100, error.maxRelativeError * 100,
               error.totalRelativeError * 100)
    }

    /// The plan as aligned lines, longest run first, with totals.
    static func table(_ plan: RunPlan) -> [String] {
        var lines = ["hash              to the cap   cached  run (figures)"]
        for entry in plan.entries {
            lines.append("\(entry.hash)  \(durationText(entry.expectedSeconds).padding(toLength: 11, withPad: " ", startingAt: 0))  "
                         + "\((entry.finished ? "yes" : "no").padding(toLength: 6, withPad: " ", startingAt: 0))  "
                         + "\(entry.label) (\(entry.figures.joined(separator: ", ")))")
        }
        let total = plan.entries.reduce(0) { $0 + $1.expectedSeconds }
        let left = plan.unfinished.reduce(0) { $0 + $1.expectedSeconds }
        lines.append("\(plan.entries.count) runs, \(plan.entries.count - plan.unfinished.count) finished; "
                     + "\(durationText(total)) of one core in all, \(durationText(left)) still to train (the longest \(durationText(plan.unfinished.first?.expectedSeconds ?? 0))), "
                     + "each run taken to its epoch cap (cost-model estimate); runs that stop at a loss threshold take a fraction of it")
        return lines
    }
}
