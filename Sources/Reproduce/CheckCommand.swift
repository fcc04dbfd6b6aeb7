import ArgumentParser
import Core
import Figures
import Foundation

/// `reproduce check`: the claims table and the regression gate.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Print the claims table from stored results and act as the regression gate.",
        discussion: HelpText.reflow("""
            Reads results.json in the output directory (and full/results.json when present) and
            paper-targets.json; recomputes nothing. Prints value, interval and verdict of every claim.
            A paper claim is REPRODUCED when its whole interval lies inside the accepted range, NOT
            REPRODUCED when it lies outside, INCONCLUSIVE when it straddles a bound (docs/verdicts.md).
            Exits 0 only when every regression band held and no paper claim that ran is NOT REPRODUCED
            without a documented known deviation; INCONCLUSIVE claims are listed, never counted as
            reproduced, and do not fail the gate. Claims that could not run are listed as 'not run'
            and never count as passed; the gate fails when nothing at all was measured, and when a
            figure that ran omits a claim it declares (for its profile, in the targets file), emits an
            undeclared id, emits a measurement with neither a finite value nor a not-run reason, or
            emits an id twice (each is named).
            """)
    )

    @OptionGroup var options: ResultsOptions

    func run() throws {
        do {
            let (targets, main, full) = try options.loadStoredResults()
            var claims = ClaimEvaluator.evaluate(targets: targets, results: main?.figures ?? [])
            if let full {
                claims += ClaimEvaluator.evaluate(targets: targets, results: full.figures)
                    .filter { claim in full.figures.contains { $0.id == claim.claim.figure } }
            }
            print(ClaimTable.render(claims))
            let defects = ClaimEvaluator.defects(targets: targets, results: (main?.figures ?? []) + (full?.figures ?? []))
            if !defects.isEmpty {
                print("\nresult defects (each fails the gate):")
                for defect in defects { print("  " + defect.description) }
            }
            let unchecked = ((main?.figures ?? []) + (full?.figures ?? [])).filter { !($0.provenance.uncheckedRecords ?? []).isEmpty }
            if !unchecked.isEmpty {
                print("\nfigures drawn from run records not checked against their data (dataset absent): "
                      + unchecked.map { "\($0.id) [\($0.profile.rawValue)] (\($0.provenance.uncheckedRecords?.count ?? 0) records)" }.joined(separator: ", "))
            }
            let measured = claims.filter { $0.measured != nil }.count
            let failing = claims.filter { $0.verdict.failsGate }
            if measured == 0 {
                print("\ngate: FAIL — no claim was measured")
                throw ExitCode(1)
            }
            let qualified = claims.filter { $0.measured != nil && $0.isQualified }
            if !qualified.isEmpty {
                print("\nqualified verdicts (partial runs or a changed protocol; see the details above): "
                      + qualified.map { "\($0.claim.id) [\($0.profile.rawValue)]" }.joined(separator: ", "))
            }
            if !defects.isEmpty {
                print("\ngate: FAIL — " + (failing.map { "\($0.claim.id) (\($0.verdictText))" } + defects.map { "\($0.claimId) (\($0.kind.rawValue))" })
                    .joined(separator: ", "))
                throw ExitCode(1)
            }
            let inconclusive = claims.filter { $0.verdict == .inconclusive }
            if failing.isEmpty {
                print("\ngate: PASS — \(measured) measured claims (\(qualified.count) qualified, \(inconclusive.count) inconclusive); "
                      + "every band held and no paper claim was refuted without a documented deviation"
                      + (inconclusive.isEmpty ? "" : "; inconclusive (not reproduced, not refuted): " + inconclusive.map(\.claim.id).joined(separator: ", ")))
            } else {
                print("\ngate: FAIL — " + failing.map { "\($0.claim.id) (\($0.verdictText))" }.joined(separator: ", "))
                throw ExitCode(1)
            }
        } catch {
            throw Failure.exit(for: error)
        }
    }
}

/// `reproduce report`: rebuilds the report without recomputing.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild report.md and report.html from stored results, without recomputing."
    )

    @OptionGroup var options: ResultsOptions

    func run() throws {
        do {
            let (targets, _, _) = try options.loadStoredResults()
            for url in try ReportWriter(directory: options.outputDirectory, targets: targets).write() { print(url.relativePathFromCurrentDirectory) }
        } catch {
            throw Failure.exit(for: error)
        }
    }
}

extension ResultsOptions {
    /// The targets file and the stored results of the output directory (and of
    /// its `full/`), failing with a sentence that says what to run when there are none.
    func loadStoredResults() throws -> (targets: TargetsFile, main: ResultsFile?, full: ResultsFile?) {
        let targets = try TargetsFile.load(from: targetsURL)
        let (main, full) = try ReportWriter(directory: outputDirectory, targets: targets).loadResults()
        guard main != nil || full != nil else {
            throw FileError.unreadable(
                path: outputDirectory.appendingPathComponent("results.json").path,
                reason: "no stored results; run 'reproduce all --quick' (or a figure id) first")
        }
        return (targets, main, full)
    }
}
