@testable import Core
import XCTest

/// Output Hessian–vector products, Lanczos, Theorem A and the first-order bookkeeping (Appendix B.4–B.5).
final class SecondOrderTests: XCTestCase {
    // MARK: - Fixtures

    private func network(inputs d: Int = 3, width: Int = 4, depth: Int = 3, outputs k: Int = 2, bias: Bool,
                         seed: UInt64 = 1) -> DenseNetwork<Double> {
        SeededFixtures.network(inputs: d, width: width, depth: depth, outputs: k, bias: bias, seed: seed)
    }

    private func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> Matrix<Double> {
        SeededFixtures.matrix(rows: rows, columns: columns, seed: seed)
    }

    private func randomVector(_ count: Int, seed: UInt64) -> [Double] { SeededFixtures.vector(count, seed: seed) }

    // MARK: - Hessian–vector products

    func testHessianColumnsMatchCentralDifferencesOfGradients() throws {
        let net = network(bias: true)
        let x = randomMatrix(rows: 3, columns: 3, seed: 2)
        let w = randomVector(6, seed: 3)
        let dense = OutputHessian(network: net, inputs: x, outputWeights: w).denseMatrix()
        let theta = net.flattenedParameters
        let epsilon = 1e-6
        var largest = 0.0
        var worst = 0.0
        for j in theta.indices {
            var plus = theta, minus = theta
            plus[j] += epsilon
            minus[j] -= epsilon
            let gPlus = OutputHessian(network: try DenseNetwork(architecture: net.architecture, flattenedParameters: plus),
                                      inputs: x, outputWeights: w).tangentFeaturesTimesWeights
            let gMinus = OutputHessian(network: try DenseNetwork(architecture: net.architecture, flattenedParameters: minus),
                                       inputs: x, outputWeights: w).tangentFeaturesTimesWeights
            for i in theta.indices {
                let difference = (gPlus[i] - gMinus[i]) / (2 * epsilon)
                worst = max(worst, abs(difference - dense[i, j]))
                largest = max(largest, abs(dense[i, j]))
            }
        }
        XCTAssertGreaterThan(largest, 0.1, "the Hessian of a 3-layer net with biases is not zero")
        XCTAssertLessThan(worst, 1e-6 * largest)
    }

    func testHessianIsSymmetricAndProductsAreLinear() {
        let net = network(width: 5, depth: 4, bias: true, seed: 4)
        let x = randomMatrix(rows: 4, columns: 3, seed: 5)
        let hessian = OutputHessian(network: net, inputs: x, outputWeights: randomVector(8, seed: 6))
        let dense = hessian.denseMatrix()
        for i in 0..<dense.rows {
            for j in 0..<i { XCTAssertEqual(dense[i, j], dense[j, i], accuracy: 1e-12) }
        }
        let v = randomVector(hessian.parameterCount, seed: 7)
        let hv = hessian.product(v)
        for i in 0..<dense.rows {
            var expected = 0.0
            for j in 0..<dense.columns { expected += dense[i, j] * v[j] }
            XCTAssertEqual(hv[i], expected, accuracy: 1e-11)
        }
    }

    func testTangentFeaturesTimesLossGradientIsTheLossGradient() {
        let net = network(width: 6, depth: 3, outputs: 3, bias: true, seed: 8)
        let x = randomMatrix(rows: 5, columns: 3, seed: 9)
        let labels = [0, 2, 1, 1, 0]
        let w = OutputHessian.lossOutputGradient(network: net, inputs: x, labels: labels, loss: .crossEntropy)
        let direct = net.lossAndGradient(features: x, labels: labels, loss: .crossEntropy)
        XCTAssertEqual(w.loss, direct.loss, accuracy: 1e-14)
        let psiW = OutputHessian(network: net, inputs: x, outputWeights: w.gradient).tangentFeaturesTimesWeights
        XCTAssertLessThan(VectorStatistics.relativeDistance(psiW, from: direct.gradient), 1e-13)
    }

    // MARK: - Lanczos

