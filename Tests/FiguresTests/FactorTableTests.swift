import Core
import XCTest
@testable import Figures

/// `reproduce factors`: rows read from cached records, fits checked against a hand OLS.
final class FactorTableTests: XCTestCase {
    private func record(for spec: RunSpec, peak: Int, perOutputPeak: Int) -> RunRecord {
        let depth = spec.architecture.depth
        let profile = { (layer: Int) in (1...depth).map { $0 == layer ? 0.4 : 0.1 } }
        let steps = (2000 + spec.batchSize - 1) / spec.batchSize  // a consistent record: the cache checks it on read
        let snapshot = AlignmentSnapshot(step: steps, epoch: 1, trainProbe: profile(peak), testProbe: profile(peak),
                                         otherCentrings: [CentredAlignments(centring: .perOutput, trainProbe: profile(perOutputPeak), testProbe: profile(perOutputPeak))])
        let evaluation = Evaluation(loss: 0.05, accuracy: 0.8)
        let epoch = EpochEntry(epoch: 1, step: steps, batches: steps, trainLoss: 0.05, trainAccuracy: 0.8, testLoss: 0.05,
                               testAccuracy: 0.8, wallSeconds: 0)
        return RunRecord(spec: spec, trainingSampleCount: 2000, stepsPerEpoch: steps, epochs: [epoch], alignments: [snapshot],
                         stopReason: .thresholdReached, totalSteps: steps, finalTrain: evaluation, finalTest: evaluation,
                         wallSeconds: 0, machine: "", finalWeightsFile: nil)
    }

    /// Slope of the least-squares line of log l* on log L.
    private func olsSlope(_ points: [(Int, Int)]) -> Double {
        let x = points.map { log(Double($0.0)) }, y = points.map { log(Double($0.1)) }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }

    func testRowsComeFromTheCachedRecordsOfEachFactor() throws {
        // Bug caught: a row reading another protocol's records, or the centring row reading the run's own A_l.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("FactorTableTests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = RunCache(directory: directory)
        let base = ScalingLawProtocol.quick(.fashionMNIST)
        var points: [(Int, Int)] = [], perOutput: [(Int, Int)] = []
        for spec in base.specs(baseSeed: 1) {
            let depth = spec.architecture.depth
            let peak = max(1, depth / 5 + Int(spec.seed) - 2), other = max(1, depth / 3)
            try cache.store(record(for: spec, peak: peak, perOutputPeak: other))
            points.append((depth, peak))
            perOutput.append((depth, other))
        }
        let table = try ScalingLawFactorTable(caches: [directory])
        XCTAssertEqual(table.rows.count, 9)
        XCTAssertEqual(table.rows[0].runsFound, 15)
        XCTAssertEqual(try XCTUnwrap(table.rows[0].fit).free.slope, olsSlope(points), accuracy: 1e-12)
        XCTAssertEqual(table.rows[1].centring, .perOutput)
        XCTAssertEqual(try XCTUnwrap(table.rows[1].fit).free.slope, olsSlope(perOutput), accuracy: 1e-12)
        // The authors' learning rates share the base's runs at L = 20–50 and need their own at L = 10.
        let rates = try XCTUnwrap(table.rows.first { $0.protocolName == "factor-authorsLearningRates" })
        XCTAssertEqual(rates.runsFound, 12)
        XCTAssertEqual(rates.fit?.depthCount, 4)
        // Factors with no records are reported empty, never filled from the base.
        let width = try XCTUnwrap(table.rows.first { $0.protocolName == "factor-width256" })
        XCTAssertEqual(width.runsFound, 0)
        XCTAssertNil(width.fit)
        // Tied hidden weights change the architecture, so that row shares no run with the base.
        let tied = try XCTUnwrap(table.rows.first { $0.protocolName == "factor-tiedHiddenWeights" })
        XCTAssertEqual(tied.runsFound, 0)
        XCTAssertTrue(tied.factor.contains("tied"))
        XCTAssertTrue(table.markdown.contains("| 15/15 |"))
        XCTAssertFalse(table.markdown.contains("not built"))
    }
}
