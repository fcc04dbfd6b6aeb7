import Core
import XCTest
@testable import Figures

/// The grid figures (Fig 4(a), the FFNN analogues of Figs 11–15) and the scheduler's start order,
/// on synthetic records; no training.
final class HyperparameterGridTests: XCTestCase {
    private func record(_ spec: RunSpec, profile: [Double], trainLoss: Double, testLoss: Double,
                        stop: StopReason = .thresholdReached) -> RunRecord {
        let snapshot = AlignmentSnapshot(step: 10, epoch: 1, trainProbe: profile, testProbe: profile.map { $0 * 0.9 })
        return RunRecord(spec: spec, trainingSampleCount: 2000, stepsPerEpoch: 10, epochs: [], alignments: [snapshot],
                         stopReason: stop, totalSteps: 10, finalTrain: Evaluation(loss: trainLoss, accuracy: 0.99),
                         finalTest: Evaluation(loss: testLoss, accuracy: 0.8), wallSeconds: 1, machine: "test", finalWeightsFile: nil)
    }

    /// A grid whose peak height is 0.1 · (column + 1) (larger with the learning rate), whose test
    /// loss rises with the peak, and whose peak layer is 1 for the smallest rate and 2 otherwise.
    private func syntheticCells(divergeLast: Bool = false) -> [GridCell] {
        let specs = HyperparameterGridProtocol.gridSpecs(profile: .quick, seed: 1)
        let columns = HyperparameterGridProtocol.learningRates.count
        return specs.enumerated().map { index, spec in
            let column = index % columns
            let height = 0.1 * Double(column + 1) + 0.001 * Double(index / columns)
            let profile = column == 0 ? [height, height / 2, height / 4, height / 8] : [height / 2, height, height / 4, height / 8]
            var run = record(spec, profile: profile, trainLoss: 0.05, testLoss: 0.5 + height)
            if divergeLast && index == specs.count - 1 {
                run = record(spec, profile: profile, trainLoss: .nan, testLoss: .nan, stop: .diverged)
            }
            return GridCell(spec: spec, outcome: .finished(run))
        }
    }

    func testFig4ClaimsAreTheRankCorrelationsOfTheCells() throws {
        let cells = syntheticCells()
        let measurements = GridClaims.fig4(cells, seed: 1)
        XCTAssertEqual(measurements.map(\.claimId), [
            .fig4PeakHeightTestLossCorrelation, .fig4PeakHeightLossGapCorrelation, .fig4PeakHeightBatchSizeCorrelation,
            .fig4PeakHeightLearningRateCorrelation, .fig4PeakCentralityBatchSizeCorrelation, .fig4PeakCentralityLearningRateCorrelation,
        ])
        // Test loss = 0.5 + height and gap = test − 0.05: both are monotone in the height.
        XCTAssertEqual(try XCTUnwrap(measurements[0].value), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(measurements[1].value), 1, accuracy: 1e-12)
        XCTAssertEqual(measurements[0].method, .runBootstrap)
        XCTAssertEqual(measurements[0].sampleSize, 16)
        // Independent computation of ρ(batch, height) with the same ranks.
        let batch = cells.map { Double($0.spec.batchSize) }
        let heights = cells.map { $0.peak!.height }
        XCTAssertEqual(try XCTUnwrap(measurements[2].value), RankCorrelation.spearman(batch, heights)!, accuracy: 1e-12)
        XCTAssertGreaterThan(try XCTUnwrap(measurements[3].value), 0.9)
        // Centrality: layer 1 of 4 gives 0.25, layer 2 of 4 gives 0.5; it rises with the rate only.
        XCTAssertGreaterThan(try XCTUnwrap(measurements[5].value), 0.5)
        XCTAssertEqual(try XCTUnwrap(measurements[4].value), 0, accuracy: 1e-12)
    }

    func testADivergedCellIsDrawnAndMarkedButLeftOutOfTheCorrelations() throws {
        let cells = syntheticCells(divergeLast: true)
        let measurements = GridClaims.fig4(cells, seed: 1)
        XCTAssertEqual(measurements[0].sampleSize, 15)
        XCTAssertTrue(measurements[0].detail.contains("left out"), measurements[0].detail)
        let last = try XCTUnwrap(cells.last)
        XCTAssertTrue(last.isMarked)
        XCTAssertTrue(last.status.hasPrefix("DIVERGED"))
        let panel = GridPanels.cell(last, title: "bs 2048, lr 0.03", scales: GridPanels.Scales(cells), showsColorBar: true)
        XCTAssertEqual(panel.heatMap?.cells.first?.value.isNaN, true, "a diverged cell has the missing-value background")
        XCTAssertTrue(panel.annotations.contains { $0.text.hasPrefix("DIVERGED") })
    }

    func testEveryCellIsLabelledWithItsLossGapAndOnlyTheLastColumnHasTheColourBar() throws {
        let cells = syntheticCells()
        let scales = GridPanels.Scales(cells)
        let panel = GridPanels.cell(cells[0], title: "t", scales: scales, showsColorBar: false)
        XCTAssertTrue(panel.annotations.contains { $0.text == String(format: "gap %.3f", 0.5 + 0.1 - 0.05) })
        XCTAssertEqual(panel.heatMap?.showsColorBar, false)
        XCTAssertEqual(scales.testLoss.lowerBound, 0.6, accuracy: 1e-12)
    }

