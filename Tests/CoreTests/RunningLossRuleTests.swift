import XCTest
@testable import Core

/// The authors' running-average stopping rule and their probe selection (`--protocol authors`),
/// checked against direct recomputations from what the record keeps.
final class RunningLossRuleTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("RunningLossRuleTests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// 100 training samples in one batch: one optimiser step per epoch, so each epoch's mean
    /// train loss *is* its only minibatch loss, and the running average can be recomputed from
    /// the epoch entries alone.
    private func fullBatchSpec(_ stopping: StoppingRule, probe: ProbeSelection? = nil) -> RunSpec {
        RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 10, probePerClass: 0,
                architecture: RunSpec.architecture(for: .fashionMNIST, width: 12, depth: 3),
                optimizer: .sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 0), batchSize: 100,
                stopping: stopping,
                alignment: AlignmentSchedule(atInitialisation: true, atStop: true, centring: .perOutput, atMilestones: true),
                seed: 5, probeSelection: probe ?? .leadingSamples(trainCount: 30, testCount: 20))
    }

    private func run(_ spec: RunSpec, in name: String, stopAtStep: Int? = nil) throws -> RunRecord {
        var runner = Runner(cache: RunCache(directory: directory.appendingPathComponent(name)), dataDirectory: nil, progress: nil)
        if let stopAtStep { runner.stopRequested = { $0.step == stopAtStep } }
        return try runner.run(spec) { try RunnerTests.smallSplit.get() }
    }

    private static func rule(_ threshold: Double, _ finalThreshold: Double, cap: Int) -> StoppingRule {
        .runningLossBelow(threshold: threshold, finalThreshold: finalThreshold, smoothing: 0.9, consecutiveEpochs: 2, maxEpochs: cap)
    }

    /// r_1 = loss_1, r_e = 0.9·r_{e−1} + 0.1·loss_e, from the epoch losses (one batch per epoch).
    private static func runningAverages(_ losses: [Double]) -> [Double] {
        var result: [Double] = []
        for loss in losses { result.append(result.last.map { 0.9 * $0 + 0.1 * loss } ?? loss) }
        return result
    }

    /// The first epoch e ≥ 2 (1-based) with r_{e−1} and r_e both below `threshold`.
    private static func firstTwoBelow(_ threshold: Double, in running: [Double]) -> Int? {
        (1..<running.count).first { running[$0 - 1] < threshold && running[$0] < threshold }.map { $0 + 1 }
    }

    func testRunningAverageAndMilestonesFollowADirectRecomputation() throws {
        // Bug caught: averaging the epoch means instead of the minibatch losses, resetting the
        // average each epoch, or a wrong γ — the recomputed sequence would differ.
        let capped = try run(fullBatchSpec(Self.rule(1e-9, 1e-10, cap: 40)), in: "capped")
        XCTAssertEqual(capped.stopReason, .epochCap)
        XCTAssertEqual(capped.epochs.count, 40)
        let running = Self.runningAverages(capped.epochs.map(\.trainLoss))
        for (entry, expected) in zip(capped.epochs, running) {
            XCTAssertEqual(try XCTUnwrap(entry.runningTrainLoss), expected, accuracy: 1e-12 * max(1, expected))
        }
        XCTAssertEqual(capped.milestones ?? [], [])
        XCTAssertGreaterThan(running[0], running[39], "the loss must fall for the thresholds below to mean anything")

        // Thresholds between readings: the milestone at the 10th reading's value, the stop at the 30th's.
        let threshold = running[9] * 1.000001, finalThreshold = running[29] * 1.000001
        let milestoneEpoch = try XCTUnwrap(Self.firstTwoBelow(threshold, in: running))
        let stopEpoch = try XCTUnwrap(Self.firstTwoBelow(finalThreshold, in: running))
        XCTAssertLessThan(milestoneEpoch, stopEpoch)
        let record = try run(fullBatchSpec(Self.rule(threshold, finalThreshold, cap: 40)), in: "stopped")
        XCTAssertEqual(record.stopReason, .thresholdReached)
        XCTAssertEqual(record.epochs.count, stopEpoch)
        XCTAssertEqual(record.milestones, [RunMilestone(threshold: threshold, epoch: milestoneEpoch, step: milestoneEpoch),
                                           RunMilestone(threshold: finalThreshold, epoch: stopEpoch, step: stopEpoch)])
        // Alignments at initialisation, at the milestone and at the stop; the same network
        // states as the capped run up to there (same spec but for the rule: same streams).
        XCTAssertEqual(record.alignments.map(\.step), [0, milestoneEpoch, stopEpoch])
        XCTAssertEqual(record.alignment(atMilestone: threshold)?.step, milestoneEpoch)
        XCTAssertEqual(record.epochs.map(\.trainLoss), Array(capped.epochs.map(\.trainLoss).prefix(stopEpoch)))
    }

    func testOneReadingBelowTheThresholdIsNotEnough() throws {
        // Bug caught: stopping on a single epoch end (consecutiveEpochs ignored).
        let capped = try run(fullBatchSpec(Self.rule(1e-9, 1e-10, cap: 12)), in: "capped")
        let running = Self.runningAverages(capped.epochs.map(\.trainLoss))
        // Threshold just above the first reading: the first reading alone is below it, but the
        // rule needs two, so the stop comes at the second epoch at the earliest.
        let record = try run(fullBatchSpec(Self.rule(running[0] * 1.000001, running[0] * 1.000001, cap: 12)), in: "two")
        XCTAssertEqual(record.epochs.count, try XCTUnwrap(Self.firstTwoBelow(running[0] * 1.000001, in: running)))
        XCTAssertGreaterThanOrEqual(record.epochs.count, 2)
    }

    func testInterruptedRunWithARunningAverageResumesBitForBit() throws {
        // Bug caught: the running average (or the milestones) not kept in the checkpoint.
        let spec = fullBatchSpec(Self.rule(1e-9, 1e-10, cap: 15))
        let straight = try run(spec, in: "straight")
        XCTAssertThrowsError(try run(spec, in: "resumed", stopAtStep: 7))
        let resumed = try run(spec, in: "resumed")
        XCTAssertEqual(try CanonicalJSON.string(for: resumed.deterministicPart), try CanonicalJSON.string(for: straight.deterministicPart))
    }

    func testLeadingProbesAreAShuffledPrefixAndTheFirstTestImages() throws {
        let spec = fullBatchSpec(.epochs(1), probe: .leadingSamples(trainCount: 30, testCount: 20))
        let split = try RunnerTests.smallSplit.get()
        let data = try RunData(spec: spec, split: split)
        let trainProbe = try XCTUnwrap(data.trainProbe), testProbe = try XCTUnwrap(data.testProbe)
        XCTAssertEqual(trainProbe.count, 30)
        // The test probe is the first 20 test images in file order, with their labels.
        XCTAssertEqual(testProbe.labels, Array(split.test.labels.prefix(20)))
        XCTAssertEqual(testProbe.featureRows(Array(0..<20)).storage, split.test.featureRows(Array(0..<20)).storage)
        // The training probe: 30 distinct training samples in shuffled (not file) order; a
        // Fisher–Yates prefix is the prefix of the full shuffle with the same draws.
        var generator = SeededGenerator(seed: spec.seed).derived("probe")
        let positions = RunData.leadingPositions(count: 30, of: data.train.count, generator: &generator)
        XCTAssertEqual(Set(positions).count, 30)
        XCTAssertNotEqual(positions, positions.sorted())
        var again = SeededGenerator(seed: spec.seed).derived("probe")
        XCTAssertEqual(Array(RunData.leadingPositions(count: data.train.count, of: data.train.count, generator: &again).prefix(30)), positions)
        XCTAssertEqual(trainProbe.labels, positions.map { data.train.labels[$0] })
    }

    func testUnsetOptionsLeaveTheCanonicalJSONAndHashUnchanged() throws {
        // Bug caught: a new optional field encoded as null, which would re-key every committed record.
        let plain = RunSpec(dataset: .fashionMNIST, architecture: RunSpec.architecture(for: .fashionMNIST, width: 10, depth: 3),
                            optimizer: .sgd(learningRate: 0.1, momentum: 0, weightDecay: 0), stopping: .epochs(1))
        let json = try CanonicalJSON.string(for: plain)
        XCTAssertFalse(json.contains("probeSelection"))
        XCTAssertFalse(json.contains("atMilestones"))
        var withProbe = plain
        withProbe.probeSelection = .leadingSamples(trainCount: 10, testCount: 10)
        XCTAssertNotEqual(withProbe.configurationHash, plain.configurationHash)
    }

    func testInvalidRunningLossSettingsAreRejected() {
        for rule in [Self.rule(0, 0.02, cap: 10), Self.rule(0.1, .nan, cap: 10), Self.rule(0.1, 0.02, cap: 0),
                     StoppingRule.runningLossBelow(threshold: 0.1, finalThreshold: 0.02, smoothing: 1, consecutiveEpochs: 2, maxEpochs: 10),
                     StoppingRule.runningLossBelow(threshold: 0.1, finalThreshold: 0.02, smoothing: 0.9, consecutiveEpochs: 0, maxEpochs: 10)] {
            XCTAssertThrowsError(try fullBatchSpec(rule).validate(), "\(rule)")
        }
        XCTAssertThrowsError(try fullBatchSpec(.epochs(1), probe: .leadingSamples(trainCount: 0, testCount: 5)).validate())
        XCTAssertNoThrow(try fullBatchSpec(Self.rule(0.1, 0.02, cap: 10)).validate())
    }
}
