import XCTest
@testable import Core

/// Appendix F numerics against independent computations: central finite differences for every
/// gradient and for the tangent factors, closed forms and Monte Carlo for the NNGP kernel, a direct
/// residual check for the kernel regression.
final class AppendixFGradientTests: XCTestCase {
    private func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix<Double> {
        SeededFixtures.matrix(rows: rows, columns: columns, seed: seed)
    }

    private func network(_ sizes: [Int], slope: Double = 0.1, seed: UInt64) -> NormalisedLeakyNetwork<Double> {
        var generator = SeededGenerator(seed: seed)
        var network = NormalisedLeakyNetwork<Double>(layerSizes: sizes, negativeSlope: slope, generator: &generator)
        for l in network.biases.indices { network.biases[l] = SeededFixtures.vector(network.biases[l].count, seed: seed + UInt64(l) + 7).map { 0.1 * $0 } }
        return network
    }

    func testForwardKernelLossGradientMatchesFiniteDifferences() {
        let inputs = NormalisedLeakyNetwork<Double>.unitRows(randomMatrix(7, 5, seed: 1))
        var w = randomMatrix(4, 5, seed: 2)
        var b = SeededFixtures.vector(4, seed: 3).map { 0.2 * $0 }
        let labels = [0, 1, 2, 0, 1, 1, 2]
        let exact = ForwardKernelLoss.evaluate(weights: w, bias: b, inputs: inputs, labels: labels, negativeSlope: 0.1)
        let h = 1e-6
        for index in w.storage.indices {
            let saved = w.storage[index]
            w.storage[index] = saved + h
            let plus = ForwardKernelLoss.evaluate(weights: w, bias: b, inputs: inputs, labels: labels, negativeSlope: 0.1, wantGradient: false).loss
            w.storage[index] = saved - h
            let minus = ForwardKernelLoss.evaluate(weights: w, bias: b, inputs: inputs, labels: labels, negativeSlope: 0.1, wantGradient: false).loss
            w.storage[index] = saved
            XCTAssertEqual(exact.weights.storage[index], (plus - minus) / (2 * h), accuracy: 1e-7 * max(1, abs(exact.weights.storage[index])))
        }
        for index in b.indices {
            let saved = b[index]
            b[index] = saved + h
            let plus = ForwardKernelLoss.evaluate(weights: w, bias: b, inputs: inputs, labels: labels, negativeSlope: 0.1, wantGradient: false).loss
            b[index] = saved - h
            let minus = ForwardKernelLoss.evaluate(weights: w, bias: b, inputs: inputs, labels: labels, negativeSlope: 0.1, wantGradient: false).loss
            b[index] = saved
            XCTAssertEqual(exact.bias[index], (plus - minus) / (2 * h), accuracy: 1e-7 * max(1, abs(exact.bias[index])))
        }
        XCTAssertGreaterThan(exact.weights.storage.map(abs).max() ?? 0, 1e-3, "the gradient is not trivially zero")
    }

    func testForwardKernelLossValueByHand() {
        // Two samples, identity layer with positive outputs: K = HHᵀ, T = ½δ.
        let inputs = Matrix<Double>(rows: 2, columns: 2, storage: [1, 0, 0.6, 0.8])
        let w = Matrix<Double>(rows: 2, columns: 2, storage: [1, 0, 0, 1])
        let loss = ForwardKernelLoss.evaluate(weights: w, bias: [0, 0], inputs: inputs, labels: [0, 1], negativeSlope: 0.01).loss
        // K = [[1, .6], [.6, 1]], T = [[.5, 0], [0, .5]]: residuals .5, .6, .6, .5.
        XCTAssertEqual(loss, (0.25 + 0.36 + 0.36 + 0.25) / 4, accuracy: 1e-12)
    }

