import XCTest
@testable import Core

/// Appendix G's spectra: the eigen-solver wrapper, the stable rank and correlation term, the
/// softmax Hessian and the Fisher dual, each against an independent computation (numpy reference
/// values, power iteration, explicit matrix products, finite-difference tangent features).
final class SpectraTests: XCTestCase {
    /// A fixed symmetric matrix with eigenvalues of both signs; reference values from numpy.linalg.eigh.
    private let reference = Matrix<Double>(rows: 4, columns: 4, storage: [4, 1, 0.5, -2, 1, 3, 0.25, 0, 0.5, 0.25, -5, 1, -2, 0, 1, 2])

    func testSpectrumMatchesNumpyOrderedByMagnitude() throws {
        let spectrum = try KernelSpectrum(of: reference)
        let numpy = [5.52898627, -5.21163329, 2.86924489, 0.81340214]
        for (value, expected) in zip(spectrum.values, numpy) { XCTAssertEqual(value, expected, accuracy: 1e-8) }
        XCTAssertEqual(spectrum.stableRank, 2.1794464337998534, accuracy: 1e-12)
        XCTAssertEqual(spectrum.correlation(with: [1, -1, 2, 0.5]), -0.3906683604132048, accuracy: 1e-12)
        XCTAssertEqual(spectrum.normalisedTop(2), [1, -5.21163329 / 5.52898627].map { $0 }, accuracy: 1e-8)
        XCTAssertLessThan(spectrum.maxResidual, 1e-14)
    }

    func testStableRankAndCorrelationAgreeWithPowerIterationAndDirectSums() throws {
        let g = SeededFixtures.matrix(rows: 40, columns: 25, seed: 5)
        let m = Matrix.product(g, transposed: false, g, transposed: true)
        let spectrum = try KernelSpectrum(of: m)
        // λ_1 by power iteration (independent of LAPACK).
        var v = SeededFixtures.vector(40, seed: 6)
        var lambda = 0.0
        for _ in 0..<2000 {
            let w = multiply(m, v)
            lambda = dot(w, w).squareRoot()
            v = w.map { $0 / lambda }
        }
        let frobenius = m.storage.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(spectrum.leading, lambda, accuracy: 1e-9 * lambda)
        XCTAssertEqual(spectrum.stableRank, frobenius / (lambda * lambda), accuracy: 1e-8)
        // Σ(λ_i/λ_1)⟨u_i, ŷ⟩² = ŷᵀMŷ/λ_1.
        let y = SeededFixtures.vector(40, seed: 7)
        let yy = dot(y, y)
        let quadratic = dot(y, multiply(m, y))
        XCTAssertEqual(spectrum.correlation(with: y), quadratic / (yy * lambda), accuracy: 1e-10)
        // rank 25 ⇒ 15 zero eigenvalues; the stable rank is bounded by the rank.
        XCTAssertLessThanOrEqual(spectrum.stableRank, 25)
        XCTAssertLessThan(spectrum.maxResidual, 1e-12)
    }

