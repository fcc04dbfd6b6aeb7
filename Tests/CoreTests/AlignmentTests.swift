import Foundation
import XCTest
@testable import Core

final class AlignmentTests: XCTestCase {
    /// Ψ (P × nk): column x·k + i is ∂f_i(x)/∂θ by central differences of independently computed logits.
    /// f is piecewise linear in each single parameter, so the differences are exact up to rounding.
    private func finiteDifferenceJacobian(_ network: DenseNetwork<Double>, _ x: Matrix<Double>) -> Matrix<Double> {
        let theta = network.flattenedParameters
        let m = x.rows * network.architecture.outputDimension
        var psi = Matrix<Double>(rows: theta.count, columns: m)
        let h = 1e-6
        for p in theta.indices {
            var plus = theta, minus = theta
            plus[p] += h
            minus[p] -= h
            let fPlus = EngineFixtures.naiveLogits(try! DenseNetwork(architecture: network.architecture, flattenedParameters: plus), x)
            let fMinus = EngineFixtures.naiveLogits(try! DenseNetwork(architecture: network.architecture, flattenedParameters: minus), x)
            for r in 0..<m { psi[p, r] = (fPlus.storage[r] - fMinus.storage[r]) / (2 * h) }
        }
        return psi
    }

    /// K_l = Ψ_lᵀΨ_l from the rows of Ψ that belong to layer l (W_l, then b_l).
    private func explicitLayerKernels(_ network: DenseNetwork<Double>, _ x: Matrix<Double>) -> [Matrix<Double>] {
        let psi = finiteDifferenceJacobian(network, x)
        let sizes = network.architecture.layerSizes
        var start = 0
        var kernels: [Matrix<Double>] = []
        for l in 1..<sizes.count {
            let count = sizes[l] * sizes[l - 1] + (network.architecture.hasBias ? sizes[l] : 0)
            let block = Matrix(rows: count, columns: psi.columns, storage: Array(psi.storage[start * psi.columns..<(start + count) * psi.columns]))
            kernels.append(Matrix.product(block, transposed: true, block))
            start += count
        }
        XCTAssertEqual(start, network.parameterCount)
        return kernels
    }

    /// A(K, YYᵀ) straight from Eq. 6 with explicit matrix products: Tr[(CKC)(CYYᵀC)] / (‖CKC‖ ‖CYYᵀC‖).
    private func definitionAlignment(_ kernel: Matrix<Double>, labels: [Int], k: Int, centring: Centring) -> Double {
        let n = labels.count
        let c = centring.matrix(sampleCount: n, outputCount: k)
        var y = Matrix<Double>(rows: n * k, columns: 1)
        for (x, label) in labels.enumerated() { y[x * k + label, 0] = 1 }
        let kc = Matrix.product(Matrix.product(c, kernel), c)
        let cy = Matrix.product(c, y)
        let yc = Matrix.product(cy, transposed: false, cy, transposed: true)
        let inner = zip(kc.storage, yc.storage).map(*).reduce(0, +)
        let normK = kc.storage.map { $0 * $0 }.reduce(0, +).squareRoot()
        let normY = yc.storage.map { $0 * $0 }.reduce(0, +).squareRoot()
        return inner / (normK * normY)
    }

    private let labels = [0, 2, 1, 2]

