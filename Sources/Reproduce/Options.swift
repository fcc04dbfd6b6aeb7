import ArgumentParser
import Core
import Figures
import Foundation

extension Profile: EnumerableFlag {
    public static func help(for value: Profile) -> ArgumentHelp? {
        switch value {
        case .quick: return "CI-sized protocol: minutes on 2 cores (default)."
        case .full: return "The paper's protocol: hours; resumable and cached."
        }
    }
}

extension ScalingLawProtocol.Family: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
}

/// Options shared by the commands that produce figures.
struct RunOptions: ParsableArguments {
    @Flag(help: "How much work to do.")
    var profile: Profile = .quick

    @Option(name: .long, help: ArgumentHelp("Output directory for figures, results.json and the report.", discussion: "Default: figures/ with --quick, figures/full/ with --full.", valueName: "dir"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Cache directory for run records and checkpoints.", valueName: "dir"))
    var cache: String = ".cache/reproduce"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Directory with MNIST, KMNIST, CIFAR-10/100 in their standard formats (Fashion-MNIST is also found in /usr/share/datasets/fashion-mnist).", valueName: "dir"))
    var dataDir: String?

    @Option(name: .long, help: "Base seed; every run derives its own streams from it.")
    var seed: UInt64 = 1

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Runs to execute at once (each uses one BLAS thread).", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: ArgumentHelp("The claims and tolerances file.", valueName: "file"))
    var targets: String = "paper-targets.json"

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Seeds per depth for the figures that repeat runs (fig3, fig8, table1-3).",
        discussion: "Default: the profile's (fig3: 3 quick, 5 full; fig8: 1 quick, 5 full). A changed count is a different protocol: the quick regression band is then reported as not run.",
        valueName: "n"))
    var seeds: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Depths for the scaling-law figures (fig3, fig8, table1-3), comma-separated, e.g. '--depths 10,20,90'.",
        discussion: "Each depth keeps its row of the paper's table (width, learning rate, epochs); the tables have depths 10, 20, ..., 100. Default: the profile's (10-50 quick, 10-100 full). A changed set is a different protocol: its verdicts are marked '(changed protocol)'.",
        valueName: "L,L,..."))
    var depths: String?

    /// `--depths` as numbers (nil when not given or not all numbers; `validate()` reports the latter).
    var depthList: [Int]? {
        guard let depths else { return nil }
        let parts = depths.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.compactMap { Int($0) }
        return numbers.count == parts.count && !numbers.isEmpty ? numbers : nil
    }

    @Option(name: .long, help: ArgumentHelp(
        "Replace the quick Fig 3 protocol (and so fig8's and table1-3's) by a calibration candidate of docs/calibration.md.",
        discussion: "E.g. '--candidate sub200-lr1-L50-perOutput'. Ignored under --full. A candidate is a different protocol: its verdicts are marked '(changed protocol)' and the option is recorded in each figure's provenance.",
        valueName: "name"))
    var candidate: String?

    @Option(name: .customLong("protocol"), help: ArgumentHelp(
        "Whose protocol the scaling-law figures (fig3, table1-3) follow: 'paper' (the paper's text and Tables 1-3) or 'authors' (the authors' public Fig 3 script; 'authors-generic' for their generic.py).",
        discussion: "The authors' protocol differs in width (256), learning rates, weight decay (none), stopping rule (running average of minibatch losses below 0.1 at two epoch ends), probe (first 2000 shuffled training images) and centring (per output); docs/authors-protocol.md lists every setting and the commit it comes from. Its results sit beside the paper protocol's in the same results.json (figures/, or figures/full/ with --full), drawn as fig3-authors.png/.pdf, and are checked against their own claims (fig3.*.authors*).",
        valueName: "family"))
    var protocolFamily: ScalingLawProtocol.Family = .paper

    @Flag(name: .customLong("cached-only"), help: ArgumentHelp(
        "Train nothing: draw and measure from the finished run records already in --cache.",
        discussion: "Runs not in the cache are left out and named in the figure's notes and claim details (a partial result says so). Use it to look at a long --full run while its remaining runs are still to come. fig5 and fig6 use only their cached results; theory and thmA, which train nothing, compute as usual."))
    var cachedOnly = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs).") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1, got \(seeds).") }
        if let depths {
            guard let list = depthList else {
                throw ValidationError("--depths '\(depths)' is not a comma-separated list of depths such as 10,20,90.")
            }
            let tableDepths = Array(stride(from: 10, through: 100, by: 10))
            if let bad = list.first(where: { !tableDepths.contains($0) }) {
                throw ValidationError("--depths \(bad): the paper's tables have depths 10, 20, ..., 100.")
            }
        }
        if let candidate {
            let known = ScalingLawProtocol.calibrationCandidates(.fashionMNIST).map(\.name)
            guard known.contains(candidate) else {
                throw ValidationError("--candidate '\(candidate)' names no calibration candidate of docs/calibration.md; use one of \(known.joined(separator: ", ")).")
            }
        }
        if let dataDir, !FileManager.default.fileExists(atPath: dataDir) {
            throw ValidationError("--data-dir '\(dataDir)' does not exist.")
        }
    }

    var outputDirectory: URL {
        URL(fileURLWithPath: out ?? (profile == .quick ? "figures" : "figures/full"), isDirectory: true).standardizedFileURL
    }

    /// The options that change a profile's protocol or what is trained, as typed (nil: none).
    var protocolOptionsText: String? {
        var parts: [String] = []
        if let seeds { parts.append("--seeds \(seeds)") }
        if let depths { parts.append("--depths \(depths)") }
        if let candidate { parts.append("--candidate \(candidate)") }
        if protocolFamily != .paper { parts.append("--protocol \(protocolFamily.rawValue)") }
        if cachedOnly { parts.append("--cached-only") }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    var cacheDirectory: URL { URL(fileURLWithPath: cache, isDirectory: true).standardizedFileURL }
    var dataDirectory: URL? { dataDir.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL } }
    var targetsURL: URL { URL(fileURLWithPath: targets).standardizedFileURL }
}