    func testLanczosWithFullKrylovSpaceMatchesLAPACK() throws {
        let a = randomMatrix(rows: 60, columns: 60, seed: 10)
        var symmetric = Matrix<Double>(rows: 60, columns: 60)
        for i in 0..<60 { for j in 0..<60 { symmetric[i, j] = a[i, j] + a[j, i] } }
        let exact = try symmetricEigen(symmetric)
        var generator = SeededGenerator(seed: 11)
        let result = try Lanczos.largestMagnitude(dimension: 60, count: 8, iterations: 60, generator: &generator) { v in
            (0..<60).map { i in (0..<60).reduce(0) { $0 + symmetric[i, $1] * v[$1] } }
        }
        let expected = exact.values.sorted { abs($0) > abs($1) }.prefix(8)
        for (found, wanted) in zip(result.values, expected) { XCTAssertEqual(found, wanted, accuracy: 1e-9 * abs(wanted)) }
        for (index, value) in result.values.enumerated() {
            let column = exact.values.firstIndex { abs($0 - value) < 1e-8 * abs(value) }!
            let reference = (0..<60).map { exact.vectors[$0, column] }
            XCTAssertEqual(abs(VectorStatistics.cosine(result.vectors[index], reference)), 1, accuracy: 1e-8)
        }
    }

    func testLanczosOnATinyNetworkHessianMatchesDenseEigendecomposition() throws {
        let net = network(inputs: 4, width: 5, depth: 3, outputs: 3, bias: false, seed: 12)
        let x = randomMatrix(rows: 6, columns: 4, seed: 13)
        let labels = [0, 1, 2, 0, 1, 2]
        let w = OutputHessian.lossOutputGradient(network: net, inputs: x, labels: labels, loss: .crossEntropy).gradient
        let hessian = OutputHessian(network: net, inputs: x, outputWeights: w)
        let exact = try symmetricEigenvalues(hessian.denseMatrix()).sorted { abs($0) > abs($1) }
        var generator = SeededGenerator(seed: 14)
        let p = hessian.parameterCount
        let full = try Lanczos.largestMagnitude(dimension: p, count: 10, iterations: p, generator: &generator, apply: hessian.product)
        for (found, wanted) in zip(full.values, exact.prefix(10)) { XCTAssertEqual(found, wanted, accuracy: 1e-10 * abs(exact[0])) }
        // Fewer iterations than the dimension: the largest pairs have converged and say so.
        let partial = try Lanczos.largestMagnitude(dimension: p, count: 2, iterations: p / 2 + 10, generator: &generator, apply: hessian.product)
        XCTAssertEqual(abs(partial.values[0]), abs(exact[0]), accuracy: 1e-6 * abs(exact[0]))
        XCTAssertLessThan(partial.residualNorms[0], 1e-4 * abs(exact[0]))
        let hy = hessian.product(partial.vectors[0])
        XCTAssertLessThan(VectorStatistics.relativeDistance(hy, from: partial.vectors[0].map { $0 * partial.values[0] }), 1e-4)
    }

    func testLanczosSurvivesAnInvariantSubspace() throws {
        // Diagonal operator: the start vector's Krylov space is the whole space only generically; a rank-2
        // operator breaks down after 2 steps and must restart.
        let diagonal = [5.0, -4.0, 0, 0, 0, 0, 0, 0]
        var generator = SeededGenerator(seed: 15)
        let result = try Lanczos.largestMagnitude(dimension: 8, count: 3, iterations: 8, generator: &generator) { v in
            v.indices.map { diagonal[$0] * v[$0] }
        }
        XCTAssertEqual(result.values[0], 5, accuracy: 1e-12)
        XCTAssertEqual(result.values[1], -4, accuracy: 1e-12)
        XCTAssertEqual(result.values[2], 0, accuracy: 1e-12)
        XCTAssertThrowsError(try Lanczos.largestMagnitude(dimension: 8, count: 9, iterations: 9, generator: &generator) { $0 })
    }

    // MARK: - Theorem A

    func testTheoremAFeatureIdentityHoldsWithoutBiasesAtSeveralDepthsAndWidths() {
        for (depth, width) in [(2, 5), (3, 16), (5, 8), (8, 6)] {
            let net = network(inputs: 4, width: width, depth: depth, outputs: 3, bias: false, seed: UInt64(depth * 100 + width))
            let x = randomMatrix(rows: 3, columns: 4, seed: 16)
            let error = SecondOrderIdentities.theoremAFeatureError(network: net, inputs: x)
            XCTAssertLessThan(error, 1e-12, "depth \(depth) width \(width)")
        }
    }

    func testTheoremAFailsWithBiases() {
        let net = network(inputs: 4, width: 8, depth: 4, outputs: 3, bias: true, seed: 17)
        let x = randomMatrix(rows: 3, columns: 4, seed: 18)
        XCTAssertGreaterThan(SecondOrderIdentities.theoremAFeatureError(network: net, inputs: x), 1e-2)
        XCTAssertGreaterThan(SecondOrderIdentities.theoremAStepError(network: net, inputs: x, labels: [0, 1, 2], learningRate: 0.1), 1e-2)
    }

