import Core
import XCTest
@testable import Figures

/// Pure logic of the alignment-hierarchy figures (Figs 1, 2, 7, 9, 10), checked
/// against hand computations on synthetic records; no training.
final class AlignmentHierarchyTests: XCTestCase {
    // MARK: - Synthetic records

    private func record(stepsPerEpoch: Int = 10, snapshots: [(step: Int, train: [Double])],
                        dataset: DatasetName = .fashionMNIST) -> RunRecord {
        let spec = AlignmentHierarchyProtocol.spec(dataset: dataset, depth: snapshots.first?.train.count ?? 3,
                                                   learningRate: 0.003, profile: .quick, seed: 7)
        let alignments = snapshots.map {
            AlignmentSnapshot(step: $0.step, epoch: Double($0.step) / Double(stepsPerEpoch), trainProbe: $0.train,
                              testProbe: $0.train.map { $0 * 0.9 })
        }
        let lastStep = snapshots.last?.step ?? 0
        let epochs = (1...max(1, lastStep / stepsPerEpoch)).map {
            EpochEntry(epoch: $0, step: $0 * stepsPerEpoch, batches: stepsPerEpoch, trainLoss: 1 / Double($0),
                       trainAccuracy: 0.5, testLoss: 1, testAccuracy: 0.5, wallSeconds: 0)
        }
        return RunRecord(spec: spec, trainingSampleCount: stepsPerEpoch * 128, stepsPerEpoch: stepsPerEpoch, epochs: epochs,
                         alignments: alignments, stopReason: .epochCap, totalSteps: lastStep,
                         finalTrain: Evaluation(loss: 0.3, accuracy: 0.9), finalTest: Evaluation(loss: 0.4, accuracy: 0.85),
                         wallSeconds: 1, machine: "test", finalWeightsFile: nil)
    }

    func testEarlyRiseFractionOfThePeakLayerByHand() throws {
        // Peak at the end is layer 2: 0.1 → 0.4 (epoch 2, step 20) → 0.5; fraction (0.4 − 0.1)/(0.5 − 0.1) = 0.75.
        let run = record(snapshots: [(0, [0.2, 0.1, 0.05]), (10, [0.25, 0.3, 0.1]), (20, [0.3, 0.4, 0.1]),
                                     (40, [0.35, 0.5, 0.2])])
        let rise = try XCTUnwrap(AlignmentHierarchyAnalysis.earlyRise(run))
        XCTAssertEqual(rise.peakLayer, 2)
        XCTAssertEqual(rise.initial, 0.1)
        XCTAssertEqual(rise.atEpoch, 0.4)
        XCTAssertEqual(rise.final, 0.5)
        XCTAssertEqual(try XCTUnwrap(rise.fraction), 0.75, accuracy: 1e-12)

        let claim = HierarchyClaims.earlyRise(.fig7EarlyRiseFashionMNIST, label: "run", .finished(run))
        XCTAssertEqual(try XCTUnwrap(claim.value), 0.75, accuracy: 1e-12)
        XCTAssertTrue(claim.detail.contains("A_2"), claim.detail)
    }

    func testEarlyRiseWithoutIncreaseIsReportedAsZero() throws {
        let run = record(snapshots: [(0, [0.2, 0.5, 0.1]), (20, [0.2, 0.45, 0.1]), (40, [0.2, 0.4, 0.1])])
        let rise = try XCTUnwrap(AlignmentHierarchyAnalysis.earlyRise(run))
        XCTAssertNil(rise.fraction)
        let claim = HierarchyClaims.earlyRise(.fig7EarlyRiseFashionMNIST, label: "run", .finished(run))
        XCTAssertEqual(claim.value, 0)
        XCTAssertNil(claim.notRunReason)
    }

