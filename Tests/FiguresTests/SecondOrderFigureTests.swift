@testable import Core
@testable import Figures
import XCTest

/// Pure logic of the second-order figures (thmA, fig5, fig6).
final class SecondOrderFigureTests: XCTestCase {
    func testHalfRiseIsTheFirstPointPastHalfTheIncrease() {
        // From 0.1 to a maximum of 1.1: threshold 0.6, first reached at index 3.
        XCTAssertEqual(HessianStudyResult.halfRiseIndex([0.1, 0.2, 0.4, 0.7, 0.9, 1.1, 1.0]), 3)
        // A late spike raises the threshold but cannot make an early point cross it.
        XCTAssertEqual(HessianStudyResult.halfRiseIndex([0, 0.2, 0.3, 0.3, 0.8, 0.3]), 4)
        XCTAssertEqual(HessianStudyResult.halfRiseIndex([1, 0.5, 0.2]), 0)
        XCTAssertNil(HessianStudyResult.halfRiseIndex([]))
    }

    func testCollinearityMeasurementSteps() {
        XCTAssertEqual(CollinearityTrace.measurementSteps(last: 79, pointsPerDecade: 4),
                       [0, 1, 2, 3, 6, 10, 18, 32, 56, 79])
        XCTAssertEqual(CollinearityTrace.measurementSteps(last: 1, pointsPerDecade: 8), [0, 1])
    }

    func testCollinearityIsExactlyOneForUniformPredictions() throws {
        // Zero last layer: softmax is uniform, w_{x,i} = (1/k − y_{x,i})/n = −Ỹ_{x,i}/n, so −corr(Ỹ, w) = 1.
        var generator = SeededGenerator(seed: 3)
        let architecture = NetworkArchitecture(inputDimension: 5, width: 7, depth: 3, outputDimension: 4, hasBias: false)
        var network = DenseNetwork<Double>(architecture: architecture, generator: &generator)
        network.weights[2] = Matrix(rows: 4, columns: 7)
        let inputs = Matrix(rows: 6, columns: 5, storage: (0..<30).map { _ in generator.nextNormal() })
        let measured = CollinearityTrace.negativeCorrelation(network: network, inputs: inputs, labels: [0, 1, 2, 3, 1, 2])
        XCTAssertEqual(measured.value, 1, accuracy: 1e-14)
        XCTAssertEqual(measured.loss, log(4), accuracy: 1e-14)
        // Random last layer: strictly less than one.
        let random = DenseNetwork<Double>(architecture: architecture, generator: &generator)
        XCTAssertLessThan(CollinearityTrace.negativeCorrelation(network: random, inputs: inputs, labels: [0, 1, 2, 3, 1, 2]).value, 1)
    }

    func testFig5PanelsFromASyntheticStudy() {
        let configuration = HessianStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 1, probePerClass: 1, width: 4, depth: 10,
                                                      learningRate: 0.1, steps: 2, measureEvery: 1, eigenpairs: 2, lanczosIterations: 2, seed: 0)
        let energies = [[Double]](repeating: [Double](repeating: 0.1, count: 10), count: 2)
        let moments = ["initialisation", "rise", "after"].enumerated().map { index, name in
            HessianMoment(name: name, step: index, eigenvalues: [Double(index + 1), -1], residualNorms: [0, 0], energies: energies, loss: 1)
        }
        let study = HessianStudyResult(configuration: configuration, updateSteps: [0, 1], updateCorrelation: [0.9, 0.8],
                                       firstOrderCorrelation: [1, 1], infinitesimalCorrelation: [0.7, 0.7], measurementSteps: [0, 1, 2],
                                       alignments: [[Double]](repeating: [Double](repeating: 0.2, count: 10), count: 3),
                                       collinearity: [-1, -1, -1], losses: [2, 1, 0.5], moments: moments, wallSeconds: 0)
        let panels = Fig5Figure.panels(study: study, dataset: .fashionMNIST)
        XCTAssertEqual(panels.count, 6)
        XCTAssertEqual(moments[1].meanEnergy(layer: 7), 0.1, accuracy: 1e-15)
    }

    func testACorruptCachedResultIsReportedNotRecomputed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("second-order-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let context = FigureContext(profile: .quick, seed: 1, outputDirectory: directory, cacheDirectory: directory, dataDirectory: nil,
                                    jobs: 1, log: { _ in })
        var computed = 0
        let first = try SecondOrderSupport.cached([Double].self, name: "t", hash: "h", in: context) { computed += 1; return [1, 2] }
        XCTAssertEqual(first, [1, 2])
        XCTAssertEqual(try SecondOrderSupport.cached([Double].self, name: "t", hash: "h", in: context) { computed += 1; return [3] }, [1, 2])
        XCTAssertEqual(computed, 1, "the second call reads the cache")
        let url = directory.appendingPathComponent("second-order/t-h.json")
        try Data("{ truncated".utf8).write(to: url)
        XCTAssertThrowsError(try SecondOrderSupport.cached([Double].self, name: "t", hash: "h", in: context) { computed += 1; return [3] }) { error in
            guard case let FileError.corrupt(path, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue(reason.contains("delete it"), reason)
        }
        XCTAssertEqual(computed, 1, "a corrupt file is not silently recomputed")
    }
}
