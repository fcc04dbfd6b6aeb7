import ArgumentParser
import Core
import Foundation

/// `reproduce bench`: how fast this machine trains and measures alignments.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure BLAS, training and alignment speed on this machine.",
        discussion: HelpText.reflow("""
            Prints, from one run:
              1. the OpenBLAS kernel in use (Haswell, Zen, SkylakeX, ...; "Prescott"
                 is the slow generic fallback: set OPENBLAS_CORETYPE) and threads;
              2. sgemm GFLOP/s on the exact matrix shapes of a training step
                 (batch 128, d = 784);
              3. training samples/s for depth 10, 50, 100 x width 100, 256, and
                 the step's efficiency: the time its own sgemm calls take alone
                 divided by the whole step's time. Above 60 % means the step runs
                 at >= 60 % of the sgemm speed of its own shapes; the rest is
                 ReLU, loss, bias and optimiser work;
              4. the time to compute every layer's alignment A_l of a depth-100,
                 width-256 network on 500 probe samples (nk = 5000), as a figure
                 does at each snapshot, with --threads BLAS threads and, when the
                 machine has more cores, with all of them.

            Every number is the median of --repeats measurements, each long
            enough to be stable; the spread (max - min) / median shows how much
            the machine's load disturbed them. Build in release
            (swift build -c release) before trusting the numbers.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Measurements per number (median and spread are reported).", valueName: "n"))
    var repeats: Int = 5

    @Option(name: .long, help: ArgumentHelp("OpenBLAS threads (runs use 1 each; the default).", valueName: "n"))
    var threads: Int = 1

    @Option(name: .customLong("alignment-repeats"), help: ArgumentHelp("Repeats of the depth-100 alignment timing (0 skips it).", valueName: "n"))
    var alignmentRepeats: Int = 3

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats).") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads).") }
        guard alignmentRepeats >= 0 else { throw ValidationError("--alignment-repeats must be 0 or more, got \(alignmentRepeats).") }
    }

    func run() throws {
        BLASRuntime.setThreadCount(threads)
        let batch = 128, inputs = 784, classes = 10
        print("OpenBLAS kernel: \(BLASRuntime.coreName)\(BLASRuntime.isGenericKernel ? " (generic fallback: slow)" : ""), threads: \(EngineBenchmark.blasThreadCount)")
        print("Timings: median of \(repeats) (spread = (max − min)/median)\n")

        print("sgemm on the shapes of a training step (batch \(batch)):")
        var seen = Set<String>()
        for width in [100, 256] {
            let architecture = DenseArchitecture(inputDimension: inputs, width: width, depth: 3, outputDimension: classes, hasBias: true)
            for shape in EngineBenchmark.trainingStepGemms(architecture: architecture, batchSize: batch) {
                let key = shape.description
                guard seen.insert(key).inserted else { continue }
                let timing = EngineBenchmark.timeGemms([shape], repeats: repeats, minimumSeconds: 0.1)
                print("  \(pad(shape.description, 26)) \(pad(role(shape.role), 16)) \(format(shape.flops / timing.median / 1e9, 6, 1)) GFLOP/s  ±\(percent(timing.relativeSpread))")
            }
        }

        print("\nTraining (SGD + momentum, cross-entropy, batch \(batch), d = \(inputs), k = \(classes)):")
        print("  depth  width   samples/s   step ms   step GFLOP/s   sgemm-alone GFLOP/s   efficiency")
        for depth in [10, 50, 100] {
            for width in [100, 256] {
                let architecture = DenseArchitecture(inputDimension: inputs, width: width, depth: depth, outputDimension: classes, hasBias: true)
                let shapes = EngineBenchmark.trainingStepGemms(architecture: architecture, batchSize: batch)
                let flops = shapes.reduce(0) { $0 + $1.flops }
                let (step, gemms) = EngineBenchmark.timeTrainingStepAndItsGemms(architecture: architecture, batchSize: batch, repeats: repeats)
                print("  \(format(depth, 5))  \(format(width, 5))  \(format(Double(batch) / step.median, 10, 0))  \(format(step.median * 1e3, 8, 2))  \(format(flops / step.median / 1e9, 13, 1))  \(format(flops / gemms.median / 1e9, 20, 1))  \(format(100 * gemms.median / step.median, 10, 0)) %   (±\(percent(step.relativeSpread)))")
            }
        }

        guard alignmentRepeats > 0 else { return }
        let architecture = DenseArchitecture(inputDimension: inputs, width: 256, depth: 100, outputDimension: classes, hasBias: true)
        print("\nAll A_l of depth 100, width 256 on 500 probe samples (nk = 5000, \(alignmentRepeats) runs):")
        var threadCounts = [threads]
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if cores > threads { threadCounts.append(cores) }
        for count in threadCounts {
            BLASRuntime.setThreadCount(count)
            let timing = EngineBenchmark.timeAlignments(architecture: architecture, probeCount: 500, repeats: alignmentRepeats)
            print("  \(count) BLAS thread\(count == 1 ? "" : "s"): \(format(timing.median, 0, 2)) s  (±\(percent(timing.relativeSpread)))")
        }
        BLASRuntime.setThreadCount(threads)
    }

    private func role(_ text: String) -> String {
        text.split(separator: " ").dropLast().joined(separator: " ")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Double, _ width: Int, _ decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    private func format(_ value: Int, _ width: Int) -> String { format(Double(value), width, 0) }

    private func percent(_ fraction: Double) -> String { String(format: "%.0f%%", 100 * fraction) }
}