    func testLayerKernelsMatchFiniteDifferenceJacobians() {
        for bias in [false, true] {
            let network = EngineFixtures.network(EngineFixtures.architecture(bias: bias), seed: 41)
            let x = EngineFixtures.inputs(rows: 4, columns: 5, seed: 42)
            let explicit = explicitLayerKernels(network, x)
            let factorised = TangentKernel.layerKernels(network: network, inputs: x)
            XCTAssertEqual(factorised.count, 3)
            for l in 0..<3 {
                XCTAssertEqual(factorised[l].rows, 12)
                XCTAssertLessThan(EngineFixtures.relativeError(factorised[l].storage, explicit[l].storage), 1e-8, "layer \(l + 1), bias \(bias)")
                XCTAssertEqual(TangentKernel.layerKernel(network: network, inputs: x, layer: l + 1), factorised[l])
            }
            let full = TangentKernel.fullKernel(network: network, inputs: x)
            let explicitFull = explicit.dropFirst().reduce(explicit[0].storage) { zip($0, $1.storage).map(+) }
            XCTAssertLessThan(EngineFixtures.relativeError(full.storage, explicitFull), 1e-8)
            let traces = TangentKernel.layerTraces(network: network, inputs: x)
            for l in 0..<3 {
                let trace = (0..<12).map { explicit[l][$0, $0] }.reduce(0, +)
                XCTAssertEqual(traces[l], trace, accuracy: 1e-8 * trace)
            }
            // The factors themselves: F_1 = X Xᵀ, and B_L = 11ᵀ ⊗ I_k since ∂f_i/∂z_L = e_i at every sample.
            let f1 = TangentKernel.forwardKernel(network: network, inputs: x, layer: 1)
            XCTAssertEqual(f1[1, 2], (0..<5).map { x[1, $0] * x[2, $0] }.reduce(0, +), accuracy: 1e-12)
            let bL = TangentKernel.backwardKernel(network: network, inputs: x, layer: 3)
            XCTAssertEqual(bL.storage, Matrix<Double>(rows: 12, columns: 12, storage: (0..<144).map { ($0 / 12) % 3 == ($0 % 12) % 3 ? 1 : 0 }).storage)
        }
    }

    func testLayerAlignmentsMatchExplicitKernelsForEveryCentringAndBlocking() {
        for bias in [false, true] {
            let network = EngineFixtures.network(EngineFixtures.architecture(bias: bias), seed: 51)
            let x = EngineFixtures.inputs(rows: 4, columns: 5, seed: 52)
            let explicit = explicitLayerKernels(network, x)
            for centring in Centring.allCases {
                let expected = explicit.map { definitionAlignment($0, labels: labels, k: 3, centring: centring) }
                XCTAssertLessThan(EngineFixtures.relativeError(
                    explicit.map { KernelAlignment.alignment(kernel: $0, labels: labels, classCount: 3, centring: centring) }, expected), 1e-10)
                for blockSamples in [1, 3, 4] {
                    let stats = LayerAlignment.statistics(network: network, probeFeatures: x, probeLabels: labels,
                                                          centring: centring, samplesPerBlock: blockSamples)
                    XCTAssertLessThan(EngineFixtures.relativeError(stats.map(\.alignment), expected), 1e-8,
                                      "\(centring), bias \(bias), block \(blockSamples)")
                    for l in 0..<3 {
                        let kernel = explicit[l]
                        let trace = (0..<12).map { kernel[$0, $0] }.reduce(0, +)
                        XCTAssertEqual(stats[l].trace, trace, accuracy: 1e-8 * trace)
                        let centred = centring.centred(kernel, outputCount: 3)
                        let norm = centred.storage.map { $0 * $0 }.reduce(0, +).squareRoot()
                        XCTAssertEqual(stats[l].centredFrobeniusNorm, norm, accuracy: 1e-8 * norm)
                        let y = centring.centredTargets(labels: labels, classCount: 3)
                        var projection = 0.0
                        for r in 0..<12 { for s in 0..<12 { projection += y[r] * kernel[r, s] * y[s] } }
                        XCTAssertEqual(stats[l].targetProjection, projection, accuracy: 1e-8 * abs(projection) + 1e-12)
                    }
                }
                XCTAssertEqual(LayerAlignment.alignments(network: network, probeFeatures: x, probeLabels: labels, centring: centring),
                               LayerAlignment.statistics(network: network, probeFeatures: x, probeLabels: labels, centring: centring).map(\.alignment))
            }
            // All centrings from one pass agree with the explicit kernels too (the labels are
            // unbalanced, so full and per-output centring give different Ỹ and different A_l).
            let centrings: [Centring] = [.perOutput, .full, .none]
            let together = LayerAlignment.statistics(network: network, probeFeatures: x, probeLabels: labels, centrings: centrings,
                                                     samplesPerBlock: 3)
            XCTAssertEqual(together.count, 3)
            for (c, centring) in centrings.enumerated() {
                let expected = explicit.map { definitionAlignment($0, labels: labels, k: 3, centring: centring) }
                XCTAssertLessThan(EngineFixtures.relativeError(together[c].map(\.alignment), expected), 1e-8, "\(centring) together")
            }
            XCTAssertGreaterThan(EngineFixtures.relativeError(together[0].map(\.alignment), together[1].map(\.alignment)), 1e-6)
        }
    }