    func testEarlyRiseNeedsAMeasurementAtInitialisation() {
        let run = record(snapshots: [(10, [0.2, 0.5, 0.1]), (40, [0.2, 0.4, 0.1])])
        XCTAssertNil(AlignmentHierarchyAnalysis.earlyRise(run))
        XCTAssertNil(HierarchyClaims.earlyRise(.fig7EarlyRiseFashionMNIST, label: "run", .finished(run)).value)
        let missing = HierarchyClaims.earlyRise(.fig7EarlyRiseFashionMNIST, label: "run", .notRun("KMNIST is missing"))
        XCTAssertNil(missing.value)
        XCTAssertEqual(missing.notRunReason, "KMNIST is missing")
    }

    // MARK: - Hierarchy claim

    func testHierarchyClaimCountsRunsWithHiddenPeaks() throws {
        let hidden = record(snapshots: [(0, [0.1, 0.1, 0.1]), (20, [0.2, 0.6, 0.3])])
        let first = record(snapshots: [(0, [0.1, 0.1, 0.1]), (20, [0.7, 0.6, 0.3])])
        let claim = HierarchyClaims.hierarchy(.fig9Hierarchy, [("a", .finished(hidden)), ("b", .finished(first)),
                                                    ("c", .notRun("CIFAR-10 is missing"))])
        XCTAssertEqual(try XCTUnwrap(claim.value), 0.5, accuracy: 1e-12)
        XCTAssertTrue(claim.detail.contains("a: peak at layer 2 of 3"), claim.detail)
        XCTAssertTrue(claim.detail.contains("b: peak at layer 1 of 3"), claim.detail)
        XCTAssertTrue(claim.detail.contains("Not run: c"), claim.detail)

        let none = HierarchyClaims.hierarchy(.fig9Hierarchy, [("c", .notRun("CIFAR-10 is missing"))])
        XCTAssertNil(none.value)
        XCTAssertEqual(none.notRunReason, "c: CIFAR-10 is missing")
    }

    // MARK: - Protocol

    func testSharedRunsHaveIdenticalSpecifications() {
        for profile in Profile.allCases {
            let fig7 = AlignmentHierarchyProtocol.spec(dataset: .fashionMNIST, depth: 10, learningRate: AlignmentHierarchyProtocol.figureLearningRate,
                                                       profile: profile, seed: 3)
            let fig9 = AlignmentHierarchyProtocol.learningRateSweep.map {
                AlignmentHierarchyProtocol.spec(dataset: .fashionMNIST, depth: 10, learningRate: $0, profile: profile, seed: 3)
            }
            XCTAssertEqual(fig9.filter { $0.configurationHash == fig7.configurationHash }.count, 1)
        }
    }

    func testSpecsFollowThePaperProtocolAndValidate() throws {
        for profile in Profile.allCases {
            for dataset in [DatasetName.fashionMNIST, .mnist, .kmnist, .cifar10] {
                let spec = AlignmentHierarchyProtocol.spec(dataset: dataset, depth: 20, learningRate: 0.05, profile: profile, seed: 1)
                XCTAssertNoThrow(try spec.validate())
                XCTAssertEqual(spec.batchSize, 128)
                XCTAssertEqual(spec.architecture.width, 256)
                XCTAssertTrue(spec.architecture.hasBias)
                XCTAssertEqual(spec.optimizer, .sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4))
                XCTAssertEqual(spec.alignment.centring, .full)
                XCTAssertTrue(spec.alignment.atInitialisation && spec.alignment.everyEpoch)
            }
        }
        let full = AlignmentHierarchyProtocol.spec(dataset: .fashionMNIST, depth: 10, learningRate: 0.003, profile: .full, seed: 1)
        XCTAssertNil(full.trainSubsetPerClass)
        XCTAssertEqual(full.stopping, .trainLossBelow(threshold: 0.1, maxEpochs: 100))
        // The log-spaced schedule resolves the first two epochs: 1, 2, 3, 4, 6, 10, 16, 25, 40, 63, …
        XCTAssertEqual(Array(full.alignment.logSpacedSteps(stepsPerEpoch: 469).prefix(8)), [1, 2, 3, 4, 6, 10, 16, 25])
    }

    // MARK: - Missing data end to end (no training)

    func testFigureWithoutItsDatasetDrawsEmptyPanelsAndReportsNotRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hierarchy-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let emptyData = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: emptyData, withIntermediateDirectories: true)
        guard !DatasetLocator.availability(of: .cifar10, dataDirectory: emptyData).isPresent else {
            throw XCTSkip("CIFAR-10 unexpectedly present")
        }
        let context = FigureContext(profile: .quick, seed: 1, outputDirectory: directory.appendingPathComponent("out"),
                                    cacheDirectory: directory.appendingPathComponent("cache"), dataDirectory: emptyData,
                                    jobs: 1, log: { _ in })
        let result = try LearningRateHierarchyFigure.fig10.produce(in: context)
        XCTAssertEqual(result.images, ["fig10.png", "fig10.pdf"])
        for image in result.images {
            XCTAssertTrue(FileManager.default.fileExists(atPath: context.outputDirectory.appendingPathComponent(image).path))
        }
        XCTAssertEqual(Set(result.measurements.map(\.claimId)), [.fig10Hierarchy, .fig10HierarchyPerOutputCentring, .fig10Lr005TestAccuracy, .fig10Lr005TestLoss])
        for measurement in result.measurements {
            XCTAssertNil(measurement.value)
            XCTAssertTrue(measurement.notRunReason?.contains("--data-dir") == true, measurement.notRunReason ?? "")
        }
    }
}

