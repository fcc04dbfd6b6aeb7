import Foundation
import XCTest
@testable import Core

/// Appendix D (GOFE) machinery against independent computations on tiny networks: finite
/// differences of the outputs and of the scalar loss, explicit Ψ matrices, dense H_w powers,
/// dense eigendecompositions and closed-form rank statistics.
final class FeatureEvolutionTests: XCTestCase {
    private func network(inputs d: Int = 3, width: Int = 4, depth: Int = 3, outputs k: Int = 3, bias: Bool,
                         seed: UInt64 = 5) -> DenseNetwork<Double> {
        SeededFixtures.network(inputs: d, width: width, depth: depth, outputs: k, bias: bias, seed: seed)
    }

    private func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> Matrix<Double> {
        SeededFixtures.matrix(rows: rows, columns: columns, seed: seed)
    }

    private func randomVector(_ count: Int, seed: UInt64) -> [Double] { SeededFixtures.vector(count, seed: seed) }

    private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Ψ as an explicit P × nk matrix (column (x, i) = ∇_θ f_i(x)), by back-propagating unit output vectors.
    private func explicitFeatures(_ net: DenseNetwork<Double>, _ x: Matrix<Double>) -> [[Double]] {
        let m = x.rows * net.architecture.outputDimension
        return (0..<m).map { c in
            var unit = [Double](repeating: 0, count: m)
            unit[c] = 1
            return OutputHessian(network: net, inputs: x, outputWeights: unit).tangentFeaturesTimesWeights
        }
    }

    /// The network with parameters θ + s·v.
    private func displaced(_ net: DenseNetwork<Double>, along v: [Double], by s: Double) throws -> DenseNetwork<Double> {
        let theta = net.flattenedParameters
        return try DenseNetwork<Double>(architecture: net.architecture, flattenedParameters: theta.indices.map { theta[$0] + s * v[$0] })
    }

    // MARK: - Ψᵀv and ‖Ψ_l‖

    /// Ψᵀv against the central difference of the logits along v (polynomial in the step inside a
    /// region, so the five-point stencil is exact to rounding for depth ≤ 4), with and without biases.
    /// Catches a missing carried tangent R(A_{l−1})W_lᵀ, a missing mask or bias term, a transposed block.
    func testJacobianProductMatchesFiniteDifferencesOfTheOutputs() throws {
        for bias in [false, true] {
            let net = network(bias: bias)
            let x = randomMatrix(rows: 4, columns: 3, seed: 7)
            let v = randomVector(net.parameterCount, seed: 8)
            let h = 1e-4
            func logits(_ s: Double) throws -> [Double] { try displaced(net, along: v, by: s).logits(x).storage }
            let (p2, p1, m1, m2) = (try logits(2 * h), try logits(h), try logits(-h), try logits(-2 * h))
            let reference = p1.indices.map { (-p2[$0] + 8 * p1[$0] - 8 * m1[$0] + m2[$0]) / (12 * h) }
            let computed = TangentFeatureMap(network: net, inputs: x).transposedProduct(v)
            XCTAssertLessThan(Reference.maxRelativeError(computed, reference), 1e-8, "bias \(bias)")
        }
    }