    func testCentredTargetsOnHandCheckableCase() {
        let y = [0, 0, 1]
        XCTAssertEqual(Centring.none.centredTargets(labels: y, classCount: 2), [1, 0, 1, 0, 0, 1])
        XCTAssertEqual(Centring.full.centredTargets(labels: y, classCount: 2), [0.5, -0.5, 0.5, -0.5, -0.5, 0.5])
        let perOutput = Centring.perOutput.centredTargets(labels: y, classCount: 2)
        XCTAssertLessThan(EngineFixtures.relativeError(perOutput, [1.0 / 3, -1.0 / 3, 1.0 / 3, -1.0 / 3, -2.0 / 3, 2.0 / 3]), 1e-15)
        // Ỹ = CY with the explicit centring matrices.
        for centring in Centring.allCases {
            let c = centring.matrix(sampleCount: 3, outputCount: 2)
            let cy = Matrix.product(c, Matrix(rows: 6, columns: 1, storage: [1, 0, 1, 0, 0, 1]))
            XCTAssertLessThan(EngineFixtures.relativeError(centring.centredTargets(labels: y, classCount: 2), cy.storage), 1e-15)
        }
    }

    /// A(YYᵀ, YYᵀ) = 1; A(I, YYᵀ) = 1/‖C‖_F = 1/√rank(C): 1/√m (none), 1/√(m−1) (full), 1/√(k(n−1)) (perOutput).
    func testAlignmentOnHandCheckableKernels() {
        let y = [0, 0, 1], n = 3, k = 2, m = 6
        var target = Matrix<Double>(rows: m, columns: m)
        var identity = Matrix<Double>(rows: m, columns: m)
        for r in 0..<m {
            identity[r, r] = 1
            for s in 0..<m { target[r, s] = (r % k == y[r / k] ? 1 : 0) * (s % k == y[s / k] ? 1 : 0) }
        }
        let expectedIdentity: [Centring: Double] = [.none: 1 / 6.0.squareRoot(), .full: 1 / 5.0.squareRoot(),
                                                    .perOutput: 1 / Double(k * (n - 1)).squareRoot()]
        for centring in Centring.allCases {
            XCTAssertEqual(KernelAlignment.alignment(kernel: target, labels: y, classCount: k, centring: centring), 1, accuracy: 1e-14)
            XCTAssertEqual(KernelAlignment.alignment(kernel: identity, labels: y, classCount: k, centring: centring),
                           expectedIdentity[centring]!, accuracy: 1e-14)
            XCTAssertEqual(KernelAlignment.alignment(identity, target, outputCount: k, centring: centring),
                           expectedIdentity[centring]!, accuracy: 1e-14)
        }
        XCTAssertEqual(KernelAlignment.alignment(kernel: Matrix(rows: m, columns: m), labels: y, classCount: k, centring: .full), 0)
    }