    func testTheoremAGradientStepIdentity() {
        for depth in [2, 4, 7] {
            let net = network(inputs: 4, width: 10, depth: depth, outputs: 3, bias: false, seed: UInt64(depth))
            let x = randomMatrix(rows: 6, columns: 4, seed: 19)
            let error = SecondOrderIdentities.theoremAStepError(network: net, inputs: x, labels: [0, 1, 2, 2, 1, 0], learningRate: 0.05)
            XCTAssertLessThan(error, 1e-12, "depth \(depth)")
        }
    }

    // MARK: - First-order bookkeeping (Eqs. 9, 10, 23)

    func testFeatureChangeIsFirstOrderInTheStepSize() throws {
        let net = network(inputs: 4, width: 12, depth: 4, outputs: 3, bias: false, seed: 20)
        let x = randomMatrix(rows: 9, columns: 4, seed: 21)
        let labels = [0, 1, 2, 0, 1, 2, 0, 1, 2]
        let targets = Centring.full.centredTargets(labels: labels, classCount: 3)
        let large = try SecondOrderIdentities.featureChange(network: net, inputs: x, labels: labels, direction: targets, learningRate: 1e-3)
        let small = try SecondOrderIdentities.featureChange(network: net, inputs: x, labels: labels, direction: targets, learningRate: 1e-4)
        XCTAssertLessThan(small.firstOrderRelativeError, 1e-3)
        let order = log10(large.firstOrderRelativeError / small.firstOrderRelativeError)
        XCTAssertEqual(order, 1, accuracy: 0.1, "relative error ∝ η: the remainder is second order")
        XCTAssertGreaterThan(small.firstOrderCorrelation, 0.999999)
        // Eq. 10 (the Fig 5a curve) against brute force: −η H_w ΨỸ and the measured change of ΨỸ
        // from finite differences of the outputs only. Catches: H_Ỹ for H_w (the Eq. 9 product),
        // a missing −η, Ψw for ΨỸ as the direction, a change measured against the wrong step.
        let eta = 1e-4
        let brute = BruteForceSecondOrder(architecture: net.architecture, inputs: x, coordinates: Array(0..<net.parameterCount))
        let theta = net.flattenedParameters
        let (_, w) = Reference.crossEntropy(logits: try brute.outputs(theta), labels: labels, classes: 3)
        let features = try brute.tangentFeatures(targets, at: theta)
        let approximation = try brute.hessianProduct(weights: w, direction: features, at: theta).map { -eta * $0 }
        XCTAssertLessThan(Reference.maxRelativeError(small.approximation, approximation), 1e-6)
        let step = try brute.tangentFeatures(w, at: theta).map { -eta * $0 }
        let moved = zip(theta, step).map { $0 + $1 }
        let measured = zip(try brute.tangentFeatures(targets, at: moved), features).map { $0 - $1 }
        XCTAssertLessThan(Reference.maxRelativeError(small.measured, measured), 1e-5)
        XCTAssertEqual(small.approximationCorrelation, Reference.pearson(measured, approximation), accuracy: 1e-6)
        // Approximation 1 (w ∝ −Ỹ) is not exact: correlated, but less than the exact first order.
        XCTAssertGreaterThan(small.approximationCorrelation, 0.1)
        XCTAssertLessThan(small.approximationCorrelation, small.firstOrderCorrelation - 1e-6)
    }

    // MARK: - Helpers

    func testVectorStatisticsAndLayerEnergies() {
        // centred: (−1, 0, 1) and b − 25/6; Σab = 4.5, Σa² = 2, Σb² = 61/6.
        XCTAssertEqual(VectorStatistics.correlation([1, 2, 3], [2, 4, 6.5]), 4.5 / (2 * 61.0 / 6).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(VectorStatistics.correlation([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-15)
        XCTAssertTrue(VectorStatistics.correlation([1, 1], [1, 2]).isNaN)
        XCTAssertEqual(VectorStatistics.cosine([1, 0], [1, 1]), 1 / 2.0.squareRoot(), accuracy: 1e-15)
        let architecture = NetworkArchitecture(inputDimension: 2, width: 3, depth: 2, outputDimension: 1, hasBias: true)
        let v = (0..<architecture.parameterCount).map(Double.init)  // W1: 0…5, b1: 6…8, W2: 9…11, b2: 12
        let energies = OutputHessian.layerEnergies(v, architecture: architecture)
        let first: Double = 204  // 0² + 1² + … + 8²
        let second: Double = 81 + 100 + 121 + 144  // 9² + … + 12²
        XCTAssertEqual(energies, [first, second])
    }
}