    /// ‖Ψ_l‖²_F and ‖Ψ′_l − Ψ_l‖²_F in closed form against the explicit Ψ of two networks (θ and a
    /// perturbed θ′), with and without biases. Catches a wrong outer-product identity, a missing
    /// cross term, layer blocks shifted by one, a missing bias block.
    func testLayerNormsAndDistancesMatchExplicitFeatures() throws {
        for bias in [false, true] {
            let net = network(bias: bias)
            let x = randomMatrix(rows: 4, columns: 3, seed: 9)
            let perturbation = randomVector(net.parameterCount, seed: 10)
            let moved = try displaced(net, along: perturbation, by: 0.2)
            let a = explicitFeatures(net, x), b = explicitFeatures(moved, x)
            let layout = ParameterLayout(architecture: net.architecture)
            let depth = net.architecture.depth
            var expectedNorms: [Double] = [], expectedDistances: [Double] = []
            for l in 0..<depth {
                let start = layout.weightOffsets[l]
                let end = l + 1 < depth ? layout.weightOffsets[l + 1] : layout.count
                var norm = 0.0, distance = 0.0
                for c in a.indices {
                    for j in start..<end {
                        norm += a[c][j] * a[c][j]
                        distance += (b[c][j] - a[c][j]) * (b[c][j] - a[c][j])
                    }
                }
                expectedNorms.append(norm); expectedDistances.append(distance)
            }
            let mapA = TangentFeatureMap(network: net, inputs: x), mapB = TangentFeatureMap(network: moved, inputs: x)
            XCTAssertLessThan(Reference.maxRelativeError(mapA.layerSquaredNorms(), expectedNorms), 1e-12, "bias \(bias)")
            XCTAssertLessThan(Reference.maxRelativeError(mapA.layerSquaredDistances(to: mapB), expectedDistances), 1e-10, "bias \(bias)")
            XCTAssertGreaterThan(expectedDistances.min() ?? 0, 1e-6, "the perturbation must move every layer's features")
        }
    }

    // MARK: - Eq. 20 and Eq. 21

    /// uᵀ(∂²ℒ/∂θ²)v from the decomposition H_w + Ψ∂²ℒ/∂F²Ψᵀ against the four-point mixed difference of
    /// the scalar loss (logits → Reference.crossEntropy, no gradient code), and the Gauss–Newton term
    /// against Jᵀ G J with the output curvature written out. H_w alone must miss (falsifiability).
    func testLossHessianDecompositionMatchesSecondDifferencesOfTheLoss() throws {
        let net = network(bias: false)
        let x = randomMatrix(rows: 5, columns: 3, seed: 11)
        let labels = [0, 1, 2, 1, 0]
        let theta = net.flattenedParameters
        let hessian = CrossEntropyLossHessian(network: net, inputs: x, labels: labels)
        let k = net.architecture.outputDimension
        func loss(_ step: [Double]) throws -> Double {
            let logits = try DenseNetwork<Double>(architecture: net.architecture, flattenedParameters: theta.indices.map { theta[$0] + step[$0] })
                .logits(x).storage
            return Reference.crossEntropy(logits: logits, labels: labels, classes: k).loss
        }
        for seed in [UInt64(12), 13, 14] {
            let u = randomVector(theta.count, seed: seed), v = randomVector(theta.count, seed: seed + 100)
            let h = 1e-4
            func shifted(_ a: Double, _ b: Double) -> [Double] { theta.indices.map { a * u[$0] + b * v[$0] } }
            let mixed = (try loss(shifted(h, h)) - loss(shifted(h, -h)) - loss(shifted(-h, h)) + loss(shifted(-h, -h))) / (4 * h * h)
            let decomposed = dot(u, hessian.product(v))
            XCTAssertEqual(decomposed, mixed, accuracy: 1e-6 * max(1, abs(mixed)), "seed \(seed)")
            let outputOnly = dot(u, hessian.outputHessian.product(v))
            XCTAssertGreaterThan(abs(outputOnly - mixed), 1e-3 * abs(mixed), "H_w alone must not already match (seed \(seed))")
        }
        // Gauss–Newton term: uᵀ Ψ G Ψᵀ v with G = blockdiag((diag p − ppᵀ)/n) from the explicit Ψ.
        let u = randomVector(theta.count, seed: 20), v = randomVector(theta.count, seed: 21)
        let columns = explicitFeatures(net, x)
        let ju = columns.map { dot($0, u) }, jv = columns.map { dot($0, v) }
        let logits = net.logits(x).storage
        var expected = 0.0
        for r in 0..<x.rows {
            let row = Array(logits[r * k..<(r + 1) * k])
            let e = row.map { Foundation.exp($0 - row.max()!) }
            let p = e.map { $0 / e.reduce(0, +) }
            for i in 0..<k {
                for j in 0..<k {
                    expected += ju[r * k + i] * ((i == j ? p[i] : 0) - p[i] * p[j]) / Double(x.rows) * jv[r * k + j]
                }
            }
        }
        XCTAssertEqual(dot(u, hessian.gaussNewtonProduct(v)), expected, accuracy: 1e-12 * max(1, abs(expected)))
    }

