@testable import Core
import XCTest
@testable import Figures

/// The Appendix G figures (Figs 19–23) on synthetic records with spectra, read from a cache with
/// nothing trained: every figure renders PNG + PDF and measures its claims as computed by hand.
final class AppendixGFigureTests: XCTestCase {
    typealias Condition = AppendixGProtocol.Condition

    /// A consistent record of `spec` whose spectra make layer l of condition c have stable rank
    /// `rank(c)`, middle-layer correlation `correlation(c)` and Fisher stable rank `fisher(c)`.
    private func record(_ spec: RunSpec, condition: Condition, seedOffset: Double) -> RunRecord {
        let depth = spec.architecture.depth
        let rank: Double = [2, 3, 5][condition.rawValue] + seedOffset
        let correlation: Double = [0.6, 0.2, 0.1][condition.rawValue] + seedOffset / 10
        let fisher: Double = [1.5, 2, 3][condition.rawValue] + seedOffset
        let accuracy: Double = [0.9, 0.8, 0.7][condition.rawValue] + seedOffset / 100
        let layers = (1...depth).map { l in
            LayerSpectrumStatistics(layer: l, normalisedEigenvalues: [1, 0.5, 0.1, 0.01], stableRank: rank, correlation: correlation,
                                    spectralAlignment: correlation / rank.squareRoot(), engineAlignment: correlation / rank.squareRoot() * (1 + 1e-13),
                                    identityRelativeError: 1e-13, uncentredStableRank: l == 1 ? fisher / 2 : fisher + 1, fisherStableRank: fisher,
                                    fisherCorrelation: 0.02, fisherNormalisedEigenvalues: [1, 0.2], maxResidual: 1e-14)
        }
        let n = 10 * AppendixGProtocol.trainPerClass(.quick)
        let stepsPerEpoch = (n + spec.batchSize - 1) / spec.batchSize
        let epochs = (1...AppendixGProtocol.epochs(.quick)).map {
            EpochEntry(epoch: $0, step: $0 * stepsPerEpoch, batches: stepsPerEpoch, trainLoss: 0.1, trainAccuracy: 0.95,
                       testLoss: 0.5, testAccuracy: accuracy, wallSeconds: 1)
        }
        let alignments = AlignmentSnapshot(step: epochs.last!.step, epoch: Double(epochs.count), trainProbe: layers.map(\.engineAlignment),
                                           testProbe: layers.map(\.engineAlignment))
        var record = RunRecord(spec: spec, trainingSampleCount: n, stepsPerEpoch: stepsPerEpoch, epochs: epochs, alignments: [alignments],
                               stopReason: .epochCap, totalSteps: epochs.last!.step, finalTrain: Evaluation(loss: 0.1, accuracy: 0.95),
                               finalTest: Evaluation(loss: 0.5, accuracy: accuracy), wallSeconds: 1, machine: "test", finalWeightsFile: nil)
        record.spectra = SpectraSnapshot(step: record.totalSteps, probe: "train", dimension: 800, method: KernelSpectrum.method, layers: layers)
        return record
    }

