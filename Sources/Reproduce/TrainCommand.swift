import ArgumentParser
import Core
import Dispatch
import Foundation

/// `reproduce train`: one training run of a fully connected ReLU network, with a
/// progress bar, cached and resumable like every run of the figures.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one fully connected network and measure its layer alignments A_l.",
        discussion: HelpText.reflow("""
            Example (the setting of the paper's Fig. 2/7 with width 100):
              reproduce train --depth 10 --width 100 --lr 0.003 --epochs 20

            Alignments are measured on a class-balanced probe drawn from the training set and on a test probe of the same size: at initialisation, at log-spaced steps during the first epoch, after every epoch and at the stop. The record (JSON) is written to the cache directory under the run's configuration hash; running the same command again prints it without training (after checking it: checksum, contents, and that it was trained on the dataset files now read). Ctrl-C or SIGTERM saves a checkpoint; the same command resumes from it. A second identical training on the same cache waits for the first (naming it) and then prints its record.

            Assumption: the paper says only "SGD with momentum and weight decay"; the defaults momentum 0.9 and weight decay 5e-4 are the usual choices, not the paper's numbers.
            """)
    )

    @Option(help: ArgumentHelp("The dataset to train on (standardised per channel with training-set statistics).", valueName: "name"))
    var dataset: DatasetName = .fashionMNIST

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of weight layers L (L − 1 hidden ReLU layers); at least 1.", valueName: "L"))
    var depth: Int = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Width N of every hidden layer; at least 1, and small enough for the run to fit in memory.", valueName: "N"))
    var width: Int = 256

    @Flag(name: .customLong("no-bias"), help: "Train without bias vectors (the tangent kernel then loses its bias term, paper Eq. 9).")
    var noBias = false

    @Option(name: .customLong("optimizer"), help: ArgumentHelp("The optimiser: sgd (momentum, weight decay) or adam (β₁ 0.9, β₂ 0.999, ε 1e-8).", valueName: "name"))
    var optimizer: OptimizerChoice = .sgd

    @Option(name: .customLong("loss"), help: ArgumentHelp("The training loss: cross-entropy (softmax, the paper's) or mse (½‖f − one-hot‖², summed over outputs).", valueName: "name"))
    var loss: LossChoice = .crossEntropy

    @Option(name: .customLong("lr"), parsing: .unconditional, help: ArgumentHelp("Learning rate η; a positive number.", valueName: "η"))
    var learningRate: Double = 0.003

    @Option(parsing: .unconditional, help: ArgumentHelp("SGD momentum μ in [0, 1) (default 0.9; sgd only).", valueName: "μ"))
    var momentum: Double?

    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: ArgumentHelp("L2 weight decay λ added to the gradient; 0 or more (default 5e-4, an assumption: the paper gives no value).", valueName: "λ"))
    var weightDecay: Double = 5e-4

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("Minibatch size; the last minibatch of an epoch holds the remainder.", valueName: "n"))
    var batchSize: Int = 128

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many epochs (one of --epochs, --until-loss, --steps).", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("until-loss"), parsing: .unconditional, help: ArgumentHelp("Stop at the end of the first epoch whose mean minibatch loss is below this (the paper uses 0.1).", valueName: "loss"))
    var untilLoss: Double?

    @Option(name: .customLong("max-epochs"), parsing: .unconditional, help: ArgumentHelp("Epoch cap for --until-loss (default 500).", valueName: "n"))
    var maxEpochs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many optimiser steps (possibly mid-epoch).", valueName: "n"))
    var steps: Int?

    @Option(name: .customLong("train-per-class"), parsing: .unconditional, help: ArgumentHelp("Train on a class-balanced subset of this many samples per class (default: the full training set).", valueName: "n"))
    var trainPerClass: Int?

    @Option(name: .customLong("probe-per-class"), parsing: .unconditional, help: ArgumentHelp("Probe samples per class for A_l, drawn from the training samples (0: measure no alignments).", valueName: "n"))
    var probePerClass: Int = 50

    @Option(name: .customLong("label-noise"), parsing: .unconditional, help: ArgumentHelp("Fraction of training labels replaced by a different random class, between 0 and 1.", valueName: "fraction"))
    var labelNoise: Double = 0

    @Option(parsing: .unconditional, help: "Seed of every random stream (initialisation, subset, probes, batch order).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Centring of kernel and targets in A_l: full (C = I − 11ᵀ/nk, paper Eq. 6), none (C = I), or per-output (centre over samples separately for each output, as nngeometry does).", valueName: "kind"))
    var centring: CentringChoice = .full

    @Option(help: ArgumentHelp("Cache directory for run records and checkpoints.", valueName: "dir"))
    var cache: String = ".cache/reproduce"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Directory with the datasets in their standard formats (Fashion-MNIST is also found in /usr/share/datasets/fashion-mnist).", valueName: "dir"))
    var dataDir: String?

    @Flag(name: .customLong("save-weights"), help: "Save the final weights next to the record.")
    var saveWeights = false

    @Flag(help: "No progress output.")
    var quiet = false

    /// Checks what only the flags can get wrong (how they combine, the data directory, the
    /// memory the run needs), then the run they describe: every range check lives in
    /// ``RunSpec/validate()``, whose message becomes the usage error.
    func validate() throws {
        let rules = [epochs != nil, untilLoss != nil, steps != nil].filter { $0 }.count
        guard rules == 1 else {
            throw ValidationError(rules == 0
                ? "choose when to stop: --epochs N, --until-loss 0.1 [--max-epochs 500], or --steps N."
                : "give only one of --epochs, --until-loss and --steps.")
        }
        if momentum != nil, optimizer != .sgd { throw ValidationError("--momentum applies to --optimizer sgd only.") }
        if maxEpochs != nil, untilLoss == nil {
            throw ValidationError("--max-epochs goes with --until-loss; use --epochs for a fixed length.")
        }
        if let dataDir, !FileManager.default.fileExists(atPath: dataDir) {
            throw ValidationError("--data-dir '\(dataDir)' does not exist.")
        }
        let spec = self.spec
        do {
            try spec.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        let memory = MemoryEstimate(spec: spec)
        let available = MemoryEstimate.physicalMemory
        if memory.bytes > available {
            throw ValidationError("""
                --depth \(depth) --width \(width): the run needs at least \(MemoryEstimate.text(bytes: memory.bytes)) \
                (\(String(format: "%.3g", memory.parameterCount)) parameters × 4 bytes × \(memory.parameterCopies) copies: \
                weights, gradient, optimiser state; plus activations), more than this machine's \
                \(MemoryEstimate.text(bytes: available)) of memory; use a smaller --width or --depth.
                """)
        }
    }

    /// The run these flags describe (``RunSpec/validate()`` says whether it can be carried out).
    var spec: RunSpec {
        let optimizer: OptimizerSettings
        switch self.optimizer {
        case .adam: optimizer = .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay)
        case .sgd: optimizer = .sgd(learningRate: learningRate, momentum: momentum ?? 0.9, weightDecay: weightDecay)
        }
        let stopping: StoppingRule
        if let epochs {
            stopping = .epochs(epochs)
        } else if let untilLoss {
            stopping = .trainLossBelow(threshold: untilLoss, maxEpochs: maxEpochs ?? 500)
        } else {
            stopping = .steps(steps ?? 1)
        }
        let schedule = probePerClass == 0
            ? AlignmentSchedule.never
            : AlignmentSchedule(atInitialisation: true, logSpacedStepsPerDecade: 5, logSpacedUntilEpoch: 1,
                                everyEpoch: true, atStop: true, centring: centring.centring)
        return RunSpec(dataset: dataset, trainSubsetPerClass: trainPerClass, probePerClass: probePerClass,
                       architecture: RunSpec.architecture(for: dataset, width: width, depth: depth, hasBias: !noBias),
                       optimizer: optimizer, loss: loss.loss, batchSize: batchSize, stopping: stopping,
                       alignment: schedule, labelNoiseFraction: labelNoise, seed: seed, saveFinalWeights: saveWeights)
    }

    func run() throws {
        let spec = self.spec
        let cacheDirectory = URL(fileURLWithPath: cache, isDirectory: true).standardizedFileURL
        let bar = TerminalProgressBar(style: quiet ? .silent : .automatic)
        var runner = Runner(cache: RunCache(directory: cacheDirectory),
                            dataDirectory: dataDir.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL },
                            progress: bar)
        Interruption.install()
        runner.stopRequested = { _ in Interruption.isRequested }
        runner.notice = { printError($0) }
        let record: RunRecord
        let check: DataCheck
        do {
            if let error = DatasetLocator.partialCopyError(of: spec.dataset, dataDirectory: runner.dataDirectory) { throw error }
            try AtomicFile.ensureWritableDirectory(cacheDirectory)
            (record, check) = try runner.runChecked(spec)
        } catch let error as RunSpecError {
            FileHandle.standardError.write(Data(("error: " + error.description + "\n").utf8))
            throw ExitCode(64)
        } catch {
            throw Failure.exit(for: error)
        }
        for line in Self.summary(of: record, recordPath: runner.cache.recordURL(for: spec).relativePathFromCurrentDirectory) {
            print(line)
        }
        if case let .unchecked(reason) = check {
            print("unverified: \(reason)")
        }
    }

    /// The lines printed after a run: final accuracies, final A_l, where the record is.
    static func summary(of record: RunRecord, recordPath: String) -> [String] {
        let percent = { (value: Double) in String(format: "%.2f%%", value * 100) }
        let loss = { (value: Double) in String(format: "%.4f", value) }
        let stop: String
        switch record.stopReason {
        case .thresholdReached: stop = "train loss below \(record.spec.stopping.thresholdText)"
        case .epochCap: stop = "epoch cap"
        case .stepCap: stop = "step cap"
        case .diverged: stop = "DIVERGED (non-finite loss)"
        }
        var lines = [
            "\(record.spec.label) [\(record.configurationHash)]",
            "stopped after \(record.epochCount) epochs, \(record.totalSteps) steps (\(stop)) in \(TerminalProgressBar.duration(record.wallSeconds))",
            "final train accuracy \(percent(record.finalTrain.accuracy)) (loss \(loss(record.finalTrain.loss)), whole training set); test accuracy \(percent(record.finalTest.accuracy)) (loss \(loss(record.finalTest.loss)))",
        ]
        if let last = record.finalAlignment {
            let format = { (values: [Double]) in values.map { String(format: "%.3f", $0) }.joined(separator: " ") }
            lines.append("A_l train probe (l = 1…\(last.trainProbe.count)): \(format(last.trainProbe))")
            lines.append("A_l test probe  (l = 1…\(last.testProbe.count)): \(format(last.testProbe))")
        }
        lines.append("record: \(recordPath)")
        return lines
    }
}

extension StoppingRule {
    /// The threshold of a loss rule, as text ("" for other rules).
    fileprivate var thresholdText: String {
        if case let .trainLossBelow(threshold, _) = self { return "\(threshold)" }
        return ""
    }
}