    /// Eq. 20 and 21 checks as the figure runs them: tiny relative errors for the exact decomposition
    /// and GOFE velocity, and the finite-difference reference is a real test: the GOFE velocity with
    /// V = +H_w/‖w‖² (wrong sign) fails it by order one.
    func testEquationTwentyAndGOFEEquivalenceErrorsAreAtRoundingLevel() throws {
        let net = network(inputs: 4, width: 6, depth: 4, outputs: 3, bias: false, seed: 3)
        let x = randomMatrix(rows: 6, columns: 4, seed: 15)
        let labels = [0, 1, 2, 0, 1, 2]
        let hessian = CrossEntropyLossHessian(network: net, inputs: x, labels: labels)
        let v = randomVector(net.parameterCount, seed: 16)
        XCTAssertLessThan(try FeatureEvolution.lossHessianDecompositionError(hessian, labels: labels, direction: v), 1e-6)
        XCTAssertLessThan(try FeatureEvolution.gofeEquivalenceError(hessian, labels: labels, learningRate: 0.1), 1e-6)
        let gd = try FeatureEvolution.finiteDifferenceHessianProduct(network: net, inputs: x, labels: labels,
                                                                    direction: hessian.gradient.map { -$0 }).map { 0.1 * $0 }
        let hw = hessian.outputHessian.product(hessian.gradient)
        let gofe = FeatureEvolution.gofeGradientVelocity(hessian, learningRate: 0.1)
        let wrongSign = gofe.indices.map { gofe[$0] + 2 * 0.1 * hw[$0] }
        XCTAssertGreaterThan(VectorStatistics.relativeDistance(wrongSign, from: gd), 1e-2)
    }

    // MARK: - Eq. 22 comparisons

    /// cos and relative error of b sᵀ against a ΔΨ, from ΔΨs and ‖ΔΨ_l‖ only, against the same
    /// quantities on the explicit P × nk matrices. Catches a missing ‖s‖, a cross term of the wrong sign,
    /// layer blocks misaligned.
    func testRankOneComparisonMatchesExplicitMatrices() throws {
        let net = network(bias: false)
        let x = randomMatrix(rows: 3, columns: 3, seed: 17)
        let theta = net.flattenedParameters
        let moved = try displaced(net, along: randomVector(theta.count, seed: 18), by: 0.1)  // one draw, not one per entry
        let a = explicitFeatures(net, x), c = explicitFeatures(moved, x)
        let s = randomVector(a.count, seed: 19)
        // Make b partly aligned with ΔΨs so that the cosine is not trivially near zero.
        let deltaS = theta.indices.map { j in a.indices.reduce(0.0) { $0 + (c[$1][j] - a[$1][j]) * s[$1] } }
        let noise = randomVector(theta.count, seed: 22)
        let b = theta.indices.map { 0.1 * deltaS[$0] + 0.01 * noise[$0] }
        let mapA = TangentFeatureMap(network: net, inputs: x), mapC = TangentFeatureMap(network: moved, inputs: x)
        let comparison = FeatureEvolution.compareRankOne(prediction: b, direction: s, measuredTimesS: deltaS,
                                                         measuredLayerSquaredNorms: mapA.layerSquaredDistances(to: mapC),
                                                         architecture: net.architecture)
        var inner = 0.0, measured = 0.0, predicted = 0.0, error = 0.0
        for col in a.indices {
            for j in theta.indices {
                let delta = c[col][j] - a[col][j], p = b[j] * s[col]
                inner += delta * p; measured += delta * delta; predicted += p * p; error += (delta - p) * (delta - p)
            }
        }
        XCTAssertEqual(comparison.cosine, inner / (measured * predicted).squareRoot(), accuracy: 1e-10)
        XCTAssertEqual(comparison.relativeError, (error / measured).squareRoot(), accuracy: 1e-10)
        XCTAssertGreaterThan(abs(comparison.cosine), 0.05)
        XCTAssertEqual(comparison.layerCosines.count, net.architecture.depth)
    }