    /// ‖CKC‖² from uncentred sums equals the explicit product, for a random symmetric K.
    func testCentredFrobeniusIdentity() {
        let n = 5, k = 3, m = 15
        var generator = SeededGenerator(seed: 61)
        let a = Matrix<Double>(rows: m, columns: 7, storage: (0..<m * 7).map { _ in generator.nextNormal() + 0.8 })
        let kernel = Matrix.product(a, transposed: false, a, transposed: true)
        let frobenius = kernel.storage.map { $0 * $0 }.reduce(0, +)
        var rowSums = [Double](repeating: 0, count: m * k)
        for r in 0..<m { for s in 0..<m { rowSums[r * k + s % k] += kernel[r, s] } }
        for centring in Centring.allCases {
            let c = centring.matrix(sampleCount: n, outputCount: k)
            let explicit = Matrix.product(Matrix.product(c, kernel), c).storage.map { $0 * $0 }.reduce(0, +)
            let identity = KernelAlignment.centredFrobeniusSquared(frobeniusSquared: frobenius, rowSumsByOutput: rowSums,
                                                                   sampleCount: n, outputCount: k, centring: centring)
            XCTAssertEqual(identity, explicit, accuracy: 1e-10 * frobenius, "\(centring)")
            XCTAssertLessThan(EngineFixtures.relativeError(centring.centred(kernel, outputCount: k).storage,
                                                           Matrix.product(Matrix.product(c, kernel), c).storage), 1e-12)
        }
        // Centring matters here: the kernel has a large mean.
        XCTAssertLessThan(KernelAlignment.centredFrobeniusSquared(frobeniusSquared: frobenius, rowSumsByOutput: rowSums,
                                                                  sampleCount: n, outputCount: k, centring: .full), 0.9 * frobenius)
    }

