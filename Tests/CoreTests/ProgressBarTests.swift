import XCTest
@testable import Core

/// The terminal progress line: rendering, throttling and styles.
final class ProgressBarTests: XCTestCase {
    private func progress(step: Int, phase: RunProgress.Phase = .training, hash: String = "h1") -> RunProgress {
        RunProgress(label: "fashion-mnist L3 N16", configurationHash: hash, phase: phase, epoch: 2, epochLimit: 4,
                    step: step, stepLimit: 40, trainLoss: 0.41234, trainAccuracy: 0.8512, testAccuracy: 0.8421,
                    elapsedSeconds: 42, sessionSteps: 10, sessionSeconds: 5)
    }

    func testRenderShowsAllFieldsAndEstimate() {
        // 20 of 40 steps: half the bar; ETA = 20 steps · 0.5 s = 10 s.
        XCTAssertEqual(TerminalProgressBar.render(progress(step: 20)),
                       "fashion-mnist L3 N16 [#####-----] epoch 2/4 step 20 loss 0.4123 acc 85.1% test 84.2% 0:42 ETA 0:10")
        XCTAssertEqual(TerminalProgressBar.render(progress(step: 20, phase: .cached)), "fashion-mnist L3 N16 cached (h1)")
        XCTAssertEqual(TerminalProgressBar.render(progress(step: 40, phase: .finished)),
                       "fashion-mnist L3 N16 done: epoch 2, step 40 loss 0.4123 test 84.2% in 0:42")
    }

    func testDurationFormatting() {
        XCTAssertEqual(TerminalProgressBar.duration(0), "0:00")
        XCTAssertEqual(TerminalProgressBar.duration(59.9), "0:59")
        XCTAssertEqual(TerminalProgressBar.duration(3_725), "1:02:05")
        XCTAssertEqual(TerminalProgressBar.duration(-3), "0:00")
        XCTAssertEqual(TerminalProgressBar.duration(.nan), "0:00")
    }

    func testEstimateNeedsATimedStepAndABudget() {
        var report = progress(step: 20)
        report.sessionSteps = 0
        XCTAssertNil(report.estimatedSecondsRemaining)
        report = progress(step: 20)
        report.stepLimit = nil
        XCTAssertNil(report.estimatedSecondsRemaining)
        XCTAssertNil(report.fractionDone)
    }

    func testRedrawStyleThrottlesAndEndsWithNewline() {
        var written: [String] = []
        var now = 0.0
        let bar = TerminalProgressBar(style: .redraw, write: { written.append($0) }, clock: { now }, width: 200)
        bar.update(progress(step: 1))
        now = 0.05
        bar.update(progress(step: 2))  // too soon: skipped
        now = 0.2
        bar.update(progress(step: 3))
        bar.update(progress(step: 40, phase: .finished))  // always drawn
        XCTAssertEqual(written.count, 3)
        XCTAssertTrue(written.allSatisfy { $0.hasPrefix("\r") })
        XCTAssertTrue(written[1].contains("step 3"))
        XCTAssertTrue(written[2].hasSuffix("\n"))
        XCTAssertFalse(written[1].hasSuffix("\n"))
    }

    func testRedrawStyleNeverWrapsAndClearsLeftovers() {
        var written: [String] = []
        let bar = TerminalProgressBar(style: .redraw, write: { written.append($0) }, clock: { 0 }, width: 31)
        bar.update(progress(step: 1))
        XCTAssertEqual(written[0].count, 1 + 30)
        var short = progress(step: 1, phase: .measuring)
        short.label = "x"
        bar.update(short)
        XCTAssertEqual(written[1].count, 1 + 30, "a shorter line is padded to erase the previous one")
    }

    func testLineStylePrintsAtIntervalsAndAtEnd() {
        var written: [String] = []
        var now = 0.0
        let bar = TerminalProgressBar(style: .lines(interval: 30), write: { written.append($0) }, clock: { now })
        bar.update(progress(step: 1))
        now = 10
        bar.update(progress(step: 2))
        now = 31
        bar.update(progress(step: 3))
        now = 32
        bar.update(progress(step: 1, hash: "h2"))  // a new run starts: printed
        bar.update(progress(step: 40, phase: .finished, hash: "h2"))
        XCTAssertEqual(written.count, 4)
        XCTAssertTrue(written.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
    }

    func testSilentStyleWritesNothing() {
        var written: [String] = []
        let bar = TerminalProgressBar(style: .silent, write: { written.append($0) })
        bar.update(progress(step: 1))
        bar.update(progress(step: 40, phase: .finished))
        XCTAssertTrue(written.isEmpty)
    }
}