    func testOrthogonalDirectionsAreOrthogonalToTargetsOnesAndEachOther() {
        let targets = Reference.centredTargets(labels: [0, 1, 2, 0, 1, 2], classes: 3)
        var generator = SeededGenerator(seed: 4)
        let directions = FeatureEvolution.orthogonalDirections(targets: targets, count: 4, generator: &generator)
        let scale = dot(targets, targets)
        for (i, u) in directions.enumerated() {
            XCTAssertEqual(dot(u, targets), 0, accuracy: 1e-12)
            XCTAssertEqual(u.reduce(0, +), 0, accuracy: 1e-12)
            XCTAssertEqual(dot(u, u), scale, accuracy: 1e-12)
            for other in directions[(i + 1)...] { XCTAssertEqual(dot(u, other), 0, accuracy: 1e-12) }
        }
    }

    // MARK: - Eq. 25 moments

    /// tr(M_l H^k) exactly from products against the dense H_w powers; the weighted-eigenvalue form
    /// with all P eigenpairs (dsyevd) equals m₃/m₂; Hutchinson with many probes lands within 4
    /// standard errors of the exact values, and its error bar is not vacuous (smaller than the value).
    func testLayerMomentsMatchDenseMatrixPowersAndEigenpairs() throws {
        let net = network(inputs: 3, width: 4, depth: 3, outputs: 3, bias: false, seed: 23)
        let x = randomMatrix(rows: 4, columns: 3, seed: 24)
        let w = randomVector(12, seed: 25)
        let hessian = OutputHessian(network: net, inputs: x, outputWeights: w)
        let dense = hessian.denseMatrix()
        let h2 = Matrix.product(dense, dense), h3 = Matrix.product(h2, dense), h4 = Matrix.product(h2, h2)
        let (values, vectors) = try symmetricEigen(dense)
        let p = net.parameterCount
        let eigenvectors = (0..<p).map { i in (0..<p).map { vectors[$0, i] } }
        let energies = eigenvectors.map { OutputHessian.layerEnergies($0, architecture: net.architecture) }
        var generator = SeededGenerator(seed: 26)
        for l in 1...net.architecture.depth {
            let range = FeatureEvolution.layerRange(l, architecture: net.architecture)
            let m2 = range.reduce(0.0) { $0 + h2[$1, $1] }, m3 = range.reduce(0.0) { $0 + h3[$1, $1] }
            let m4 = range.reduce(0.0) { $0 + h4[$1, $1] }
            let exact = FeatureEvolution.exactLayerMoments(layer: l, architecture: net.architecture, apply: hessian.product)
            XCTAssertEqual(exact.m2, m2, accuracy: 1e-10 * abs(m2))
            XCTAssertEqual(exact.m3, m3, accuracy: 1e-10 * max(abs(m3), m2))
            XCTAssertEqual(exact.m4, m4, accuracy: 1e-10 * abs(m4))
            XCTAssertEqual(FeatureEvolution.weightedEigenvalueRatio(eigenvalues: values, energies: energies, layer: l), m3 / m2,
                           accuracy: 1e-9 * max(1, abs(m3 / m2)))
            let estimate = FeatureEvolution.hutchinsonLayerMoments(layer: l, architecture: net.architecture, probes: 4000,
                                                                   generator: &generator, apply: hessian.product)
            XCTAssertEqual(estimate.m2, m2, accuracy: 4 * estimate.m2Error + 1e-12)
            XCTAssertEqual(estimate.m4, m4, accuracy: 4 * estimate.m4Error + 1e-12)
            XCTAssertEqual(estimate.m3 / estimate.m2, m3 / m2, accuracy: 4 * estimate.ratioError + 1e-12)
            XCTAssertLessThan(estimate.m2Error, 0.5 * m2)
        }
        let moments = FeatureEvolution.LayerMoments(m2: 2, m3: 3, m4: 5, m2Error: 0, m3Error: 0, m4Error: 0, ratioError: 0)
        XCTAssertEqual(moments.predictedGrowthFactor(learningRate: 0.1), 1 - 0.2 * 1.5 + 0.01 * 2.5, accuracy: 1e-15)
    }