    func testEndToEndGradientMatchesFiniteDifferences() {
        var net = network([5, 4, 3, 3], seed: 11)
        let x = randomMatrix(6, 5, seed: 12)
        let labels = [0, 1, 2, 2, 1, 0]
        let exact = net.crossEntropyGradient(x, labels: labels)
        func loss(_ n: NormalisedLeakyNetwork<Double>) -> Double { n.crossEntropyGradient(x, labels: labels).loss }
        let h = 1e-6
        var checked = 0
        for l in 0..<net.depth {
            for index in net.weights[l].storage.indices {
                let saved = net.weights[l].storage[index]
                net.weights[l].storage[index] = saved + h
                let plus = loss(net)
                net.weights[l].storage[index] = saved - h
                let minus = loss(net)
                net.weights[l].storage[index] = saved
                XCTAssertEqual(exact.weights[l].storage[index], (plus - minus) / (2 * h), accuracy: 1e-7, "W_\(l + 1)[\(index)]")
                checked += 1
            }
            for index in net.biases[l].indices {
                let saved = net.biases[l][index]
                net.biases[l][index] = saved + h
                let plus = loss(net)
                net.biases[l][index] = saved - h
                let minus = loss(net)
                net.biases[l][index] = saved
                XCTAssertEqual(exact.biases[l][index], (plus - minus) / (2 * h), accuracy: 1e-7, "b_\(l + 1)[\(index)]")
            }
        }
        XCTAssertEqual(checked, 5 * 4 + 4 * 3 + 3 * 3)
    }

    /// K_l from the factors equals the Gram matrix of finite-difference Jacobians ∂f_i(x)/∂θ_l,
    /// and ``LayerAlignment`` on the network equals ``KernelAlignment`` on that explicit kernel.
    func testTangentKernelsMatchFiniteDifferenceJacobians() {
        let net = network([4, 5, 4, 3], seed: 21)
        let x = randomMatrix(5, 4, seed: 22)
        let labels = [0, 1, 2, 1, 0]
        let n = 5, k = 3
        var factorKernels: [Int: Matrix<Double>] = [:]
        net.forEachLayerTangentFactors(x) { l, a, g in
            var kernel = Matrix<Double>(rows: n * k, columns: n * k)
            for r in 0..<(n * k) {
                for s in 0..<(n * k) {
                    var forward = 1.0, backward = 0.0
                    for c in 0..<a.columns { forward += a[r / k, c] * a[s / k, c] }
                    for c in 0..<g.columns { backward += g[r, c] * g[s, c] }
                    kernel[r, s] = forward * backward
                }
            }
            factorKernels[l] = kernel
        }
        let measured = LayerAlignment.alignments(network: net, probeFeatures: x, probeLabels: labels, centring: .full)
        let h = 1e-6
        for l in 0..<net.depth {
            let count = net.weights[l].storage.count + net.biases[l].count
            var jacobian = Matrix<Double>(rows: n * k, columns: count)
            for p in 0..<count {
                func perturbed(_ delta: Double) -> Matrix<Double> {
                    var copy = net
                    if p < copy.weights[l].storage.count { copy.weights[l].storage[p] += delta } else { copy.biases[l][p - copy.weights[l].storage.count] += delta }
                    return copy.logits(x)
                }
                let plus = perturbed(h), minus = perturbed(-h)
                for r in 0..<(n * k) { jacobian[r, p] = (plus.storage[r] - minus.storage[r]) / (2 * h) }
            }
            let explicit = Matrix.product(jacobian, transposed: false, jacobian, transposed: true)
            let factors = factorKernels[l + 1]!
            for i in explicit.storage.indices {
                XCTAssertEqual(factors.storage[i], explicit.storage[i], accuracy: 1e-6 * max(1, abs(explicit.storage[i])), "layer \(l + 1)")
            }
            XCTAssertEqual(measured[l], KernelAlignment.alignment(kernel: explicit, labels: labels, classCount: k, centring: .full), accuracy: 1e-6)
        }
    }

    func testUnitRowsAndLeakyForward() {
        let m = Matrix<Double>(rows: 2, columns: 2, storage: [3, 4, 0, 0])
        XCTAssertEqual(NormalisedLeakyNetwork<Double>.unitRows(m).storage, [0.6, 0.8, 0, 0])
        let z = Matrix<Double>(rows: 1, columns: 3, storage: [-2, 0, 1.5])
        XCTAssertEqual(NormalisedLeakyNetwork<Double>.leaky(z, slope: 0.1).storage, [-0.2, 0, 1.5])
    }
}

