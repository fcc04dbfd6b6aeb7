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
        discussion: """
            Example (the setting of the paper's Fig. 2/7 with width 100): reproduce train --depth 10 --width 100 --lr 0.003 --epochs 20

            Alignments are measured on a class-balanced probe drawn from the training set and on a test probe of the same size: at initialisation, at log-spaced steps during the first epoch, after every epoch and at the stop. The record (JSON) is written to the cache directory under the run's configuration hash; running the same command again prints it without training (after checking it: checksum, contents, and that it was trained on the dataset files now read). Ctrl-C or SIGTERM saves a checkpoint; the same command resumes from it. A second identical training on the same cache waits for the first (naming it) and then prints its record.

            Assumption: the paper says only "SGD with momentum and weight decay"; the defaults momentum 0.9 and weight decay 5e-4 are the usual choices, not the paper's numbers.
            """
    )

    @Option(help: ArgumentHelp("Dataset: fashion-mnist, mnist, kmnist, cifar10 or cifar100.", valueName: "name"))
    var dataset: String = DatasetName.fashionMNIST.rawValue

    @Option(help: "Number of weight layers L.")
    var depth: Int = 10

    @Option(help: "Width N of every hidden layer.")
    var width: Int = 256

    @Flag(name: .customLong("no-bias"), help: "Train without bias vectors.")
    var noBias = false

    @Option(name: .customLong("optimizer"), help: ArgumentHelp("sgd (momentum, weight decay) or adam (β₁ 0.9, β₂ 0.999, ε 1e-8).", valueName: "sgd|adam"))
    var optimizerName: String = "sgd"

    @Option(name: .customLong("lr"), help: "Learning rate.")
    var learningRate: Double = 0.003

    @Option(help: "SGD momentum (default 0.9; sgd only).")
    var momentum: Double?

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay added to the gradient (default 5e-4, an assumption: the paper gives no value).")
    var weightDecay: Double = 5e-4

    @Option(name: .customLong("batch-size"), help: "Minibatch size.")
    var batchSize: Int = 128

    @Option(help: ArgumentHelp("Stop after this many epochs.", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("until-loss"), help: ArgumentHelp("Stop at the end of the first epoch whose mean minibatch loss is below this (the paper uses 0.1).", valueName: "loss"))
    var untilLoss: Double?

    @Option(name: .customLong("max-epochs"), help: ArgumentHelp("Epoch cap for --until-loss (default 500).", valueName: "n"))
    var maxEpochs: Int?

    @Option(help: ArgumentHelp("Stop after this many optimiser steps (possibly mid-epoch).", valueName: "n"))
    var steps: Int?

    @Option(name: .customLong("train-per-class"), help: ArgumentHelp("Train on a class-balanced subset of this many samples per class (default: the full training set).", valueName: "n"))
    var trainPerClass: Int?

    @Option(name: .customLong("probe-per-class"), help: ArgumentHelp("Probe samples per class for A_l (0: measure no alignments).", valueName: "n"))
    var probePerClass: Int = 50

    @Option(name: .customLong("label-noise"), help: ArgumentHelp("Fraction of training labels replaced by a different random class.", valueName: "fraction"))
    var labelNoise: Double = 0

    @Option(help: "Seed of every random stream (initialisation, subset, probes, batch order).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Centring in A_l: full (paper Eq. 6), none, or per-output.", valueName: "kind"))
    var centring: String = Centring.full.rawValue

    @Option(help: ArgumentHelp("Cache directory for run records and checkpoints.", valueName: "dir"))
    var cache: String = ".cache/reproduce"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Directory with the datasets in their standard formats (Fashion-MNIST is also found in /usr/share/datasets/fashion-mnist).", valueName: "dir"))
    var dataDir: String?

    @Flag(name: .customLong("save-weights"), help: "Save the final weights next to the record.")
    var saveWeights = false

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        guard DatasetName(rawValue: dataset) != nil else {
            throw ValidationError("unknown dataset '\(dataset)'; use one of \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard depth >= 1 else { throw ValidationError("--depth must be at least 1, got \(depth).") }
        guard width >= 1 else { throw ValidationError("--width must be at least 1, got \(width).") }
        guard ["sgd", "adam"].contains(optimizerName) else {
            throw ValidationError("--optimizer must be sgd or adam, got '\(optimizerName)'.")
        }
        guard learningRate.isFinite, learningRate > 0 else { throw ValidationError("--lr must be a positive number, got \(learningRate).") }
        if let momentum {
            guard optimizerName == "sgd" else { throw ValidationError("--momentum applies to --optimizer sgd only.") }
            guard momentum.isFinite, momentum >= 0, momentum < 1 else {
                throw ValidationError("--momentum must lie in [0, 1), got \(momentum).")
            }
        }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw ValidationError("--weight-decay must be 0 or more, got \(weightDecay).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize).") }
        let rules = [epochs != nil, untilLoss != nil, steps != nil].filter { $0 }.count
        guard rules == 1 else {
            throw ValidationError(rules == 0
                ? "choose when to stop: --epochs N, --until-loss 0.1 [--max-epochs 500], or --steps N."
                : "give only one of --epochs, --until-loss and --steps.")
        }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs).") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps).") }
        if let untilLoss, !(untilLoss.isFinite && untilLoss > 0) {
            throw ValidationError("--until-loss must be a positive number such as 0.1, got \(untilLoss).")
        }
        if let maxEpochs {
            guard untilLoss != nil else { throw ValidationError("--max-epochs goes with --until-loss; use --epochs for a fixed length.") }
            guard maxEpochs >= 1 else { throw ValidationError("--max-epochs must be at least 1, got \(maxEpochs).") }
        }
        if let trainPerClass, trainPerClass < 1 {
            throw ValidationError("--train-per-class must be at least 1, got \(trainPerClass).")
        }
        guard probePerClass >= 0 else { throw ValidationError("--probe-per-class must be 0 or more, got \(probePerClass).") }
        if let trainPerClass, probePerClass > trainPerClass {
            throw ValidationError("--probe-per-class (\(probePerClass)) cannot exceed --train-per-class (\(trainPerClass)): the probe is drawn from the training samples.")
        }
        guard labelNoise.isFinite, labelNoise >= 0, labelNoise <= 1 else {
            throw ValidationError("--label-noise must lie between 0 and 1, got \(labelNoise).")
        }
        guard parsedCentring != nil else {
            throw ValidationError("--centring must be full, none or per-output, got '\(centring)'.")
        }
        if let dataDir, !FileManager.default.fileExists(atPath: dataDir) {
            throw ValidationError("--data-dir '\(dataDir)' does not exist.")
        }
        do {
            try spec.validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    private var parsedCentring: Centring? {
        switch centring.lowercased() {
        case "full": return .full
        case "none": return Centring.none
        case "per-output", "peroutput": return .perOutput
        default: return nil
        }
    }

    /// The run these flags describe (call after `validate()`).
    var spec: RunSpec {
        let name = DatasetName(rawValue: dataset) ?? .fashionMNIST
        let optimizer: OptimizerSettings = optimizerName == "adam"
            ? .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay)
            : .sgd(learningRate: learningRate, momentum: momentum ?? 0.9, weightDecay: weightDecay)
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
                                everyEpoch: true, atStop: true, centring: parsedCentring ?? .full)
        return RunSpec(dataset: name, trainSubsetPerClass: trainPerClass, probePerClass: probePerClass,
                       architecture: RunSpec.architecture(for: name, width: width, depth: depth, hasBias: !noBias),
                       optimizer: optimizer, loss: .crossEntropy, batchSize: batchSize, stopping: stopping,
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
