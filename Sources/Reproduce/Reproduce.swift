import ArgumentParser
import Core
import Figures
import Foundation

/// The `reproduce` command: reruns the figures of Lou, Mingard, Nam & Hayou (ICML 2022).
@main
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Rerun the figures and tables of 'Feature Learning and Signal Propagation in Deep Neural Networks' (ICML 2022) and check them against the paper.",
        discussion: """
            Typical use:
              reproduce list                  every figure and table, whether it is implemented, and its data
              reproduce theory                the infinite-width theory (Theorems 1–2, Corollary 1)
              reproduce all --quick           every implemented figure at CI size (minutes)
              reproduce all --full            the paper's protocol (hours; resumable, cached by configuration)
              reproduce check                 the claims table and the regression gate
              reproduce report                rebuild figures/report.md and .html from stored results
              reproduce train --depth 10 …    one training run with a progress bar

            Results go to figures/ (quick) or figures/full/ (full): PNG and PDF per figure,
            results.json (machine-readable) and report.md/report.html. Runs are cached in
            .cache/reproduce by configuration hash; a killed run resumes where it stopped.

            Claims and tolerances live in paper-targets.json. A paper claim is REPRODUCED or
            NOT REPRODUCED (or "not reproduced (known)" when documented with evidence); a
            regression band HELD or LEFT. Claims that could not run are "not run", never passed.

            Exit codes:
              0   success (for check: every band held, every paper claim that ran reproduced or documented)
              1   check: the gate failed (a band was left, or a paper claim failed without evidence)
              64  usage error: unknown figure id, bad flag or flag value
              65  corrupt input: a results, targets, record or dataset file is malformed
              66  missing input: a dataset, results or targets file was not found
              70  internal error
              73  cannot write the output or cache directory
            """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self,
            ListCommand.self,
            CheckCommand.self,
            ReportCommand.self,
            TrainCommand.self,
            BenchCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )

    /// Relaunches with the fast OpenBLAS kernels when the library fell back to
    /// generic ones (they are chosen at load time, before main), then runs.
    static func main() {
        BLASRelauncher.relaunchIfNeeded()
        BLASRuntime.setThreadCount(1)
        main(nil)
    }
}
