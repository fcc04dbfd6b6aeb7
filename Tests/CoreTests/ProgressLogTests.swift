import XCTest
@testable import Core

/// The non-terminal progress sink: one line per run event and a heartbeat, never one per update.
final class ProgressLogTests: XCTestCase {
    private func report(_ hash: String, _ phase: RunProgress.Phase, step: Int, elapsed: Double = 0) -> RunProgress {
        RunProgress(label: "run \(hash)", configurationHash: hash, phase: phase, epoch: 1 + step / 10, epochLimit: 10,
                    step: step, stepLimit: 100, trainLoss: 0.5, elapsedSeconds: elapsed, sessionSteps: step, sessionSeconds: 1)
    }

    /// A fake clock and a captured log.
    private final class Harness {
        var now = 0.0
        var lines: [String] = []
        lazy var log = ProgressLog(heartbeat: 30, write: { [unowned self] in self.lines.append($0) }, clock: { [unowned self] in self.now })
    }

    func testOneLinePerEventAndAHeartbeatEveryInterval() {
        let h = Harness()
        // Two runs interleaving a thousand updates each over 100 s, phases alternating as in a figure.
        h.log.update(report("a", .preparing, step: 0))
        h.log.update(report("b", .preparing, step: 0))
        for step in 1...1000 {
            h.now = Double(step) / 10
            h.log.update(report("a", step % 10 == 0 ? .measuring : .training, step: step))
            h.log.update(report("b", step % 10 == 0 ? .measuring : .training, step: step))
        }
        h.log.update(report("a", .finished, step: 1000))
        h.log.update(report("a", .finished, step: 1000))  // a repeated end is not written twice
        h.log.update(report("b", .finished, step: 1000))
        // Heartbeats at 30, 60, 90 s + 2 finishes; a fresh start writes nothing.
        XCTAssertEqual(h.lines.count, 5, h.lines.joined())
        XCTAssertTrue(h.lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") && $0.filter { $0 == "\n" }.count == 1 })
        XCTAssertTrue(h.lines[0].contains("step 300"), h.lines[0])
        XCTAssertTrue(h.lines[3].hasPrefix("run a done:"), h.lines[3])
        XCTAssertTrue(h.lines[4].hasPrefix("run b done:"), h.lines[4])
    }

    func testHeartbeatWaitsForTheIntervalSinceTheLastLine() {
        let h = Harness()
        h.log.update(report("a", .training, step: 0))     // a fresh start at 0 s: no line
        h.now = 29.9
        h.log.update(report("a", .training, step: 2))     // too soon
        h.now = 30
        h.log.update(report("a", .training, step: 3))     // heartbeat
        h.now = 45
        h.log.update(report("b", .finished, step: 9))     // an event line...
        h.now = 70
        h.log.update(report("a", .training, step: 4))     // ...restarts the interval: 25 s is too soon
        h.now = 75
        h.log.update(report("a", .training, step: 5))     // heartbeat
        XCTAssertEqual(h.lines.count, 3, h.lines.joined())
        XCTAssertTrue(h.lines[0].contains("step 3"))
        XCTAssertTrue(h.lines[1].hasPrefix("run b done:"))
        XCTAssertTrue(h.lines[2].contains("step 5"))
    }

    func testAShortRunIsOneLine() {
        // Bug caught: a start line and a finish line per run, which put `reproduce all --quick`
        // into a pipe over 300 lines.
        let h = Harness()
        for step in 0...50 {
            h.now = Double(step) / 10
            h.log.update(report("a", step == 0 ? .preparing : .training, step: step))
        }
        h.log.update(report("a", .finished, step: 50))
        XCTAssertEqual(h.lines.count, 1, h.lines.joined())
        XCTAssertTrue(h.lines[0].hasPrefix("run a done:"), h.lines[0])
    }

    func testResumeIsAnEventAndACachedRunIsSilent() {
        // Bug caught: one log line per cached run (a mostly cached `all --quick` log of hundreds of lines).
        let h = Harness()
        h.log.update(report("a", .preparing, step: 40, elapsed: 125))
        h.log.update(report("a", .training, step: 41))
        h.log.update(report("c", .cached, step: 100))
        h.now = 1000
        h.log.update(report("c", .cached, step: 100))
        XCTAssertEqual(h.lines, ["run a [a] resuming at step 40 (epoch 5) after 2:05\n"])
    }

    func testLineStyleOfTheBarIsTheLog() {
        var lines: [String] = []
        var now = 0.0
        let bar = TerminalProgressBar(style: .lines(interval: 30), write: { lines.append($0) }, clock: { now })
        for step in 0...500 {
            now = Double(step) / 100
            bar.update(report("a", step == 0 ? .preparing : (step % 5 == 0 ? .measuring : .training), step: step))
        }
        bar.update(report("a", .finished, step: 500))
        XCTAssertEqual(lines.count, 1, "the finish only within 5 s: \(lines)")
    }

    /// The Hessian study (Fig 5) logs a handful of lines, not one per measurement.
    func testHessianStudyLogsAFewLinesNotOnePerMeasurement() throws {
        let shape = DatasetName.fashionMNIST.imageShape
        var generator = SeededGenerator(seed: 3)
        let labels = (0..<20).map { $0 % 10 }
        let features = Matrix<Float>(rows: 20, columns: shape.featureCount,
                                     storage: (0..<(20 * shape.featureCount)).map { _ in Float(generator.nextNormal()) })
        let train = Dataset(name: .fashionMNIST, partition: .train, features: features, labels: labels, classCount: 10, imageShape: shape)
        let configuration = HessianStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 2, probePerClass: 1, width: 4, depth: 2,
                                                      learningRate: 0.05, steps: 40, measureEvery: 2, eigenpairs: 2,
                                                      lanczosIterations: 4, seed: 1)
        var lines: [String] = []
        let study = try HessianTrainingStudy.run(configuration, split: DatasetSplit(train: train, test: train)) { lines.append($0) }
        XCTAssertEqual(study.measurementSteps.count, 21, "every measurement is still taken")
        let training = lines.filter { $0.hasPrefix("step ") }
        XCTAssertEqual(training.map { $0.split(separator: ":")[0] }, ["step 0/40", "step 20/40", "step 40/40"])
        XCTAssertEqual(lines.filter { $0.hasPrefix("Lanczos") }.count, 3)
    }
}
