import Foundation
import XCTest

/// `reproduce train` through the built binary: typed flag values, usage errors, log-friendly progress.
final class TrainCommandLineTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reproduce-train-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary with both standard streams on pipes (so standard error is not a terminal).
    private func train(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("reproduce")
        process.arguments = ["train"] + arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testProgressIntoAPipeIsAFewLinesNotOnePerStep() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        // 200 steps over two epochs, measured at 12 log-spaced steps and every epoch: over 200 progress updates.
        let run = try train(["--depth", "3", "--width", "16", "--train-per-class", "20", "--probe-per-class", "2",
                             "--batch-size", "2", "--steps", "200", "--cache", "cache"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        // A finish line, plus at most one heartbeat should the machine be slow.
        XCTAssertGreaterThanOrEqual(lines.count, 1, run.stderr)
        XCTAssertLessThanOrEqual(lines.count, 2, run.stderr)
        XCTAssertFalse(run.stderr.contains("\r"), "no carriage-return redraws in a log")
        XCTAssertTrue(lines.last!.contains("done: epoch 2, step 200"), String(lines.last!))
        XCTAssertTrue(run.stdout.contains("stopped after 2 epochs, 200 steps"), run.stdout)
    }

    func testNegativeDepthSaysWhatIsWrongWithTheValue() throws {
        let run = try train(["--depth", "-1", "--epochs", "1", "--cache", "cache"])
        XCTAssertEqual(run.status, 64, run.stderr)
        XCTAssertTrue(run.stderr.contains("the depth L is -1"), run.stderr)
        XCTAssertFalse(run.stderr.contains("Missing value"), run.stderr)
    }

    func testAWidthThatCannotFitInMemoryIsAUsageErrorBeforeAnyAllocation() throws {
        let run = try train(["--width", "100000000", "--epochs", "1", "--cache", "cache"])
        XCTAssertEqual(run.status, 64, run.stderr)
        XCTAssertTrue(run.stderr.contains("of memory; use a smaller --width or --depth"), run.stderr)
        XCTAssertTrue(run.stderr.contains("parameters × 4 bytes × 3 copies"), run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "nothing was written")
    }

    func testEnumValuedFlagsNameTheirAllowedValues() throws {
        let optimizer = try train(["--optimizer", "rmsprop", "--epochs", "1"])
        XCTAssertEqual(optimizer.status, 64)
        XCTAssertTrue(optimizer.stderr.contains("sgd") && optimizer.stderr.contains("adam"), optimizer.stderr)
        let dataset = try train(["--dataset", "imagenet", "--epochs", "1"])
        XCTAssertEqual(dataset.status, 64)
        XCTAssertTrue(dataset.stderr.contains("fashion-mnist") && dataset.stderr.contains("cifar100"), dataset.stderr)
        let centring = try train(["--centring", "diagonal", "--epochs", "1"])
        XCTAssertEqual(centring.status, 64)
        XCTAssertTrue(centring.stderr.contains("per-output"), centring.stderr)
    }

    func testRangeErrorsComeFromTheRunSpecification() throws {
        let rate = try train(["--lr", "0", "--epochs", "1"])
        XCTAssertEqual(rate.status, 64, rate.stderr)
        XCTAssertTrue(rate.stderr.contains("learning rate is 0.0; use a positive number"), rate.stderr)
        let batch = try train(["--batch-size", "0", "--epochs", "1"])
        XCTAssertEqual(batch.status, 64, batch.stderr)
        XCTAssertTrue(batch.stderr.contains("the batch size is 0"), batch.stderr)
        let probe = try train(["--train-per-class", "5", "--probe-per-class", "6", "--epochs", "1"])
        XCTAssertEqual(probe.status, 64, probe.stderr)
        XCTAssertTrue(probe.stderr.contains("use a probe of at most 5"), probe.stderr)
    }

    func testHelpListsTheAllowedValues() throws {
        let help = try train(["--help"])
        XCTAssertEqual(help.status, 0)
        let text = help.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        for values in ["fashion-mnist, mnist, kmnist, cifar10, cifar100", "sgd, adam", "cross-entropy, mse", "full, none, per-output"] {
            XCTAssertTrue(text.contains(values), "--help lists \(values): \(help.stdout)")
        }
    }
}