    func testTheFiveFiguresRenderFromCachedRecordsAndMeasureTheirClaims() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("appendix-g-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = RunCache(directory: directory)
        let seed: UInt64 = 3
        for (index, planned) in AppendixGProtocol.specs(dataset: .fashionMNIST, profile: .quick, baseSeed: seed).enumerated() {
            try cache.store(record(planned.spec, condition: planned.condition, seedOffset: Double(index % 4) * 0.01))
        }
        let context = FigureContext(profile: .quick, seed: seed, outputDirectory: directory, cacheDirectory: directory, dataDirectory: nil,
                                    jobs: 1, cachedOnly: true, log: { _ in })
        var measurements: [ClaimID: ClaimMeasurement] = [:]
        for figure in AppendixGFigure.all {
            let result = try figure.produce(in: context)
            XCTAssertEqual(result.images, [figure.id + ".png", figure.id + ".pdf"])
            for image in result.images {
                let size = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(image).path)[.size] as? Int
                XCTAssertGreaterThan(size ?? 0, 1000, image)
            }
            XCTAssertEqual(result.provenance.configurationHashes.count, 12)
            for m in result.measurements { measurements[m.claimId] = m }
        }
        XCTAssertEqual(Set(measurements.keys), [.fig20IdentityMaxRelativeError, .fig20StableRankRandomLabelsLead, .fig20CorrelationBestLeadMiddleLayers,
                                                .fig21NTKBoundsFisherFraction, .fig22FisherStableRankAccuracySpearman, .fig23FisherCorrelationMean])
        for m in measurements.values { XCTAssertNil(m.partialBecause, m.claimId.rawValue) }
        XCTAssertEqual(try XCTUnwrap(measurements[.fig20IdentityMaxRelativeError]?.value), 1e-13, accuracy: 1e-15)
        // Random labels 5 + offsets vs the larger clean mean 3 + offsets: lead 2 (offsets average equally).
        XCTAssertEqual(try XCTUnwrap(measurements[.fig20StableRankRandomLabelsLead]?.value), 2, accuracy: 1e-12)
        // Best model (lr 0.02, accuracy 0.9): 0.6 vs 0.2.
        XCTAssertEqual(try XCTUnwrap(measurements[.fig20CorrelationBestLeadMiddleLayers]?.value), 0.4, accuracy: 1e-12)
        // Layer 1 of every run violates the bound: fraction (L − 1)/L.
        let depth = Double(AppendixGProtocol.depth(.quick))
        XCTAssertEqual(try XCTUnwrap(measurements[.fig21NTKBoundsFisherFraction]?.value), (depth - 1) / depth, accuracy: 1e-12)
        XCTAssertEqual(measurements[.fig21NTKBoundsFisherFraction]?.interval?.lower ?? 0, (depth - 1) / depth, accuracy: 1e-12)
        // Accuracy and Fisher rank rise together within a condition but fall across: ρ computed independently.
        let accuracies = (0..<12).map { [0.9, 0.8, 0.7][$0 / 4] + Double($0 % 4) * 0.0001 }
        let ranks = (0..<12).map { [1.5, 2, 3][$0 / 4] + Double($0 % 4) * 0.01 }
        XCTAssertEqual(try XCTUnwrap(measurements[.fig22FisherStableRankAccuracySpearman]?.value), RankCorrelation.spearman(accuracies, ranks)!, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(measurements[.fig23FisherCorrelationMean]?.value), 0.02, accuracy: 1e-12)
        XCTAssertEqual(measurements[.fig20StableRankRandomLabelsLead]?.method, .runBootstrap)
        XCTAssertEqual(measurements[.fig20StableRankRandomLabelsLead]?.sampleSize, 12)
    }

    func testMissingRunsGiveNotRunClaimsAndStillRender() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("appendix-g-empty-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let context = FigureContext(profile: .quick, seed: 1, outputDirectory: directory, cacheDirectory: directory, dataDirectory: nil,
                                    jobs: 1, cachedOnly: true, log: { _ in })
        let result = try AppendixGFigure(kind: .fig20).produce(in: context)
        XCTAssertEqual(result.measurements.count, 3)
        XCTAssertTrue(result.measurements.allSatisfy { $0.value == nil && $0.notRunReason != nil })
        XCTAssertTrue(result.notes.contains { $0.contains("CIFAR-10 FFNN panels not run") })
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("fig20.png").path))
    }

    func testSpecsShareRunsAcrossTheFiguresAndRecordTheConditions() {
        let specs = AppendixGProtocol.specs(dataset: .fashionMNIST, profile: .quick, baseSeed: 1)
        XCTAssertEqual(specs.count, 12)
        XCTAssertEqual(Set(specs.map(\.spec.configurationHash)).count, 12)
        XCTAssertEqual(specs.filter { $0.spec.labelNoiseFraction == 0.2 }.map(\.condition), Array(repeating: .smallRateRandomLabels, count: 4))
        XCTAssertEqual(Set(specs.map { $0.spec.optimizer.learningRate }), [0.02, 0.001])
        XCTAssertTrue(specs.allSatisfy { $0.spec.spectra == SpectraSchedule(top: 200) })
    }
}