    func testSaliencyDifferenceOfSGDAndAdam() throws {
        let sgd = [0.001, 0.003].map { rate in
            let spec = HyperparameterGridProtocol.spec(batchSize: 128, optimizer: HyperparameterGridProtocol.sgd(rate), profile: .quick, seed: 1)
            return GridCell(spec: spec, outcome: .finished(record(spec, profile: [0.1, 0.4, 0.1, 0.2], trainLoss: 0.05, testLoss: 0.6)))
        }
        let adam = [0.0001, 0.00032].map { rate in
            let spec = HyperparameterGridProtocol.spec(batchSize: 128, optimizer: .defaultAdam(learningRate: rate), profile: .quick, seed: 1)
            return GridCell(spec: spec, outcome: .finished(record(spec, profile: [0.2, 0.2, 0.2, 0.2], trainLoss: 0.05, testLoss: 0.7)))
        }
        let measurement = FFNNSweepFigure.saliency(sgd: sgd, adam: adam, seed: 1)
        // SGD saliency 0.4 / 0.2 = 2, Adam 1: difference 1 with a degenerate interval.
        XCTAssertEqual(try XCTUnwrap(measurement.value), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(measurement.interval).lower, 1, accuracy: 1e-12)
        XCTAssertEqual(measurement.claimId.figure, "fig13")
    }

    func testTheSweepsShareTheGridsRuns() {
        let grid = Set(HyperparameterGridProtocol.gridSpecs(profile: .quick, seed: 3).map(\.configurationHash))
        for figure in [FFNNSweepFigure.fig12, .fig14] {
            XCTAssertTrue(Set(figure.specs(.quick, 3).map(\.configurationHash)).isSubset(of: grid), figure.id)
        }
        XCTAssertEqual(Set(FFNNSweepFigure.fig15.specs(.quick, 3).map(\.configurationHash)).subtracting(grid).count, 1)
    }

    // MARK: - Scheduler order

    func testLongestExpectedRunsStartFirst() {
        let p = HyperparameterGridProtocol.self
        let specs = p.gridSpecs(profile: .quick, seed: 1)
        let order = RunCostEstimate.startOrder(specs)
        XCTAssertEqual(Set(order.map(\.configurationHash)), Set(specs.map(\.configurationHash)))
        let work = order.map(RunCostEstimate.expectedWork)
        XCTAssertEqual(work, work.sorted(by: >))
        // The capped cells (large batches at the smallest rate) before batch 32 at the largest rate.
        XCTAssertTrue([512, 2048].contains(order.first?.batchSize ?? 0))
        XCTAssertEqual(order.first?.optimizer.learningRate, 0.001)
        XCTAssertEqual(order.last?.batchSize, 32)
        XCTAssertEqual(order.last?.optimizer.learningRate, 0.03)
        // A fixed budget costs its epochs: twice the epochs, twice the work.
        let short = p.spec(batchSize: 128, optimizer: p.sgd(0.01), profile: .quick, seed: 1, stopping: .epochs(10))
        let long = p.spec(batchSize: 128, optimizer: p.sgd(0.01), profile: .quick, seed: 1, stopping: .epochs(20))
        XCTAssertEqual(RunCostEstimate.expectedWork(long), 2 * RunCostEstimate.expectedWork(short), accuracy: 1e-6)
        // Deterministic: the same order whatever the input order.
        XCTAssertEqual(RunCostEstimate.startOrder(specs.reversed()).map(\.configurationHash), order.map(\.configurationHash))
    }

    /// A grid killed after some cells finished: rerunning it reads the finished cells from the
    /// cache (their files are not rewritten) and trains only the others, to the same records.
    func testARerunGridRetrainsNoFinishedCell() throws {
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grid-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let specs = [16, 32, 64].map { batch in
            RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 8, probePerClass: 2,
                    architecture: RunSpec.architecture(for: .fashionMNIST, width: 8, depth: 3),
                    optimizer: HyperparameterGridProtocol.sgd(0.02), batchSize: batch, stopping: .trainLossBelow(threshold: 0.1, maxEpochs: 3),
                    alignment: .endpoints, seed: 1)
        }
        let scheduler = RunScheduler(cacheDirectory: directory, dataDirectory: nil, jobs: 2, showsProgress: false)
        let first = try scheduler.run(specs).map { try $0.get() }
        let cache = RunCache(directory: directory)
        // "Kill" the grid before its last cell finished: that cell has no record.
        try FileManager.default.removeItem(at: cache.recordURL(for: specs[2]))
        let kept = try specs.prefix(2).map { try Data(contentsOf: cache.recordURL(for: $0)) }
        let dates = try specs.prefix(2).map { try FileManager.default.attributesOfItem(atPath: cache.recordURL(for: $0).path)[.modificationDate] as? Date }
        let second = try scheduler.run(specs).map { try $0.get() }
        for (index, spec) in specs.prefix(2).enumerated() {
            XCTAssertEqual(try Data(contentsOf: cache.recordURL(for: spec)), kept[index], "finished cell \(index) was rewritten")
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: cache.recordURL(for: spec).path)[.modificationDate] as? Date, dates[index])
        }
        for (a, b) in zip(first, second) {
            XCTAssertEqual(try CanonicalJSON.string(for: a.deterministicPart), try CanonicalJSON.string(for: b.deterministicPart))
        }
    }
}
