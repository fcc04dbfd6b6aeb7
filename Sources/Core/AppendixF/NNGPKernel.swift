import COpenBLAS
import Foundation

/// The NNGP kernel of a He-initialised, bias-free ReLU network of depth L (Matthews et al., 2018;
/// paper Appendix A.1), i.e. the covariance of one logit over the random weights in the
/// infinite-width limit:
///
///     Σ_1(x, x′) = (2/d)⟨x, x′⟩,   Σ_{l+1}(x, x′) = √(q_l(x) q_l(x′)) · g(c_l(x, x′)),   q_{l+1} = q_l,
///
/// with c_l = Σ_l(x, x′)/√(q_l(x) q_l(x′)), q_l(x) = Σ_l(x, x), and g the ReLU correlation map
/// (``CorrelationMap/g(_:)``, the arc-cosine kernel of degree 1 times 2). The logit kernel is Σ_L.
/// At finite width N the same covariance, given the frozen layers, is (2/N)⟨φ(z_{L−1}(x)), φ(z_{L−1}(x′))⟩
/// (``empirical(lastHidden:other:)``); it converges to Σ_L as N → ∞ with fluctuations of order 1/√N.
public enum NNGPKernel {
    /// Σ_L between the rows of `a` (n × d) and of `b` (m × d), n × m.
    public static func relu(_ a: Matrix<Double>, _ b: Matrix<Double>, depth: Int) -> Matrix<Double> {
        precondition(depth >= 1 && a.columns == b.columns, "inputs must have the same dimension and the depth be at least 1")
        let d = Double(a.columns)
        let cross = Matrix.product(a, transposed: false, b, transposed: true)
        func squaredNorms(_ m: Matrix<Double>) -> [Double] {
            (0..<m.rows).map { r in (0..<m.columns).reduce(0.0) { $0 + m[r, $1] * m[r, $1] } * 2 / d }
        }
        let qa = squaredNorms(a), qb = squaredNorms(b)
        var kernel = cross
        for i in 0..<a.rows {
            for j in 0..<b.rows {
                let scale = (qa[i] * qb[j]).squareRoot()
                var sigma = 2 / d * cross[i, j]
                if scale > 0 {
                    for _ in 1..<depth { sigma = scale * CorrelationMap.g(sigma / scale) }
                } else {
                    sigma = 0
                }
                kernel[i, j] = sigma
            }
        }
        return kernel
    }

    /// (2/N) H_a H_bᵀ for last-hidden-layer activations H (rows: samples, N columns): the
    /// covariance of a logit over last-layer weights W_L ~ N(0, 2/N), given the frozen layers.
    public static func empirical(lastHidden a: Matrix<Double>, other b: Matrix<Double>) -> Matrix<Double> {
        var k = Matrix.product(a, transposed: false, b, transposed: true)
        let scale = 2 / Double(a.columns)
        for i in k.storage.indices { k.storage[i] *= scale }
        return k
    }
}

/// Why a kernel regression could not be solved.
public enum KernelRegressionError: Error, CustomStringConvertible, Equatable {
    /// LAPACK's Cholesky solve (dposv) reported `info` (a leading minor not positive definite when > 0).
    case notPositiveDefinite(info: Int)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(info):
            return "the regularised kernel matrix is not positive definite (LAPACK dposv info \(info)); increase the ridge"
        }
    }
}

/// Kernel ridge regression on centred one-hot targets, the readout of a network whose layers below
/// the last are frozen: training only the last layer (weights and bias) to convergence on the squared
/// loss from zero, with a small ridge, is this regression with the kernel K + 1 (the 1 for the bias).
///
///     α = (K + 1 + λI)⁻¹ Y,   f(x*) = (K(x*, X) + 1) α,   λ = `relativeRidge` · tr(K + 1)/n,
///
/// Y[x, i] = δ_{i, y_x} − 1/k. The same λ rule is used at every width and in the NNGP limit.
public enum KernelRegression {
    /// Predictions (m × k) on the test rows from the train kernel (n × n), test-train kernel (m × n) and labels.
    public static func predictions(trainKernel: Matrix<Double>, testTrainKernel: Matrix<Double>, labels: [Int], classCount k: Int,
                                   relativeRidge: Double) throws -> Matrix<Double> {
        let n = trainKernel.rows
        precondition(trainKernel.columns == n && labels.count == n && testTrainKernel.columns == n, "kernel shapes do not match the labels")
        var a = trainKernel
        var trace = 0.0
        for i in 0..<n { trace += a[i, i] + 1 }
        let ridge = relativeRidge * trace / Double(n)
        for i in a.storage.indices { a.storage[i] += 1 }
        for i in 0..<n { a[i, i] += ridge }
        var y = Matrix<Double>(rows: n, columns: k, repeating: -1 / Double(k))
        for (x, label) in labels.enumerated() { y[x, label] += 1 }
        let info = a.storage.withUnsafeMutableBufferPointer { pa in
            y.storage.withUnsafeMutableBufferPointer { py in
                LAPACKE_dposv(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(k),
                              pa.baseAddress!, Int32(n), py.baseAddress!, Int32(k))
            }
        }
        guard info == 0 else { throw KernelRegressionError.notPositiveDefinite(info: Int(info)) }
        var shifted = testTrainKernel
        for i in shifted.storage.indices { shifted.storage[i] += 1 }
        return Matrix.product(shifted, y)
    }

    /// The fraction of rows whose first largest entry is the label.
    public static func accuracy(_ scores: Matrix<Double>, labels: [Int]) -> Double {
        precondition(scores.rows == labels.count, "one label per row")
        var correct = 0
        for r in 0..<scores.rows {
            var best = 0
            for c in 1..<scores.columns where scores[r, c] > scores[r, best] { best = c }
            if best == labels[r] { correct += 1 }
        }
        return Double(correct) / Double(max(1, labels.count))
    }

    /// ‖A − B‖_F / ‖B‖_F.
    public static func relativeDistance(_ a: Matrix<Double>, from b: Matrix<Double>) -> Double {
        precondition(a.rows == b.rows && a.columns == b.columns, "shapes differ")
        var difference = 0.0, norm = 0.0
        for i in a.storage.indices {
            difference += (a.storage[i] - b.storage[i]) * (a.storage[i] - b.storage[i])
            norm += b.storage[i] * b.storage[i]
        }
        return (difference / norm).squareRoot()
    }
}