    func testSymmetricEigenReconstructsTheMatrix() throws {
        let small = try symmetricEigen(Matrix(rows: 2, columns: 2, storage: [2, 1, 1, 2]))
        XCTAssertEqual(small.values[0], 1, accuracy: 1e-14)
        XCTAssertEqual(small.values[1], 3, accuracy: 1e-14)
        XCTAssertEqual(abs(small.vectors[0, 1]), 0.5.squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(small.vectors[0, 1], small.vectors[1, 1], accuracy: 1e-14)  // (1, 1)/√2 for λ = 3

        let n = 40
        var generator = SeededGenerator(seed: 71)
        let a = Matrix<Double>(rows: n, columns: n, storage: (0..<n * n).map { _ in generator.nextNormal() })
        var m = Matrix.product(a, transposed: false, a, transposed: true)
        for i in 0..<n { m[i, i] -= 20 }  // some negative eigenvalues
        let (values, vectors) = try symmetricEigen(m)
        XCTAssertEqual(values, values.sorted())
        XCTAssertTrue(values.first! < 0)
        var scaled = vectors
        for i in 0..<n { for j in 0..<n { scaled[i, j] *= values[j] } }
        let rebuilt = Matrix.product(scaled, transposed: false, vectors, transposed: true)
        XCTAssertLessThan(EngineFixtures.relativeError(rebuilt.storage, m.storage), 1e-12)
        let gram = Matrix.product(vectors, transposed: true, vectors)
        for i in 0..<n { for j in 0..<n { XCTAssertEqual(gram[i, j], i == j ? 1 : 0, accuracy: 1e-12) } }
        XCTAssertLessThan(EngineFixtures.relativeError(try symmetricEigenvalues(m), values), 1e-12)
        let trace = (0..<n).map { m[$0, $0] }.reduce(0, +)
        XCTAssertEqual(values.reduce(0, +), trace, accuracy: 1e-10 * abs(trace))

        XCTAssertThrowsError(try symmetricEigen(Matrix(rows: 2, columns: 3)))
        XCTAssertThrowsError(try symmetricEigen(Matrix(rows: 2, columns: 2, storage: [1, .nan, .nan, 1])))
    }

    /// Spectrum of C K_l C: its eigenvalues sum to Tr(C K_l C) and are non-negative (K_l is a Gram matrix).
    func testCentredLayerKernelSpectrum() throws {
        let network = EngineFixtures.network(EngineFixtures.architecture(bias: true), seed: 81)
        let x = EngineFixtures.inputs(rows: 4, columns: 5, seed: 82)
        let kernel = TangentKernel.layerKernel(network: network, inputs: x, layer: 2)
        let centred = Centring.full.centred(kernel, outputCount: 3)
        let values = try symmetricEigenvalues(centred)
        let scale = values.last!
        XCTAssertGreaterThan(values.first!, -1e-12 * scale)
        XCTAssertEqual(values.reduce(0, +), (0..<12).map { centred[$0, $0] }.reduce(0, +), accuracy: 1e-10 * scale)
        XCTAssertEqual(values.first!, 0, accuracy: 1e-10 * scale)  // C has the null vector 1
    }

    /// The float32 fast path agrees with the float64 computation on a mid-size network.
    func testFloatAlignmentsAgreeWithDouble() {
        var generator = SeededGenerator(seed: 91)
        let a = NetworkArchitecture(inputDimension: 20, width: 32, depth: 8, outputDimension: 4, hasBias: true)
        let double = DenseNetwork<Double>(architecture: a, generator: &generator)
        let x = EngineFixtures.inputs(rows: 40, columns: 20, seed: 92)
        let labels = (0..<40).map { $0 % 4 }
        let single = double.converted(to: Float.self)
        let xs = Matrix<Float>(rows: 40, columns: 20, storage: x.storage.map { Float($0) })
        for centring in Centring.allCases {
            let exact = LayerAlignment.alignments(network: double, probeFeatures: x, probeLabels: labels, centring: centring)
            let fast = LayerAlignment.alignments(network: single, probeFeatures: xs, probeLabels: labels, centring: centring)
            XCTAssertLessThan(EngineFixtures.relativeError(fast, exact), 1e-4, "\(centring)")
        }
    }

    /// Float against Double at sizes that leave scalar tails after the SIMD8 (Float) and SIMD4
    /// (Double) loops of the ReLU kernels: n × width = 5 × 7 = 35, 13 × 5 = 65, 3 × 9 = 27.
    /// Logits against explicit loops, gradients against finite differences of the outputs, A_l of
    /// the two precisions against each other. Catches: a tail left unrectified or ungated (its
    /// negative pre-activations pass through), a tail rectified with the wrong mask, an
    /// off-by-one in the vector loop bound. (0 < A_l ≤ 1, which the test above used to assert,
    /// holds for any A_l.)
    func testFloatAndDoubleAgreeAtSizesWithScalarTails() throws {
        for (rows, width, seed) in [(5, 7, 201), (13, 5, 202), (3, 9, 203)] as [(Int, Int, UInt64)] {
            let a = NetworkArchitecture(inputDimension: 5, width: width, depth: 3, outputDimension: 3, hasBias: true)
            let double = EngineFixtures.network(a, seed: seed)
            let single = double.converted(to: Float.self)
            let x = EngineFixtures.inputs(rows: rows, columns: 5, seed: seed + 10)
            let xs = Matrix<Float>(rows: rows, columns: 5, storage: x.storage.map { Float($0) })
            let labels = (0..<rows).map { $0 % 3 }
            let naive = EngineFixtures.naiveLogits(double, x).storage
            XCTAssertLessThan(EngineFixtures.relativeError(double.logits(x).storage, naive), 1e-13, "Double logits \(rows)×\(width)")
            XCTAssertLessThan(EngineFixtures.relativeError(single.logits(xs).storage.map(Double.init), naive), 1e-5, "Float logits \(rows)×\(width)")

            let brute = BruteForceSecondOrder(architecture: a, inputs: x, coordinates: Array(0..<a.parameterCount))
            let (_, w) = Reference.crossEntropy(logits: naive, labels: labels, classes: 3)
            let expectedGradient = try brute.tangentFeatures(w, at: double.flattenedParameters)  // ∇θ ℒ = Ψᵀw
            let (_, gradient) = double.lossAndGradient(features: x, labels: labels, loss: .crossEntropy)
            let (_, gradientFloat) = single.lossAndGradient(features: xs, labels: labels, loss: .crossEntropy)
            XCTAssertLessThan(EngineFixtures.relativeError(gradient, expectedGradient), 1e-8, "Double gradient \(rows)×\(width)")
            XCTAssertLessThan(EngineFixtures.relativeError(gradientFloat.map(Double.init), expectedGradient), 1e-4, "Float gradient \(rows)×\(width)")

            for centring in Centring.allCases {
                let exact = LayerAlignment.alignments(network: double, probeFeatures: x, probeLabels: labels, centring: centring)
                let fast = LayerAlignment.alignments(network: single, probeFeatures: xs, probeLabels: labels, centring: centring)
                XCTAssertLessThan(EngineFixtures.relativeError(fast, exact), 1e-4, "A_l \(rows)×\(width) \(centring)")
            }
        }
    }
}

extension AlignmentTests {
    /// Undefined alignments (dead layer, diverged weights) are reported as 0, never NaN.
    func testUndefinedAlignmentsAreZero() {
        var network = EngineFixtures.network(EngineFixtures.architecture(bias: false), seed: 101)
        let x = EngineFixtures.inputs(rows: 4, columns: 5, seed: 102)
        network.weights[0] = Matrix(rows: 4, columns: 5)  // every ReLU of layer 1 is dead: K_1 = K_2 = 0 below the output
        let dead = LayerAlignment.alignments(network: network, probeFeatures: x, probeLabels: [0, 1, 2, 0], centring: .full)
        XCTAssertEqual(dead[0], 0)
        XCTAssertEqual(dead[2], 0)  // z_2 = 0 for all samples, so F_3 = 0 too
        network.weights[1][0, 0] = .nan
        let diverged = LayerAlignment.alignments(network: network, probeFeatures: x, probeLabels: [0, 1, 2, 0], centring: .full)
        XCTAssertTrue(diverged.allSatisfy { $0 == 0 })
    }