    // MARK: - Rank correlation

    func testSpearmanMatchesClosedForms() {
        XCTAssertEqual(RankCorrelation.ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
        XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4], [10, 40, 90, 160])!, 1, accuracy: 1e-15)
        XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4], [4, 3, 2, 1])!, -1, accuracy: 1e-15)
        // No ties: ρ = 1 − 6Σd²/(n(n²−1)); ranks (1,2,3,4,5) vs (2,1,4,3,5): Σd² = 4 → ρ = 0.8.
        XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4, 5], [0.2, 0.1, 0.4, 0.3, 0.5])!, 0.8, accuracy: 1e-12)
        XCTAssertTrue(RankCorrelation.spearman([1, 1, 1], [1, 2, 3]) == nil)
    }

    /// Column means, then ρ; the bootstrap over rows brackets the value and is degenerate ([1, 1])
    /// when every row has the same ranking.
    func testSpearmanOfColumnMeansAndItsBootstrap() {
        let predicted = [[1.0, 2, 3], [1.5, 2.5, 3.5], [0.5, 1, 4]]
        let measured = [[0.1, 0.2, 0.3], [0.2, 0.3, 0.4], [0.0, 0.5, 0.6]]
        let consistent = RankCorrelation.spearmanOfColumnMeans(predicted: predicted, measured: measured, resamples: 200, seed: 1)
        XCTAssertEqual(consistent.value, 1, accuracy: 1e-12)
        XCTAssertEqual(consistent.interval, 1...1)
        let mixed = RankCorrelation.spearmanOfColumnMeans(predicted: predicted, measured: [[0.3, 0.2, 0.1], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1]],
                                                          resamples: 400, seed: 2)
        XCTAssertEqual(mixed.value, -1, accuracy: 1e-12)
        let interval = try? XCTUnwrap(mixed.interval)
        XCTAssertEqual(interval?.lowerBound ?? .nan, -1, accuracy: 1e-12)
        XCTAssertEqual(interval?.upperBound ?? .nan, 1, accuracy: 1e-12)
    }
}

/// `GOFEStudy.run` against the same first step recomputed from explicit Ψ matrices.
final class GOFEStudyTests: XCTestCase {
    /// On a tiny bias-free net (depth 3, width 3, n = 10): the measured ΔΨ of step 0 and its Eq. 22
    /// cosine against −ηH_wΨỸỸᵀ/‖Ỹ‖², the projected cosine, the Eq. 23 growth line, the numerator growth,
    /// the A_l growth and the identity errors. Catches a step of the wrong sign or size, a prediction
    /// taken after the step, ΨỸ of the wrong network, Ỹ and w swapped.
    func testFirstStepAgreesWithExplicitFeatures() throws {
        let pixels = [100, 230, 377, 401, 512, 640]
        let split = SecondOrderStudyTests.syntheticSplit(perClass: 1, activePixels: pixels, seed: 41)
        let configuration = GOFEStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 1, width: 3, depth: 3, learningRate: 0.05,
                                                   steps: 2, orthogonalDirections: 3, hutchinsonProbes: 2, identityDirections: 1,
                                                   eigenpairs: 2, lanczosIterations: 6, seed: 9)
        let study = try GOFEStudy.run(configuration, split: split)

