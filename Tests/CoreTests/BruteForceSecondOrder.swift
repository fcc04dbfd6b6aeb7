import Foundation
@testable import Core

/// Tangent features Ψᵀv and Hessian products H_u z by finite differences of the network's outputs
/// alone (no back-propagation, no OutputHessian): the independent side of the second-order tests.
///
/// f_v(θ) = Σ_{x,i} v_{x,i} F_{x,i}(θ) has gradient Ψᵀv and Hessian H_v = Σ v_{x,i} ∇²F_{x,i}.
/// Inside one ReLU activation region F is a polynomial in θ with at most one factor from each
/// layer, so of degree ≤ L; for L ≤ 4 the five-point gradient stencil and the four-point mixed
/// stencil below are exact up to rounding (their error terms are fifth and fourth derivatives).
/// Only `coordinates` are differentiated; the others must be known to have zero derivatives
/// (first-layer weights of input columns that are zero in every sample).
struct BruteForceSecondOrder {
    let architecture: NetworkArchitecture
    let inputs: Matrix<Double>
    let coordinates: [Int]
    var step = 1e-4

    /// F(θ), sample-major (x·k + i).
    func outputs(_ theta: [Double]) throws -> [Double] {
        try DenseNetwork<Double>(architecture: architecture, flattenedParameters: theta).logits(inputs).storage
    }

    func pairing(_ v: [Double], _ theta: [Double]) throws -> Double {
        zip(v, try outputs(theta)).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Ψ(θ)ᵀ v = ∇_θ f_v.
    func tangentFeatures(_ v: [Double], at theta: [Double]) throws -> [Double] {
        var gradient = [Double](repeating: 0, count: theta.count)
        for j in coordinates {
            func f(_ offset: Double) throws -> Double {
                var moved = theta
                moved[j] += offset
                return try pairing(v, moved)
            }
            gradient[j] = (try -f(2 * step) + 8 * f(step) - 8 * f(-step) + f(-2 * step)) / (12 * step)
        }
        return gradient
    }

    /// H_u(θ) z, by mixed differences along e_j and the unit direction z/‖z‖.
    func hessianProduct(weights u: [Double], direction z: [Double], at theta: [Double]) throws -> [Double] {
        let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [Double](repeating: 0, count: theta.count) }
        let unit = z.map { $0 / norm }
        func shifted(_ s: Double) -> [Double] { theta.indices.map { theta[$0] + s * unit[$0] } }
        let plus = shifted(step), minus = shifted(-step)
        var product = [Double](repeating: 0, count: theta.count)
        for j in coordinates {
            func f(_ base: [Double], _ offset: Double) throws -> Double {
                var moved = base
                moved[j] += offset
                return try pairing(u, moved)
            }
            let mixed = try f(plus, step) - f(plus, -step) - f(minus, step) + f(minus, -step)
            product[j] = norm * mixed / (4 * step * step)
        }
        return product
    }
}

/// Small statistics written out for the tests (independent of VectorStatistics).
enum Reference {
    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            sab += (x - ma) * (y - mb)
            saa += (x - ma) * (x - ma)
            sbb += (y - mb) * (y - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }

    /// Mean cross-entropy and w = ∇_F ℒ = (softmax − one-hot)/n for sample-major logits.
    static func crossEntropy(logits: [Double], labels: [Int], classes k: Int) -> (loss: Double, gradient: [Double]) {
        let n = labels.count
        var loss = 0.0
        var gradient = [Double](repeating: 0, count: n * k)
        for x in 0..<n {
            let row = Array(logits[(x * k)..<((x + 1) * k)])
            let top = row.max()!
            let exponentials = row.map { Foundation.exp($0 - top) }
            let sum = exponentials.reduce(0, +)
            loss += -(row[labels[x]] - top - Foundation.log(sum))
            for i in 0..<k { gradient[x * k + i] = (exponentials[i] / sum - (i == labels[x] ? 1 : 0)) / Double(n) }
        }
        return (loss / Double(n), gradient)
    }

    /// Ỹ = Y − 1/k (Eq. 6, full centring), sample-major.
    static func centredTargets(labels: [Int], classes k: Int) -> [Double] {
        labels.flatMap { label in (0..<k).map { ($0 == label ? 1 : 0) - 1 / Double(k) } }
    }

    static func maxRelativeError(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }
}