    /// Bug caught: a collapsed layer (every sample with nearly the same Jacobian, as in a deep
    /// tied-weight network at chance) centres to rounding, and A_l came out as noise of either sign
    /// (−1·10⁻⁵ was stored and then refused as outside [0, 1]). K = 11ᵀ + δR: under full centring
    /// A(K) = A(R) exactly (C removes 11ᵀ), so for δ = 10⁻³ the value must equal A(R), and for
    /// δ = 10⁻¹² (‖CKC‖ below 10⁻⁶‖K‖) it is undefined, returned as 0.
    func testACollapsedKernelIsUndefinedBelowItsRounding() {
        let y = [0, 1, 2, 0, 1], n = 5, k = 3, m = n * k
        var generator = SeededGenerator(seed: 404)
        let g = Matrix<Double>(rows: m, columns: m, storage: (0..<m * m).map { _ in generator.nextNormal() })
        var r = Matrix<Double>(rows: m, columns: m)  // R = GGᵀ, positive semi-definite
        for a in 0..<m {
            for b in 0..<m { r[a, b] = (0..<m).reduce(0) { $0 + g[a, $1] * g[b, $1] } }
        }
        func kernel(_ delta: Double) -> Matrix<Double> {
            Matrix(rows: m, columns: m, storage: r.storage.map { 1 + delta * $0 })
        }
        let exact = KernelAlignment.alignment(kernel: r, labels: y, classCount: k, centring: .full)
        XCTAssertGreaterThan(exact, 0)
        XCTAssertEqual(KernelAlignment.alignment(kernel: kernel(1e-3), labels: y, classCount: k, centring: .full), exact, accuracy: 1e-9)
        XCTAssertEqual(KernelAlignment.alignment(kernel: kernel(1e-12), labels: y, classCount: k, centring: .full), 0)

        // The same through the network path: inputs that differ by 10⁻⁹ give every sample the same
        // Jacobians up to 10⁻⁹, so K_l ≈ 11ᵀ ⊗ K₀ and the per-output centring leaves only that part.
        let network = EngineFixtures.network(EngineFixtures.architecture(bias: true), seed: 405)
        let base = EngineFixtures.inputs(rows: 1, columns: 5, seed: 406).storage
        let noise = EngineFixtures.inputs(rows: 5, columns: 5, seed: 407).storage
        let x = Matrix<Double>(rows: 5, columns: 5, storage: noise.indices.map { base[$0 % 5] + 1e-9 * noise[$0] })
        let collapsed = LayerAlignment.alignments(network: network, probeFeatures: x, probeLabels: [0, 1, 2, 0, 1], centring: .perOutput)
        XCTAssertEqual(collapsed, [0, 0, 0])
        // Spread inputs: the same network is well defined.
        let spread = LayerAlignment.alignments(network: network, probeFeatures: Matrix(rows: 5, columns: 5, storage: noise),
                                               probeLabels: [0, 1, 2, 0, 1], centring: .perOutput)
        XCTAssertTrue(spread.allSatisfy { $0 > 0 }, "\(spread)")
    }
}