    func testKnownSpectrumThroughAReflection() throws {
        // M = Q diag(d) Qᵀ with Q = I − 2qqᵀ/‖q‖² orthogonal: eigenvalues exactly d.
        let d = [-1.0, 7, 0.5, 3, -4, 0]
        let q = [1.0, -2, 0.5, 3, 1, -1]
        let qq = q.reduce(0) { $0 + $1 * $1 }
        var qMatrix = Matrix<Double>(rows: 6, columns: 6)
        for i in 0..<6 { for j in 0..<6 { qMatrix[i, j] = (i == j ? 1 : 0) - 2 * q[i] * q[j] / qq } }
        var m = Matrix<Double>(rows: 6, columns: 6)
        for i in 0..<6 { for j in 0..<6 { m[i, j] = (0..<6).reduce(0) { $0 + qMatrix[i, $1] * d[$1] * qMatrix[j, $1] } } }
        let spectrum = try KernelSpectrum(of: m)
        for (value, expected) in zip(spectrum.values, [7.0, -4, 3, -1, 0.5, 0]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
        XCTAssertEqual(spectrum.stableRank, (49 + 16 + 9 + 1 + 0.25) / 49, accuracy: 1e-12)
        // u_1 = Q e_2: the correlation with it is λ_1/λ_1 = 1.
        XCTAssertEqual(spectrum.correlation(with: (0..<6).map { qMatrix[$0, 1] }), 1, accuracy: 1e-12)
        XCTAssertTrue(KernelSpectrum.stableRank(of: [0, 0]).isNaN)
    }

    func testSoftmaxHessianBlocksSquareRootAndDual() throws {
        let n = 3, k = 4
        let logits = Matrix(rows: n, columns: k, storage: SeededFixtures.vector(n * k, seed: 9).map { 2 * $0 })
        let hessian = try SoftmaxHessian(logits: logits)
        let s = hessian.matrix
        for x in 0..<n {
            let e = (0..<k).map { Foundation.exp(logits[x, $0]) }
            let total = e.reduce(0, +)
            let p = e.map { $0 / total }
            for i in 0..<k {
                for j in 0..<k { XCTAssertEqual(s[x * k + i, x * k + j], (i == j ? p[i] : 0) - p[i] * p[j], accuracy: 1e-15) }
                XCTAssertEqual((0..<k).reduce(0) { $0 + s[x * k + i, x * k + $1] }, 0, accuracy: 1e-15, "rows sum to 0")
            }
        }
        let root = hessian.squareRoot
        let squared = Matrix.product(root, root)
        for (a, b) in zip(squared.storage, s.storage) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        let g = SeededFixtures.matrix(rows: n * k, columns: 7, seed: 10)
        let kernel = Matrix.product(g, transposed: false, g, transposed: true)
        let explicit = Matrix.product(Matrix.product(root, kernel), root)
        for (a, b) in zip(hessian.dual(of: kernel).storage, explicit.storage) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    /// Ψ_l by finite differences of the outputs (five-point stencil, exact up to rounding for depth ≤ 4),
    /// the explicit P_l × P_l Fisher Ψ_l S Ψ_lᵀ, and its non-zero spectrum against the dual's.
    func testFisherDualHasTheSpectrumOfTheExplicitFisherOnATinyNetwork() throws {
        let (d, width, depth, k, n) = (3, 4, 3, 3, 4)
        let network = SeededFixtures.network(inputs: d, width: width, depth: depth, outputs: k, bias: true, seed: 21)
        let inputs = SeededFixtures.matrix(rows: n, columns: d, seed: 22)
        let theta = network.flattenedParameters
        let hessian = try SoftmaxHessian(logits: network.logits(inputs))
        var offset = 0
        for l in 1...depth {
            let count = network.weights[l - 1].storage.count + network.biases[l - 1].count
            let coordinates = Array(offset..<(offset + count))
            offset += count
            let brute = BruteForceSecondOrder(architecture: network.architecture, inputs: inputs, coordinates: coordinates)
            // Ψ_l: P_l × nk, column r = ∇_{θ_l} F_r.
            let m = n * k
            var psi = Matrix<Double>(rows: count, columns: m)
            for r in 0..<m {
                var e = [Double](repeating: 0, count: m)
                e[r] = 1
                let column = try brute.tangentFeatures(e, at: theta)
                for (row, c) in coordinates.enumerated() { psi[row, r] = column[c] }
            }
            let kernel = TangentKernel.layerKernel(network: network, inputs: inputs, layer: l)
            let bruteKernel = Matrix.product(psi, transposed: true, psi)
            for (a, b) in zip(kernel.storage, bruteKernel.storage) { XCTAssertEqual(a, b, accuracy: 1e-7 * (1 + abs(b))) }
            let fisher = Matrix.product(Matrix.product(psi, hessian.matrix), transposed: false, psi, transposed: true)
            let explicit = try KernelSpectrum(of: fisher)
            let dual = try KernelSpectrum(of: hessian.dual(of: kernel))
            let shared = min(count, m)
            let scale = explicit.leading
            XCTAssertGreaterThan(scale, 0)
            for i in 0..<shared { XCTAssertEqual(dual.values[i], explicit.values[i], accuracy: 1e-6 * scale, "layer \(l), eigenvalue \(i)") }
            for value in explicit.values.dropFirst(shared) { XCTAssertEqual(value, 0, accuracy: 1e-6 * scale) }
            for value in dual.values.dropFirst(shared) { XCTAssertEqual(value, 0, accuracy: 1e-6 * scale) }
            XCTAssertEqual(dual.stableRank, explicit.stableRank, accuracy: 1e-5)
            // The dual of S (not S^{1/2}) would have another spectrum: the test can fail.
            let wrong = try KernelSpectrum(of: Matrix.product(Matrix.product(hessian.matrix, kernel), hessian.matrix))
            XCTAssertGreaterThan(abs(wrong.leading - explicit.leading), 1e-3 * scale)
        }
    }

    /// A_l = R_l^{-1/2} Σ(λ_i/λ_1)⟨u_i, Ŷ⟩² against Eq. 7 written out with the explicit C, for every centring.
    func testIdentityHoldsAgainstEquationSevenForEveryCentring() throws {
        let (d, k, n) = (5, 3, 6)
        let network = SeededFixtures.network(inputs: d, width: 8, depth: 4, outputs: k, bias: true, seed: 31)
        let inputs = SeededFixtures.matrix(rows: n, columns: d, seed: 32)
        let labels = [0, 1, 2, 0, 1, 1]
        for centring in Centring.allCases {
            let layers = try LayerSpectra.measure(network: network, probeFeatures: inputs, probeLabels: labels, centring: centring, top: 5)
            XCTAssertEqual(layers.map(\.layer), [1, 2, 3, 4])
            let c = centring.matrix(sampleCount: n, outputCount: k)
            let y = centring.centredTargets(labels: labels, classCount: k)
            for (l, layer) in zip(1..., layers) {
                let kernel = TangentKernel.layerKernel(network: network, inputs: inputs, layer: l)
                let centred = Matrix.product(Matrix.product(c, kernel), c)
                let projection = dot(y, multiply(kernel, y))
                let norm = dot(centred.storage, centred.storage).squareRoot()
                let equation7 = projection / (norm * dot(y, y))
                XCTAssertEqual(layer.engineAlignment, equation7, accuracy: 1e-12 * abs(equation7), "\(centring) layer \(l)")
                XCTAssertLessThan(layer.identityRelativeError, 1e-10, "\(centring) layer \(l)")
                XCTAssertEqual(layer.normalisedEigenvalues.count, 5)
                XCTAssertEqual(layer.normalisedEigenvalues.first ?? 0, 1, accuracy: 1e-15)
                XCTAssertLessThanOrEqual(layer.correlation, 1 + 1e-12)
                XCTAssertLessThan(layer.maxResidual, 1e-12)
                XCTAssertEqual(layer.uncentredStableRank, try KernelSpectrum(of: kernel).stableRank, accuracy: 1e-10)
            }
        }
        // With the full centring, the spectrum of the uncentred K_l does not give A_l: the centring matters.
        let layers = try LayerSpectra.measure(network: network, probeFeatures: inputs, probeLabels: labels, centring: .full, top: 5)
        let kernel = TangentKernel.layerKernel(network: network, inputs: inputs, layer: 2)
        let uncentred = try KernelSpectrum(of: kernel)
        let y = Centring.full.centredTargets(labels: labels, classCount: k)
        XCTAssertGreaterThan(abs(uncentred.correlation(with: y) / uncentred.stableRank.squareRoot() - layers[1].engineAlignment), 1e-4)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

private func multiply(_ m: Matrix<Double>, _ v: [Double]) -> [Double] {
    (0..<m.rows).map { r in
        var sum = 0.0
        for c in 0..<m.columns { sum += m[r, c] * v[c] }
        return sum
    }
}
