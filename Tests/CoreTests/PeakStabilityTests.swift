import XCTest
@testable import Core

/// The stability of l* over the last snapshots of a run, and the replay that measures them.
final class PeakStabilityTests: XCTestCase {
    func testStatisticsOnAHandWorkedExample() throws {
        // Three snapshots of a 4-layer profile whose arg-max jumps 2 → 4 → 2.
        let stability = try XCTUnwrap(PeakStability(profiles: [[0.1, 0.5, 0.2, 0.4], [0.1, 0.3, 0.2, 0.6], [0.1, 0.4, 0.3, 0.2]]))
        XCTAssertEqual(stability.peaks, [2, 4, 2])
        XCTAssertEqual(stability.spread, 2...4)
        // Mean profile (0.1, 0.4, 0.2333…, 0.4): a tie between layers 2 and 4 goes to layer 2.
        XCTAssertEqual(stability.meanProfilePeak, 2)
        // Centroid (1·0.1 + 2·0.4 + 3·0.7/3 + 4·0.4) / (0.1 + 0.4 + 0.7/3 + 0.4) = 3.2 / 1.1333…
        XCTAssertEqual(stability.centroid, 3.2 / (1.2 / 3 + 0.7 / 3 + 0.5), accuracy: 1e-12)
    }

    func testNegativeAlignmentsCarryNoWeightAndBadInputIsRejected() throws {
        // Bug caught: negative A_l pulling the centroid below layer 1 or toward shallow layers.
        let stability = try XCTUnwrap(PeakStability(profiles: [[-0.5, 0.2, 0.2]]))
        XCTAssertEqual(stability.centroid, 2.5, accuracy: 1e-12)
        XCTAssertNil(PeakStability(profiles: []))
        XCTAssertNil(PeakStability(profiles: [[0.1, 0.2], [0.1]]))
        XCTAssertNil(PeakStability(profiles: [[0.1, .nan]]))
        XCTAssertNil(PeakStability(profiles: [[-0.1, -0.2]]))
    }

    func testAReplayWithListedEpochsTrainsTheSameNetwork() throws {
        // Bug caught: a measurement schedule that changes training (a random stream consumed,
        // the trainer touched), which would make the replayed epochs those of another network.
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("PeakStabilityTests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 20, probePerClass: 5,
                               architecture: RunSpec.architecture(for: .fashionMNIST, width: 16, depth: 4),
                               optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4), batchSize: 32,
                               stopping: .trainLossBelow(threshold: 1.5, maxEpochs: 30),
                               alignment: AlignmentSchedule(atInitialisation: false, atStop: true), seed: 4)
        let runner = Runner(cache: RunCache(directory: directory), dataDirectory: nil, progress: nil)
        let record = try runner.run(original) { try RunnerTests.smallSplit.get() }
        let stop = record.epochCount
        XCTAssertGreaterThan(stop, 2)
        let replaySpec = try XCTUnwrap(RunSpec.replay(of: record, endEpoch: stop, window: 3))
        XCTAssertEqual(replaySpec.stopping, .epochs(stop))
        XCTAssertEqual(replaySpec.alignment.atEpochs, Array((stop - 2)...stop))
        XCTAssertNil(RunSpec.replay(of: record, endEpoch: stop + 1, window: 3), "the original never ran that epoch")
        let replay = try runner.run(replaySpec) { try RunnerTests.smallSplit.get() }
        XCTAssertEqual(replay.alignments.map(\.step), (stop - 2...stop).map { $0 * record.stepsPerEpoch })
        XCTAssertEqual(replay.alignments.last?.trainProbe, record.alignments.last?.trainProbe)
        XCTAssertEqual(replay.alignments.last?.testProbe, record.alignments.last?.testProbe)
        XCTAssertEqual(replay.epochs.map(\.trainLoss), record.epochs.map(\.trainLoss))
        XCTAssertNotNil(PeakStability(profiles: replay.alignments.map(\.trainProbe)))
    }
}