final class NNGPKernelTests: XCTestCase {
    /// The degree-1 arc-cosine kernel of Cho & Saul written out directly in θ (not through ``CorrelationMap``):
    /// E[φ(u)φ(v)]·2 = (√(q q′)/π)(sin θ + (π − θ) cos θ).
    private func arcCosine(_ s: Double, _ q1: Double, _ q2: Double) -> Double {
        let scale = (q1 * q2).squareRoot()
        let theta = acos(max(-1, min(1, s / scale)))
        return scale / .pi * (sin(theta) + (Double.pi - theta) * cos(theta))
    }

    func testAgainstClosedFormRecursion() {
        let x = SeededFixtures.matrix(rows: 4, columns: 6, seed: 31)
        for depth in 1...4 {
            let kernel = NNGPKernel.relu(x, x, depth: depth)
            for i in 0..<4 {
                for j in 0..<4 {
                    var s = 0.0, qi = 0.0, qj = 0.0
                    for c in 0..<6 { s += x[i, c] * x[j, c]; qi += x[i, c] * x[i, c]; qj += x[j, c] * x[j, c] }
                    s *= 2 / 6; qi *= 2 / 6; qj *= 2 / 6
                    for _ in 1..<depth { s = arcCosine(s, qi, qj) }
                    XCTAssertEqual(kernel[i, j], s, accuracy: 1e-12 * max(1, abs(s)))
                }
            }
        }
        // Diagonal: q_l stays (2/d)‖x‖² under He initialisation.
        let deep = NNGPKernel.relu(x, x, depth: 10)
        for i in 0..<4 {
            var q = 0.0
            for c in 0..<6 { q += x[i, c] * x[i, c] }
            XCTAssertEqual(deep[i, i], q * 2 / 6, accuracy: 1e-12)
        }
    }

    /// The empirical kernel (2/N)⟨φ(z_{L−1}(x)), φ(z_{L−1}(x′))⟩ of random He-initialised ReLU networks
    /// approaches Σ_L, with an error that shrinks like 1/√N: 16× the width should give about 4× less error.
    func testMonteCarloConvergenceToEmpiricalKernel() {
        let d = 8, depth = 3, samples = 5
        let x = SeededFixtures.matrix(rows: samples, columns: d, seed: 41)
        let exact = NNGPKernel.relu(x, x, depth: depth)
        func meanError(width: Int, seeds: Int) -> Double {
            var total = 0.0
            for seed in 0..<seeds {
                var generator = SeededGenerator(seed: 1000 + UInt64(seed))
                let network = DenseNetwork<Float>(architecture: DenseArchitecture(inputDimension: d, width: width, depth: depth,
                                                                                  outputDimension: 1, hasBias: false),
                                                  generator: &generator)
                let h = FrozenFeatures.lastHidden(network, Matrix(rows: samples, columns: d, storage: x.storage.map(Float.init)))
                let empirical = NNGPKernel.empirical(lastHidden: Matrix(rows: samples, columns: width, storage: h.storage.map(Double.init)),
                                                     other: Matrix(rows: samples, columns: width, storage: h.storage.map(Double.init)))
                var squared = 0.0, norm = 0.0
                for i in exact.storage.indices {
                    squared += (empirical.storage[i] - exact.storage[i]) * (empirical.storage[i] - exact.storage[i])
                    norm += exact.storage[i] * exact.storage[i]
                }
                total += (squared / norm).squareRoot()
            }
            return total / Double(seeds)
        }
        let widths = [64, 256, 1024]
        let errors = widths.map { meanError(width: $0, seeds: 16) }
        // Least-squares slope of log(error) against log(N); 1/√N is −0.5, 1/N would be −1.
        let xs = widths.map { log(Double($0)) }, ys = errors.map { log($0) }
        let mx = xs.reduce(0, +) / 3, my = ys.reduce(0, +) / 3
        let slope = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        XCTAssertLessThan(errors[2], 0.12, "a width-1024 network's kernel is within about 10% of the NNGP (it is \(errors))")
        XCTAssertEqual(slope, -0.5, accuracy: 0.15, "the error shrinks like 1/√N (errors \(errors))")
        XCTAssertTrue(errors[0] > errors[1] && errors[1] > errors[2], "monotone in the width")
    }
}