        let root = SeededGenerator(seed: configuration.seed)
        var subsetGenerator = root.derived("subset")
        let train = try split.train.balancedSubset(perClass: 1, generator: &subsetGenerator)
        let x = Matrix<Double>(rows: train.count, columns: train.featureCount, storage: train.features.storage.map(Double.init))
        var initGenerator = root.derived("init")
        let net = DenseNetwork<Double>(architecture: configuration.architecture, generator: &initGenerator)
        let eta = configuration.learningRate
        let gradient = net.lossAndGradient(features: x, labels: train.labels, loss: .crossEntropy).gradient
        let theta = net.flattenedParameters
        let moved = try DenseNetwork<Double>(architecture: net.architecture, flattenedParameters: theta.indices.map { theta[$0] - eta * gradient[$0] })
        let targets = Reference.centredTargets(labels: train.labels, classes: 10)
        func features(_ network: DenseNetwork<Double>) -> [[Double]] {
            (0..<targets.count).map { c in
                var unit = [Double](repeating: 0, count: targets.count)
                unit[c] = 1
                return OutputHessian(network: network, inputs: x, outputWeights: unit).tangentFeaturesTimesWeights
            }
        }
        let a = features(net), b = features(moved)
        let p = theta.count
        let psiY = (0..<p).map { j in a.indices.reduce(0.0) { $0 + a[$1][j] * targets[$1] } }
        let psiY1 = (0..<p).map { j in b.indices.reduce(0.0) { $0 + b[$1][j] * targets[$1] } }
        let w = Reference.crossEntropy(logits: net.logits(x).storage, labels: train.labels, classes: 10).gradient
        let hwPsiY = OutputHessian(network: net, inputs: x, outputWeights: w).product(psiY)
        let ySquared = targets.reduce(0) { $0 + $1 * $1 }
        let prediction = hwPsiY.map { -eta * $0 / ySquared }
        var inner = 0.0, measured = 0.0, predicted = 0.0
        for c in a.indices {
            for j in 0..<p {
                let delta = b[c][j] - a[c][j], q = prediction[j] * targets[c]
                inner += delta * q; measured += delta * delta; predicted += q * q
            }
        }
        XCTAssertEqual(study.approximationUpdate[0].cosine, inner / (measured * predicted).squareRoot(), accuracy: 1e-9)
        let change = (0..<p).map { psiY1[$0] - psiY[$0] }
        let dotProduct = zip(change, hwPsiY).reduce(0.0) { $0 - $1.0 * $1.1 }
        let norms = (change.reduce(0.0) { $0 + $1 * $1 } * hwPsiY.reduce(0.0) { $0 + $1 * $1 }).squareRoot()
        XCTAssertEqual(study.projectedCosine[0], dotProduct / norms, accuracy: 1e-9)
        let range = { (l: Int) in FeatureEvolution.layerRange(l, architecture: net.architecture) }
        for l in 1...3 {
            let before = range(l).reduce(0.0) { $0 + psiY[$1] * psiY[$1] }
            let after = range(l).reduce(0.0) { $0 + psiY1[$1] * psiY1[$1] }
            let line = range(l).reduce(0.0) { $0 + (psiY[$1] - eta * hwPsiY[$1]) * (psiY[$1] - eta * hwPsiY[$1]) }
            XCTAssertEqual(study.measuredProjectionGrowth[0][l - 1], after / before - 1, accuracy: 1e-9 * max(1, abs(after / before)))
            XCTAssertEqual(study.eq23Growth[0][l - 1], line / before - 1, accuracy: 1e-9 * max(1, abs(line / before)))
        }
        let alignments0 = LayerAlignment.alignments(network: net, probeFeatures: x, probeLabels: train.labels, centring: .full)
        let alignments1 = LayerAlignment.alignments(network: moved, probeFeatures: x, probeLabels: train.labels, centring: .full)
        for l in 0..<3 { XCTAssertEqual(study.measuredGrowth[0][l], alignments1[l] / alignments0[l] - 1, accuracy: 1e-9) }
        XCTAssertLessThan(study.lossHessianErrors.max() ?? 1, 1e-6)
        XCTAssertLessThan(study.gofeEquivalenceErrors.max() ?? 1, 1e-6)
        XCTAssertEqual(study.moments.count, 2)
        XCTAssertEqual(study.targetFeatureNorms.count, 3)
    }
}