/// Options of the commands that read stored results.
struct ResultsOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Directory holding results.json (and full/results.json).", valueName: "dir"))
    var out: String = "figures"

    @Option(name: .long, help: ArgumentHelp("The claims and tolerances file.", valueName: "file"))
    var targets: String = "paper-targets.json"

    var outputDirectory: URL { URL(fileURLWithPath: out, isDirectory: true).standardizedFileURL }
    var targetsURL: URL { URL(fileURLWithPath: targets).standardizedFileURL }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Maps the project's typed errors to one sentence on stderr and an exit code.
enum Failure {
    static func exit(for error: Error) -> ExitCode {
        if let code = error as? ExitCode { return code }
        if let interrupted = error as? RunError {
            printError("\n" + interrupted.description)
            return ExitCode(Interruption.exitStatus)
        }
        printError("error: \(error)")
        return ExitCode(code(for: error))
    }

    /// The documented exit code of an error (see `reproduce --help`).
    static func code(for error: Error) -> Int32 {
        switch error {
        case let file as FileError:
            switch file {
            case .unwritableDirectory, .writeFailed: return 73
            case .unreadable: return 66
            case .corrupt: return 65
            }
        case let dataset as DatasetError:
            switch dataset {
            case .fileNotFound, .incomplete, .unreadable: return 66
            case .classTooSmall, .invalidRequest: return 64
            default: return 65
            }
        case let plot as PlotError:
            switch plot {
            case .unwritableDirectory, .renameFailed: return 73
            case let .cairoFailure(_, _, status): return status.contains("memory") ? 70 : 73
            case .invalidFigure: return 70
            }
        case is RunRecordError:
            return 65
        case is UsageError, is RunSpecError:
            return 64
        case is RunError:
            return Interruption.exitStatus
        default:
            return 70
        }
    }
}

/// A usage problem found after parsing (e.g. an unknown figure id).
struct UsageError: Error, CustomStringConvertible {
    let description: String
}