final class KernelReadoutTests: XCTestCase {
    func testRegressionSolvesTheRegularisedSystem() throws {
        let features = SeededFixtures.matrix(rows: 12, columns: 5, seed: 51)
        let kernel = Matrix.product(features, transposed: false, features, transposed: true)
        let labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]
        // Predictions on the training rows: f = (K + 1)α with (K + 1 + λI)α = Y, so Y − f = λα.
        let ridge = 0.1
        let f = try KernelRegression.predictions(trainKernel: kernel, testTrainKernel: kernel, labels: labels, classCount: 3, relativeRidge: ridge)
        var trace = 0.0
        for i in 0..<12 { trace += kernel[i, i] + 1 }
        let lambda = ridge * trace / 12
        // α = (Y − f)/λ must satisfy (K + 1)α = f.
        for c in 0..<3 {
            for i in 0..<12 {
                var value = 0.0
                for j in 0..<12 {
                    let y = (labels[j] == c ? 1.0 : 0.0) - 1.0 / 3
                    value += (kernel[i, j] + 1) * (y - f[j, c]) / lambda
                }
                XCTAssertEqual(value, f[i, c], accuracy: 1e-9)
            }
        }
        XCTAssertEqual(KernelRegression.accuracy(Matrix(rows: 2, columns: 2, storage: [0, 1, 2, 1]), labels: [1, 1]), 0.5)
        XCTAssertEqual(KernelRegression.relativeDistance(Matrix(rows: 1, columns: 2, storage: [3, 4]), from: Matrix(rows: 1, columns: 2, storage: [0, 0.5])), (9.0 + 12.25).squareRoot() / 0.5, accuracy: 1e-12)
    }

    func testNegativeDefiniteKernelIsRefused() {
        let kernel = Matrix<Double>(rows: 2, columns: 2, storage: [-5, 0, 0, -5])
        XCTAssertThrowsError(try KernelRegression.predictions(trainKernel: kernel, testTrainKernel: kernel, labels: [0, 1], classCount: 2,
                                                              relativeRidge: 0.01))
    }
}

final class LayerwiseTrainingTests: XCTestCase {
    /// Two well-separated Gaussian classes in 6 dimensions.
    private func samples(_ count: Int, seed: UInt64) -> LabelledSamples {
        var generator = SeededGenerator(seed: seed)
        var storage: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            for c in 0..<6 { storage.append(Float(generator.nextNormal() * 0.3 + (c == label ? 2 : 0))) }
            labels.append(label)
        }
        return LabelledSamples(features: Matrix(rows: count, columns: 6, storage: storage), labels: labels)
    }

    func testAlgorithmOneLowersEveryLayersValidationLossAndKeepsTheBestEpoch() {
        var generator = SeededGenerator(seed: 61)
        var network = NormalisedLeakyNetwork<Float>(layerSizes: [6, 8, 8, 2], negativeSlope: 0.01, generator: &generator)
        let logs = LayerwiseFeatureMaximisation.train(&network, train: samples(80, seed: 62), validation: samples(20, seed: 63),
                                                      optimizer: .defaultAdam(learningRate: 0.01), batchSize: 16,
                                                      stopping: ValidationStopping(maxEpochs: 30, patience: 4), generator: SeededGenerator(seed: 64))
        XCTAssertEqual(logs.map(\.layer), [1, 2, 3])
        for log in logs {
            XCTAssertEqual(log.validationLosses.count, log.epochs + 1)
            XCTAssertEqual(log.validationLosses[log.bestEpoch], log.validationLosses.min())
            XCTAssertLessThan(log.validationLosses[log.bestEpoch], log.validationLosses[0], "layer \(log.layer) improved on its initial loss")
            XCTAssertTrue(log.epochs == 30 || log.epochs - log.bestEpoch == 4, "stops after the patience runs out or at the cap")
        }
        let test = samples(40, seed: 65)
        let logits = network.logits(test.features)
        let correct = (0..<40).filter { (logits[$0, 1] > logits[$0, 0] ? 1 : 0) == test.labels[$0] }.count
        XCTAssertGreaterThan(correct, 36, "separable classes are learned")
    }

    func testFrozenReadoutTrainsTheLastLayerOnFixedFeatures() throws {
        let data = samples(60, seed: 71)
        var generator = SeededGenerator(seed: 72)
        let frozen = DenseNetwork<Float>(architecture: DenseArchitecture(inputDimension: 6, width: 16, depth: 3, outputDimension: 2, hasBias: true),
                                         generator: &generator)
        let h = FrozenFeatures.lastHidden(frozen, data.features)
        XCTAssertEqual(h.storage, frozen.activations(data.features)[1].storage, "matches the network's own forward pass")
        var w = frozen.weights[2], b = frozen.biases[2]
        let outcome = FrozenReadout.train(weights: &w, bias: &b, train: data.with(features: h), test: data.with(features: h),
                                          optimizer: .defaultAdam(learningRate: 0.01), batchSize: 16, maxEpochs: 200, lossThreshold: 0.05,
                                          generator: SeededGenerator(seed: 73))
        XCTAssertLessThan(outcome.finalTrainLoss, 0.05)
        XCTAssertLessThan(outcome.epochs, 200)
        XCTAssertEqual(outcome.bestTrainAccuracy, 1)
        XCTAssertEqual(outcome.trainAccuracies.count, outcome.epochs + 1)
    }
}

