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
        discussion: HelpText.reflow("""
            Typical use:
              reproduce list              figures, tables, status and data
              reproduce theory            infinite-width theory (Thms 1-2, Cor 1)
              reproduce all --quick       every implemented figure, CI-sized
              reproduce all --full        the paper's protocol (hours, resumable)
              reproduce check             claims table and regression gate
              reproduce report            rebuild the report, no recomputation
              reproduce train --depth 10  one training run with a progress bar
              reproduce bench             BLAS and engine throughput
              reproduce migrate-records --cache DIR
                                          add checksums and data fingerprints to
                                          records of older versions (no training)
              reproduce plan fig3 --full --cache DIR
                                          the runs a figure needs, their cost, cached?
              reproduce slurm fig3 --full --cache SHARED_DIR [--submit]
                                          the unfinished runs as Slurm job arrays,
                                          then the figures (docs/cluster.md)
              reproduce run-spec HASH --cache DIR --plan FILE
                                          train exactly one planned run

            Output goes to figures/ (--quick) or figures/full/ (--full): PNG and
            PDF per figure, results.json and report.md/report.html. Runs are
            cached in .cache/reproduce by configuration hash; a killed run
            resumes from its last checkpoint. A record is used only when its
            checksum, its contents and its data fingerprint (the dataset files
            it was trained on) check out.

            Claims and tolerances live in paper-targets.json. A paper claim is
            REPRODUCED or NOT REPRODUCED ("not reproduced (known)" when it is
            documented with evidence); a regression band HELD or LEFT. A claim
            that could not run is "not run" and never counts as passed.

            Exit codes:
              0   success; for check: every band held and every paper claim
                  that ran reproduced or is a documented deviation
              1   check: the gate failed (a band left, an undocumented failing
                  paper claim, or a result defect: a declared claim missing, an
                  undeclared id, a null value without reason, an id twice)
              64  usage: unknown figure id, bad flag or flag value
              65  corrupt input: results, targets, record or dataset file; a run
                  record that is unverified (run migrate-records) or was
                  trained on other data than the dataset now read
              66  missing input: dataset, results or targets file not found or
                  unreadable; a --data-dir holding only part of a dataset
              70  internal error
              73  cannot write the output or cache directory (including a
                  full disk)
              130 interrupted (Ctrl-C): checkpoints written; rerun to resume
              143 terminated (SIGTERM, e.g. a cluster time limit): checkpoints
                  written; rerun to resume
            """),
        version: "0.1.0",
        subcommands: [
            RunCommand.self,
            ListCommand.self,
            CheckCommand.self,
            ReportCommand.self,
            TrainCommand.self,
            FactorsCommand.self,
            BenchCommand.self,
            MigrateRecordsCommand.self,
            PlanCommand.self,
            RunSpecCommand.self,
            SlurmCommand.self,
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
