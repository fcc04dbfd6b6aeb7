@testable import Core
@testable import Figures
import XCTest

/// The Appendix F figures' presentation and claim arithmetic on hand-made study results, and their
/// not-run path when nothing may be trained.
final class AppendixFFigureTests: XCTestCase {
    private func outcome(train: Double, test: Double) -> FrozenReadout.Outcome {
        FrozenReadout.Outcome(epochs: 2, finalTrainLoss: 0.1, trainAccuracies: [0.1, train, train - 0.1], testAccuracies: [0.1, test - 0.1, test])
    }

    /// The full profile's studies keep the hashes their cached results are filed under
    /// (`runs/full/second-order/{lfm,frozen,frozen-width}-<hash>.json`, base seed 1): a change to the
    /// configurations' fields or their encoding would silently recompute them.
    func testFullProfileStudiesKeepTheirCachedHashes() {
        XCTAssertEqual(LFMFigure.fig16.configuration(.fashionMNIST, profile: .full, seed: 1).configurationHash, "f8a807076cd1df58")
        XCTAssertEqual(LFMFigure.fig17.configuration(.fashionMNIST, profile: .full, seed: 1).configurationHash, "640ba91c0db14802")
        XCTAssertEqual(FrozenNetworkFigure().configuration(.fashionMNIST, profile: .full, seed: 1).configurationHash, "0c0858a175121043")
        XCTAssertEqual(FrozenWidthTableFigure().configuration(.fashionMNIST, profile: .full, seed: 1).configurationHash, "df26ef40a436ec05")
    }

    /// Means over seeds per width, the best-over-epochs accuracies, and the exact N = ∞ row last.
    func testWidthTableRowsEndWithTheInfiniteWidthRow() {
        let configuration = FrozenWidthConfiguration(dataset: .fashionMNIST, trainPerClass: 1, testPerClass: 1, depth: 3, widths: [10, 40],
                                                     seeds: [0, 1], readout: ReadoutTraining(learningRate: 0.1, batchSize: 1, maxEpochs: 1, lossThreshold: 0.1),
                                                     relativeRidge: 0.01)
        let rows = [
            FrozenWidthRow(seed: 0, width: 10, readout: outcome(train: 0.6, test: 0.5), kernelTrainAccuracy: 0.7, kernelTestAccuracy: 0.4, distanceToNNGP: 0.8),
            FrozenWidthRow(seed: 1, width: 10, readout: outcome(train: 0.8, test: 0.7), kernelTrainAccuracy: 0.9, kernelTestAccuracy: 0.6, distanceToNNGP: 0.6),
            FrozenWidthRow(seed: 0, width: 40, readout: outcome(train: 0.9, test: 0.8), kernelTrainAccuracy: 1, kernelTestAccuracy: 0.8, distanceToNNGP: 0.4),
            FrozenWidthRow(seed: 1, width: 40, readout: outcome(train: 0.9, test: 0.8), kernelTrainAccuracy: 1, kernelTestAccuracy: 0.8, distanceToNNGP: 0.2),
        ]
        let study = FrozenWidthResult(configuration: configuration,
                                      findings: FrozenWidthStudy.Findings(rows: rows, nngpTrainAccuracies: [1, 1], nngpTestAccuracies: [0.85, 0.95]),
                                      wallSeconds: 1)
        let table = FrozenWidthTable(study)
        XCTAssertEqual(table.meanCETrain, [0.7, 0.9])
        XCTAssertEqual(table.meanCETest[0], 0.6, accuracy: 1e-12)
        XCTAssertEqual(table.meanKernelTest, [0.5, 0.8])
        XCTAssertEqual(table.meanDistances[1], 0.3, accuracy: 1e-12)
        XCTAssertEqual(table.nngpTest, 0.9, accuracy: 1e-12)
        let settings = table.settingRows(dataset: "Fashion-MNIST")
        XCTAssertEqual(settings.count, 3)
        XCTAssertEqual(settings.last?.name, "Fashion-MNIST, N = ∞ (NNGP, exact)")
        XCTAssertTrue(settings.last?.value.contains("test 90%") ?? false, settings.last?.value ?? "")
        XCTAssertEqual(table.panels(dataset: .fashionMNIST).count, 2)
    }