final class AppendixFAnalysisTests: XCTestCase {
    func testPairedAccuracyDifference() {
        let a = [true, true, true, false, true, true, false, true]
        let b = [true, false, true, false, false, true, false, true]
        let estimate = AppendixFAnalysis.accuracyDifference(a, b, resamples: 500, seed: 1)
        XCTAssertEqual(estimate.value, 2.0 / 8, accuracy: 1e-12)
        XCTAssertEqual(estimate.sampleSize, 8)
        let interval = try? XCTUnwrap(estimate.interval)
        XCTAssertNotNil(interval)
        XCTAssertGreaterThanOrEqual(interval!.lowerBound, 0, "b is never right where a is wrong, so no resample is negative")
        XCTAssertTrue(interval!.contains(0.25) && interval!.upperBound < 1)
        let same = AppendixFAnalysis.accuracyDifference(a, a, resamples: 100, seed: 1)
        XCTAssertEqual(same.interval, 0...0)
        // Independent test sets: 900 of 1000 against 800 of 1000; the binomial standard error of the
        // difference is √(.09/1000 + .16/1000) ≈ 0.0158, so the 95% interval is about ±0.031.
        let independent = AppendixFAnalysis.accuracyDifference(correctA: 900, totalA: 1000, correctB: 800, totalB: 1000, resamples: 2000, seed: 2)
        XCTAssertEqual(independent.value, 0.1, accuracy: 1e-12)
        let range = try? XCTUnwrap(independent.interval)
        XCTAssertEqual(range!.upperBound - range!.lowerBound, 2 * 1.96 * 0.0158, accuracy: 0.012)
        XCTAssertEqual((range!.upperBound + range!.lowerBound) / 2, 0.1, accuracy: 0.006)
    }

