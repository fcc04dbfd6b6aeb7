import ArgumentParser
import Core
import Figures

/// The `reproduce` command: reruns the figures of Lou, Mingard, Nam & Hayou (ICML 2022).
@main
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Rerun the figures and tables of 'Feature Learning and Signal Propagation in Deep Neural Networks' (ICML 2022) and check them against the paper.",
        subcommands: [
        ]
    )
}
