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
        // Random last layer: −corr(Ỹ, w) written out from softmax (w = (softmax − one-hot)/n,
        // Ỹ = one-hot − 1/k). Catches: a sign error (+corr), Ỹ with per-output centring, w
        // without the softmax (logits − one-hot), the loss summed instead of averaged; "< 1",
        // which this replaces, held for all of them.
        let random = DenseNetwork<Double>(architecture: architecture, generator: &generator)
        let labels = [0, 1, 2, 3, 1, 2]
        let logits = random.logits(inputs)
        var w: [Double] = [], targets: [Double] = [], loss = 0.0
        for x in 0..<6 {
            let row = (0..<4).map { logits[x, $0] }
            let normaliser = row.map { exp($0) }.reduce(0, +)
            loss -= (row[labels[x]] - log(normaliser)) / 6
            for i in 0..<4 {
                w.append((exp(row[i]) / normaliser - (i == labels[x] ? 1 : 0)) / 6)
                targets.append((i == labels[x] ? 1 : 0) - 0.25)
            }
        }
        let mw = w.reduce(0, +) / 24, mt = targets.reduce(0, +) / 24
        let covariance = zip(w, targets).reduce(0) { $0 + ($1.0 - mw) * ($1.1 - mt) }
        let norms = (w.reduce(0) { $0 + ($1 - mw) * ($1 - mw) } * targets.reduce(0) { $0 + ($1 - mt) * ($1 - mt) }).squareRoot()
        let measuredRandom = CollinearityTrace.negativeCorrelation(network: random, inputs: inputs, labels: labels)
        XCTAssertEqual(measuredRandom.value, -covariance / norms, accuracy: 1e-13)
        XCTAssertEqual(measuredRandom.loss, loss, accuracy: 1e-13)
        XCTAssertLessThan(measuredRandom.value, 0.999, "a random last layer is not collinear")
    }

    /// Every entry distinct (energy of eigenvector i in layer l = (i + 1)·l / 100, alignment at
    /// measurement j in layer l = j + l/100), so that each value can be traced to its index.
    /// Catches: a wrong layer index in `meanEnergy(layer:)` (0- vs 1-based, l for l − 1), which
    /// drives fig5…energy.layer7OverExtremesAtRise; a mean over layers instead of eigenvectors;
    /// panels that plot the wrong layer's energy or alignment.
    func testFig5PanelsFromASyntheticStudy() throws {
        let configuration = HessianStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 1, probePerClass: 1, width: 4, depth: 10,
                                                      learningRate: 0.1, steps: 2, measureEvery: 1, eigenpairs: 2, lanczosIterations: 2, seed: 0)
        let energies = (0..<2).map { i in (1...10).map { l in Double((i + 1) * l) / 100 } }
        let moments = ["initialisation", "rise", "after"].enumerated().map { index, name in
            HessianMoment(name: name, step: index, eigenvalues: [Double(index + 1), -1], residualNorms: [0, 0],
                          energies: energies.map { $0.map { $0 * Double(index + 1) } }, loss: 1)
        }
        let alignments = (0..<3).map { j in (1...10).map { l in Double(j) + Double(l) / 100 } }
        let study = HessianStudyResult(configuration: configuration, updateSteps: [0, 1], updateCorrelation: [0.9, 0.8],
                                       firstOrderCorrelation: [1, 1], infinitesimalCorrelation: [0.7, 0.7], measurementSteps: [0, 1, 2],
                                       alignments: alignments, collinearity: [-1, -1, -1], losses: [2, 1, 0.5], moments: moments, wallSeconds: 0)
        // Rise moment (factor 2): layer 7 energies 0.07·2 and 0.14·2, mean 0.21.
        XCTAssertEqual(moments[1].meanEnergy(layer: 7), 0.21, accuracy: 1e-15)
        XCTAssertEqual(moments[1].meanEnergy(layer: 1), 0.03, accuracy: 1e-15)
        XCTAssertEqual(moments[1].meanEnergy(layer: 10), 0.30, accuracy: 1e-15)
        XCTAssertEqual(moments[0].meanEnergy(layer: 7), 0.105, accuracy: 1e-15)

        let panels = Fig5Figure.panels(study: study, dataset: .fashionMNIST)
        XCTAssertEqual(panels.count, 6)
        XCTAssertEqual(panels[0].series[0].y, [0.9, 0.8], "panel (a): the Eq. 10 correlation")
        XCTAssertEqual(panels[0].series[1].y, [1, 1], "panel (a): the Eq. 9 correlation")
        let a7 = try XCTUnwrap(panels[1].series.first { $0.label == "A_{7}" })
        XCTAssertEqual(a7.y, [0.07, 1.07, 2.07], "panel (b): A_7 over the measurements")
        let riseLayer7 = try XCTUnwrap(panels[3].series.first { $0.label == "layer 7" })
        XCTAssertEqual(riseLayer7.y, [0.14, 0.28], "panel (d): layer-7 energy of each eigenvector at the rise")
        let meanAtRise = try XCTUnwrap(panels[5].series.first { $0.label?.hasPrefix("rise") ?? false })
        for l in 1...10 { XCTAssertEqual(meanAtRise.y[l - 1], 0.03 * Double(l), accuracy: 1e-15, "panel (f), layer \(l)") }
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