    func testNearMaximalLayersAndPeakDistance() {
        XCTAssertEqual(AppendixFAnalysis.nearMaximalLayerCount([0.1, 0.95, 1.0, 0.5]), 2)
        XCTAssertEqual(AppendixFAnalysis.nearMaximalLayerCount([0.1, 0.2, 1.0, 0.5]), 1)
        XCTAssertEqual(AppendixFAnalysis.nearMaximalLayerCount([0, 0]), 0)
        XCTAssertEqual(AppendixFAnalysis.peakDistanceFromCentre([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), 1.5)
    }

    private func run(seed: UInt64, s: Double, peak: Int, rise: Double = 0) -> FrozenRunResult {
        var alignments = [Double](repeating: 0.1, count: 10)
        alignments[peak - 1] = 0.5
        return FrozenRunResult(seed: seed, noiseScale: s, initialAlignments: alignments.map { $0 - rise }, alignments: alignments,
                               outcome: FrozenReadout.Outcome(epochs: 1, finalTrainLoss: 0, trainAccuracies: [1], testAccuracies: [1]))
    }

    func testPeakShiftTowardCentre() throws {
        let runs = [run(seed: 0, s: 0.1, peak: 5), run(seed: 0, s: 1, peak: 7), run(seed: 0, s: 10, peak: 9),
                    run(seed: 1, s: 0.1, peak: 6), run(seed: 1, s: 10, peak: 6)]
        let shift = try XCTUnwrap(AppendixFAnalysis.peakShiftTowardCentre(runs, resamples: 200, seed: 3))
        // Seed 0: |9 − 5.5| − |5 − 5.5| = 3; seed 1: 0.
        XCTAssertEqual(shift.perSeed, [3, 0])
        XCTAssertEqual(shift.estimate.value, 1.5)
        XCTAssertEqual(shift.estimate.interval, 0...3)
        let change = try XCTUnwrap(AppendixFAnalysis.frozenLayerAlignmentChange([run(seed: 0, s: 1, peak: 3, rise: 0.2), run(seed: 1, s: 1, peak: 3, rise: 0.4)],
                                                                                 noiseScale: 1, resamples: 100, seed: 1))
        XCTAssertEqual(change.perSeed[0], 0.2, accuracy: 1e-12)
        XCTAssertEqual(change.estimate.value, 0.3, accuracy: 1e-12)
    }

    func testWidthSlopeRecoversAnExactPowerLaw() throws {
        var points: [(seed: UInt64, width: Int, y: Double)] = []
        for seed in 0..<4 as Range<UInt64> {
            for width in [64, 256, 1024] { points.append((seed, width, 3 * pow(Double(width), -0.5))) }
        }
        let slope = try XCTUnwrap(AppendixFAnalysis.widthSlope(points, logY: true, resamples: 200, seed: 1))
        XCTAssertEqual(slope.value, -0.5, accuracy: 1e-12)
        XCTAssertEqual(slope.interval!.lowerBound, -0.5, accuracy: 1e-12)
        XCTAssertEqual(slope.interval!.upperBound, -0.5, accuracy: 1e-12)
        XCTAssertEqual(slope.sampleSize, 4)
        let linear = try XCTUnwrap(AppendixFAnalysis.widthSlope(points.map { ($0.seed, $0.width, 0.2 + 0.01 * log(Double($0.width))) }, logY: false,
                                                                resamples: 10, seed: 1))
        XCTAssertEqual(linear.value, 0.01, accuracy: 1e-12)
    }
}

/// A study configuration is one flat JSON object (its ``StudyScope`` beside the study's own settings),
/// as the configurations were before the scope was shared, and decodes back to itself.
final class StudyConfigurationCodingTests: XCTestCase {
    func testConfigurationEncodesFlatAndRoundTrips() throws {
        let c = FrozenStudyConfiguration(dataset: .fashionMNIST, trainPerClass: 3, testPerClass: 2, depth: 4, width: 8, noiseScales: [0.5, 2],
                                         seeds: [7, 9], probePerClass: 1,
                                         readout: ReadoutTraining(learningRate: 0.1, batchSize: 5, maxEpochs: 6, lossThreshold: 0.2))
        let json = try CanonicalJSON.string(for: c)
        XCTAssertEqual(json, #"{"dataset":"fashion-mnist","depth":4,"noiseScales":[0.5,2],"probePerClass":1,"readout":{"batchSize":5,"learningRate":0.1,"lossThreshold":0.2,"maxEpochs":6},"seeds":[7,9],"testPerClass":2,"trainPerClass":3,"width":8}"#)
        XCTAssertEqual(try JSONDecoder().decode(FrozenStudyConfiguration.self, from: Data(json.utf8)), c)
        XCTAssertEqual(c.offsettingSeeds(by: UInt64.max).seeds, [6, 8])
    }
}
