@testable import Core
import XCTest

/// The flop counts of the cost model, against counts by hand, and its fit, against a known model.
final class RunCostModelTests: XCTestCase {
    private func spec(depth: Int, width: Int, stopping: StoppingRule, alignment: AlignmentSchedule = .endpoints) -> RunSpec {
        RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 100, probePerClass: 5,
                architecture: RunSpec.architecture(for: .fashionMNIST, width: width, depth: depth),
                optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 0), batchSize: 100, stopping: stopping, alignment: alignment)
    }

    func testPlannedWorkCountsFlopByHand() {
        // L = 3, N = 20: P = 784·20 + 20 + 20·20 + 20 + 20·10 + 10 = 16330; 1000 samples, 10 steps per epoch.
        let work = RunWork(planned: spec(depth: 3, width: 20, stopping: .epochs(4)))
        let p = 16330.0
        XCTAssertEqual(work.training, 6 * p * 100 * 40)
        XCTAssertEqual(work.evaluation, 2 * p * (10_000 * 4 + 1000))
        // Two measurements (initialisation, stop) of probes of 2·5·10 = 100 samples.
        XCTAssertEqual(work.measurement, 2 * (6 * p * 100 + 3 * 100 * 100 * 20))
        let capped = RunWork(planned: spec(depth: 3, width: 20, stopping: .trainLossBelow(threshold: 0.1, maxEpochs: 7)))
        XCTAssertEqual(capped.training, 6 * p * 100 * 70, "loss rules are planned to their epoch cap")
        let none = RunWork(planned: spec(depth: 3, width: 20, stopping: .steps(5), alignment: .never))
        XCTAssertEqual(none.measurement, 0)
        XCTAssertEqual(none.training, 6 * p * 100 * 5)
    }

    func testFitRecoversAKnownModelAndDropsNegativeTerms() throws {
        let truth = RunCostModel(secondsPerTrainingFlop: 2e-11, secondsPerEvaluationFlop: 5e-11, secondsPerMeasurementFlop: 1e-10, secondsPerRun: 3)
        var samples: [(work: RunWork, seconds: Double)] = []
        for (index, depth) in [2, 3, 5, 8, 13].enumerated() {
            for epochs in [1, 3, 10] {
                let alignment = AlignmentSchedule(atInitialisation: true, everyEpoch: index % 2 == 0, atStop: true)
                let work = RunWork(planned: spec(depth: depth, width: 10 + 7 * index, stopping: .epochs(epochs), alignment: alignment))
                samples.append((work, truth.seconds(work)))
            }
        }
        let fitted = try XCTUnwrap(RunCostModel.fit(samples))
        XCTAssertEqual(fitted.secondsPerTrainingFlop, 2e-11, accuracy: 1e-15)
        XCTAssertEqual(fitted.secondsPerEvaluationFlop, 5e-11, accuracy: 1e-14)
        XCTAssertEqual(fitted.secondsPerMeasurementFlop, 1e-10, accuracy: 1e-13)
        XCTAssertEqual(fitted.secondsPerRun, 3, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(fitted.error(on: samples)).maxRelativeError, 0, accuracy: 1e-9)

        // Wall times that fall with the evaluation work: that term is dropped, not fitted negative.
        let odd = samples.map { ($0.work, 1 + 1e-11 * $0.work.training - 1e-12 * $0.work.evaluation) }.filter { $0.1 > 0 }
        let clamped = try XCTUnwrap(RunCostModel.fit(odd))
        for value in [clamped.secondsPerTrainingFlop, clamped.secondsPerEvaluationFlop, clamped.secondsPerMeasurementFlop, clamped.secondsPerRun] {
            XCTAssertGreaterThanOrEqual(value, 0)
        }
        XCTAssertNil(RunCostModel.fit(Array(samples.prefix(2))), "fewer runs than terms")
    }

    func testErrorSummary() throws {
        let model = RunCostModel(secondsPerTrainingFlop: 0, secondsPerEvaluationFlop: 0, secondsPerMeasurementFlop: 0, secondsPerRun: 10)
        let work = RunWork(training: 0, evaluation: 0, measurement: 0)
        let summary = try XCTUnwrap(model.error(on: [(work, 5), (work, 10), (work, 20)]))  // errors 100%, 0%, 50%
        XCTAssertEqual(summary.count, 3)
        XCTAssertEqual(summary.medianRelativeError, 0.5, accuracy: 1e-12)
        XCTAssertEqual(summary.maxRelativeError, 1, accuracy: 1e-12)
        XCTAssertEqual(summary.totalRelativeError, 30.0 / 35 - 1, accuracy: 1e-12)
    }
}