    private func network(_ training: String, width: Int, alignments: [Double], correct: [Bool]) -> LFMNetworkResult {
        LFMNetworkResult(training: training, width: width, trainAccuracy: 1, testAccuracy: Double(correct.filter { $0 }.count) / Double(correct.count),
                         testCorrect: correct, initialAlignments: alignments.map { _ in 0 }, alignments: alignments, layerLogs: [], epochLosses: [])
    }

    /// Without the end-to-end run (c) the gap claims are not run; the plateau counts the wider LFM network's near-maximal layers.
    func testLFMClaimsWithoutTheEndToEndRun() {
        let lfm = [network("LFM", width: 4, alignments: [0.1, 0.5, 0.2], correct: [true, false]),
                   network("LFM", width: 8, alignments: [0.46, 0.5, 0.1], correct: [true, true])]
        let control = network("end-to-end", width: 8, alignments: [0.2, 0.9, 0.3], correct: [true, true])
        let measured = LFMFigure.measure((.fig16LFMUnderperformsFashionMNIST, .fig16LFMLowerPeakFashionMNIST, .fig16LFMPlateauFashionMNIST),
                                         dataset: "Fashion-MNIST", lfm: lfm, endToEnd: nil, sameArchitecture: control, testCount: 2,
                                         missingReason: "it is missing", seed: 1)
        let byId = Dictionary(uniqueKeysWithValues: measured.map { ($0.claimId, $0) })
        XCTAssertEqual(byId.count, 3)
        XCTAssertNil(byId[.fig16LFMUnderperformsFashionMNIST]?.value)
        XCTAssertTrue(byId[.fig16LFMUnderperformsFashionMNIST]?.notRunReason?.contains("it is missing") ?? false)
        XCTAssertEqual(byId[.fig16LFMPlateauFashionMNIST]?.value, 2)
    }

    /// Under --cached-only with an empty cache every Appendix F figure reports each of its claims as not run, once,
    /// naming the missing MNIST/CIFAR-10 files or the uncached study.
    func testEveryClaimIsNotRunWhenNothingMayBeTrained() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("appf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var context = FigureContext(profile: .quick, seed: 1, outputDirectory: directory, cacheDirectory: directory, dataDirectory: nil,
                                    jobs: 1, log: { _ in })
        context.cachedOnly = true
        let figures: [any FigureSpec] = [LFMFigure.fig16, LFMFigure.fig17, FrozenNetworkFigure(), FrozenWidthTableFigure()]
        for figure in figures {
            let content = try figure.content(in: context)
            let expected = ClaimID.allCases.filter { $0.figure == figure.id }
            XCTAssertEqual(content.measurements.map(\.claimId).sorted { $0.rawValue < $1.rawValue }, expected.sorted { $0.rawValue < $1.rawValue }, figure.id)
            for measurement in content.measurements {
                XCTAssertNil(measurement.value, "\(measurement.claimId)")
                XCTAssertNotNil(measurement.notRunReason, "\(measurement.claimId)")
            }
            XCTAssertTrue(content.notes.contains { $0.contains("not run") }, figure.id)
            XCTAssertFalse(content.figure.panels.isEmpty)
        }
    }

    /// Panel (c) is the very run of Figs 2 and 7 (same specification, so the same cache entry and hash).
    func testEndToEndPanelReusesTheFig2And7Runs() {
        let context = FigureContext(profile: .quick, seed: 3, outputDirectory: FileManager.default.temporaryDirectory,
                                    cacheDirectory: FileManager.default.temporaryDirectory, dataDirectory: nil, jobs: 1, log: { _ in })
        XCTAssertEqual(LFMFigure.endToEndSpec(.fashionMNIST, in: context).configurationHash,
                       TrainingHierarchyFigure.fig7.specs(context)[1].configurationHash)
        XCTAssertEqual(LFMFigure.endToEndSpec(.mnist, in: context), TrainingHierarchyFigure.fig2.specs(context)[0])
        XCTAssertEqual(LFMFigure.endToEndSpec(.cifar10, in: context), TrainingHierarchyFigure.fig2.specs(context)[1])
    }

    /// A not-run panel prints file names literally (no subscripts from their underscores).
    func testNotRunTextIsLiteral() {
        let text = "<dir>/cifar-10-batches-bin/data_batch_1.bin and x^2 {braces} back\\slash"
        XCTAssertEqual(TextMarkup.parse(AppendixFSupport.literal(text)), [TextRun(text)])
        XCTAssertEqual(AppendixFSupport.wrap("one two three four", width: 9), ["one two", "three", "four"])
    }
}