/// The hierarchy claims under the other centring (issue: "measured under both centrings").
final class HierarchyCentringTests: XCTestCase {
    func testTheSensitivityTwinReadsTheOtherCentringsValues() throws {
        // Bug caught: the per-output twin computed from the Eq. 6 values (or the reverse).
        let spec = RunSpec(dataset: .fashionMNIST, architecture: RunSpec.architecture(for: .fashionMNIST, width: 8, depth: 4),
                           optimizer: .sgd(learningRate: 0.1, momentum: 0, weightDecay: 0), batchSize: 100, stopping: .epochs(1))
        let eq6 = [0.4, 0.2, 0.1, 0.05], perOutput = [0.1, 0.2, 0.4, 0.05]  // peaks at layer 1 vs layer 3
        let snapshot = AlignmentSnapshot(step: 1, epoch: 1, trainProbe: eq6, testProbe: eq6,
                                         otherCentrings: [CentredAlignments(centring: .perOutput, trainProbe: perOutput, testProbe: perOutput)])
        let evaluation = Evaluation(loss: 0.1, accuracy: 0.9)
        let record = RunRecord(spec: spec, trainingSampleCount: 100, stepsPerEpoch: 1,
                               epochs: [EpochEntry(epoch: 1, step: 1, batches: 1, trainLoss: 0.1, trainAccuracy: 0.9, testLoss: 0.1, testAccuracy: 0.9, wallSeconds: 0)],
                               alignments: [snapshot], stopReason: .epochCap, totalSteps: 1, finalTrain: evaluation, finalTest: evaluation,
                               wallSeconds: 0, machine: "", finalWeightsFile: nil)
        let both = HierarchyClaims.hierarchyBothCentrings(.fig9Hierarchy, [("run", .finished(record))])
        XCTAssertEqual(both.map(\.claimId), [.fig9Hierarchy, .fig9HierarchyPerOutputCentring])
        XCTAssertEqual(both[0].value, 0)  // Eq. 6: peak at the first layer, not a hidden one
        XCTAssertEqual(both[1].value, 1)  // per output: peak at layer 3 of 4
        XCTAssertEqual(record.recentred(.perOutput)?.finalAlignment?.trainProbe, perOutput)
        XCTAssertNil(record.recentred(.none))
        // A record that did not keep the other centring gives a not-run twin, never the Eq. 6 value.
        var old = record
        old.alignments[0].otherCentrings = nil
        let twin = HierarchyClaims.hierarchyBothCentrings(.fig9Hierarchy, [("run", .finished(old))])[1]
        XCTAssertNil(twin.value)
        XCTAssertTrue(twin.notRunReason?.contains("does not keep") == true)
    }
}
