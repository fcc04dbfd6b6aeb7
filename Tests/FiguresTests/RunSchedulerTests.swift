import Core
import XCTest
@testable import Figures

/// The local scheduler trains real (tiny) runs: `--jobs` must change no number.
final class RunSchedulerTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("RunSchedulerTests-\(UUID())")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Three tiny runs (and a duplicate) with one job and with three at once: the records agree
    /// bit for bit (but for wall-clock times) and come back in the order given, the duplicate
    /// trained once. Catches: results returned in completion order, state shared between
    /// concurrent runs (a generator, a buffer, a dataset being loaded), a reduction whose order
    /// depends on the number of threads.
    func testJobsChangeNoRecordAndResultsKeepTheGivenOrder() throws {
        let specs = [3, 1, 2].map { seed in
            RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 8, probePerClass: 2,
                    architecture: RunSpec.architecture(for: .fashionMNIST, width: 8, depth: 3),
                    optimizer: .sgd(learningRate: 0.02, momentum: 0.9, weightDecay: 5e-4), batchSize: 16, stopping: .epochs(2),
                    alignment: AlignmentSchedule(logSpacedStepsPerDecade: 3, logSpacedUntilEpoch: 1, everyEpoch: true), seed: UInt64(seed))
        }
        // Requested against the scheduler's own (hash) order, so that any other order shows.
        let descending = specs.sorted { $0.configurationHash > $1.configurationHash }
        let requested = descending + [descending[0]]
        func records(jobs: Int) throws -> [RunRecord] {
            let cache = directory.appendingPathComponent("jobs-\(jobs)")
            let results = RunScheduler(cacheDirectory: cache, dataDirectory: nil, jobs: jobs, showsProgress: false).run(requested)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".json") }.count, 3,
                           "the duplicate is trained once")
            return try results.map { try $0.get() }
        }
        let one = try records(jobs: 1), three = try records(jobs: 3)
        XCTAssertEqual(one.map(\.configurationHash), requested.map(\.configurationHash))
        XCTAssertEqual(three.map(\.configurationHash), requested.map(\.configurationHash))
        for (a, b) in zip(one, three) {
            XCTAssertEqual(try CanonicalJSON.string(for: a.deterministicPart), try CanonicalJSON.string(for: b.deterministicPart), a.spec.label)
        }
        XCTAssertNotEqual(one[0].finalTrain.loss, one[1].finalTrain.loss, "the seeds give different runs")
    }
}
