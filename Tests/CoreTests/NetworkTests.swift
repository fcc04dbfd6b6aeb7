import Foundation
import XCTest
@testable import Core

/// Shared helpers for the engine tests: tiny networks and data in Double.
enum EngineFixtures {
    static func architecture(bias: Bool, depth: Int = 3) -> NetworkArchitecture {
        NetworkArchitecture(inputDimension: 5, width: 4, depth: depth, outputDimension: 3, hasBias: bias)
    }

    /// A network with every parameter random (biases too, so their gradients are exercised).
    static func network(_ architecture: NetworkArchitecture, seed: UInt64) -> DenseNetwork<Double> {
        var generator = SeededGenerator(seed: seed)
        var network = DenseNetwork<Double>(architecture: architecture, generator: &generator)
        for l in network.biases.indices {
            for j in network.biases[l].indices { network.biases[l][j] = 0.3 * generator.nextNormal() }
        }
        return network
    }

    static func inputs(rows: Int, columns: Int, seed: UInt64) -> Matrix<Double> {
        var generator = SeededGenerator(seed: seed)
        return Matrix(rows: rows, columns: columns, storage: (0..<rows * columns).map { _ in generator.nextNormal() })
    }

    /// Logits by explicit loops, independent of the BLAS code.
    static func naiveLogits(_ network: DenseNetwork<Double>, _ inputs: Matrix<Double>) -> Matrix<Double> {
        var out = Matrix<Double>(rows: inputs.rows, columns: network.architecture.outputDimension)
        for x in 0..<inputs.rows {
            var a = (0..<inputs.columns).map { inputs[x, $0] }
            for l in network.weights.indices {
                let w = network.weights[l]
                var z = [Double](repeating: 0, count: w.rows)
                for i in 0..<w.rows {
                    z[i] = network.biases[l].isEmpty ? 0 : network.biases[l][i]
                    for j in 0..<w.columns { z[i] += w[i, j] * a[j] }
                }
                a = l == network.weights.count - 1 ? z : z.map { max($0, 0) }
            }
            for i in a.indices { out[x, i] = a[i] }
        }
        return out
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var difference = 0.0, scale = 0.0
        for i in a.indices {
            difference = max(difference, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return difference / max(scale, 1e-300)
    }
}

final class NetworkTests: XCTestCase {
    func testLayerSizesAndParameterCount() {
        let a = NetworkArchitecture(inputDimension: 784, width: 100, depth: 4, outputDimension: 10, hasBias: true)
        XCTAssertEqual(a.layerSizes, [784, 100, 100, 100, 10])
        XCTAssertEqual(a.parameterCount, 784 * 100 + 100 + 2 * (100 * 100 + 100) + 100 * 10 + 10)
        let single = NetworkArchitecture(inputDimension: 7, width: 50, depth: 1, outputDimension: 3, hasBias: false)
        XCTAssertEqual(single.layerSizes, [7, 3])
        XCTAssertEqual(single.parameterCount, 21)
        XCTAssertThrowsError(try NetworkArchitecture(inputDimension: 7, width: 0, depth: 2, outputDimension: 3, hasBias: false).validate())
    }

    func testHeInitialisationHasVarianceTwoOverFanIn() {
        let a = NetworkArchitecture(inputDimension: 400, width: 300, depth: 2, outputDimension: 10, hasBias: true)
        var generator = SeededGenerator(seed: 7)
        let network = DenseNetwork<Float>(architecture: a, generator: &generator)
        XCTAssertEqual(network.weights.map(\.rows), [300, 10])
        XCTAssertEqual(network.weights.map(\.columns), [400, 300])
        let w = network.weights[0].storage.map(Double.init)  // 120 000 draws
        let mean = w.reduce(0, +) / Double(w.count)
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(w.count)
        XCTAssertEqual(mean, 0, accuracy: 4 * (2.0 / 400 / Double(w.count)).squareRoot())
        // Standard error of the variance is √(2/n)·σ² ≈ 0.4 % here.
        XCTAssertEqual(variance / (2.0 / 400), 1, accuracy: 0.02)
        let last = network.weights[1].storage.map(Double.init)
        let lastVariance = last.reduce(0) { $0 + $1 * $1 } / Double(last.count)
        XCTAssertEqual(lastVariance / (2.0 / 300), 1, accuracy: 0.08)
        XCTAssertTrue(network.biases.allSatisfy { $0.allSatisfy { $0 == 0 } && !$0.isEmpty })
        var again = SeededGenerator(seed: 7)
        XCTAssertEqual(DenseNetwork<Float>(architecture: a, generator: &again).weights, network.weights)
    }

    func testLogitsMatchExplicitLoops() {
        for bias in [false, true] {
            let network = EngineFixtures.network(EngineFixtures.architecture(bias: bias, depth: 4), seed: 3)
            let x = EngineFixtures.inputs(rows: 6, columns: 5, seed: 4)
            let fast = network.logits(x)
            XCTAssertEqual(fast.rows, 6)
            XCTAssertEqual(fast.columns, 3)
            XCTAssertLessThan(EngineFixtures.relativeError(fast.storage, EngineFixtures.naiveLogits(network, x).storage), 1e-13)
            XCTAssertEqual(network.activations(x).last, fast)
        }
    }

    func testFlattenedParametersRoundTripAndConversion() throws {
        let network = EngineFixtures.network(EngineFixtures.architecture(bias: true), seed: 5)
        let theta = network.flattenedParameters
        XCTAssertEqual(theta.count, network.parameterCount)
        XCTAssertEqual(theta[0], network.weights[0][0, 0])
        XCTAssertEqual(theta[20], network.biases[0][0])  // W_1 is 4 × 5
        let rebuilt = try DenseNetwork<Double>(architecture: network.architecture, flattenedParameters: theta)
        XCTAssertEqual(rebuilt.weights, network.weights)
        XCTAssertEqual(rebuilt.biases, network.biases)
        XCTAssertThrowsError(try DenseNetwork<Double>(architecture: network.architecture, flattenedParameters: Array(theta.dropLast())))
        let single = network.converted(to: Float.self)
        XCTAssertEqual(single.weights[1][2, 3], Float(network.weights[1][2, 3]))
        XCTAssertEqual(single.converted(to: Double.self).weights[1][2, 3], Double(Float(network.weights[1][2, 3])))
    }

    func testSerialisationRoundTripsAndRejectsDamage() throws {
        for bias in [false, true] {
            var generator = SeededGenerator(seed: 11)
            let network = DenseNetwork<Float>(architecture: EngineFixtures.architecture(bias: bias), generator: &generator)
            let data = network.serialized()
            let expectedBytes = 4 + 4 + 1 + 1 + 4 * 8 + 4 * network.parameterCount
            XCTAssertEqual(data.count, expectedBytes)
            let back = try DenseNetwork<Float>(serialized: data)
            XCTAssertEqual(back.architecture, network.architecture)
            XCTAssertEqual(back.weights, network.weights)
            XCTAssertEqual(back.biases, network.biases)
            let widened = try DenseNetwork<Double>(serialized: data)
            XCTAssertEqual(widened.weights[2][1, 1], Double(network.weights[2][1, 1]))

            XCTAssertThrowsError(try DenseNetwork<Float>(serialized: data.dropLast())) { error in
                XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
            }
            XCTAssertThrowsError(try DenseNetwork<Float>(serialized: data + Data([0])))
            var wrongTag = data
            wrongTag[0] = UInt8(ascii: "X")
            XCTAssertThrowsError(try DenseNetwork<Float>(serialized: wrongTag))
            var wrongVersion = data
            wrongVersion[4] = 9
            XCTAssertThrowsError(try DenseNetwork<Float>(serialized: wrongVersion)) { error in
                XCTAssertEqual(error as? CheckpointFormatError, .unsupportedVersion(what: "network", version: 9))
            }
        }
    }

    /// ∂ℒ/∂θ from back-propagation against central differences of the mean loss, every parameter,
    /// both losses, with and without biases.
    func testGradientMatchesFiniteDifferences() {
        for bias in [false, true] {
            for loss in LossFunction.allCases {
                let network = EngineFixtures.network(EngineFixtures.architecture(bias: bias), seed: 21)
                let x = EngineFixtures.inputs(rows: 4, columns: 5, seed: 22)
                let labels = [0, 2, 1, 2]
                let (value, gradient) = network.lossAndGradient(features: x, labels: labels, loss: loss)
                let theta = network.flattenedParameters
                let h = 1e-6
                var numeric = [Double](repeating: 0, count: theta.count)
                for p in theta.indices {
                    var plus = theta, minus = theta
                    plus[p] += h
                    minus[p] -= h
                    let fPlus = meanLoss(network.architecture, plus, x, labels, loss)
                    let fMinus = meanLoss(network.architecture, minus, x, labels, loss)
                    numeric[p] = (fPlus - fMinus) / (2 * h)
                }
                XCTAssertEqual(value, meanLoss(network.architecture, theta, x, labels, loss), accuracy: 1e-12)
                XCTAssertLessThan(EngineFixtures.relativeError(gradient, numeric), 1e-7, "bias \(bias), \(loss)")
            }
        }
    }

    /// The mean loss computed independently of `LossFunction`, from naive logits.
    private func meanLoss(_ a: NetworkArchitecture, _ theta: [Double], _ x: Matrix<Double>, _ labels: [Int], _ loss: LossFunction) -> Double {
        guard let network = try? DenseNetwork<Double>(architecture: a, flattenedParameters: theta) else { return .nan }
        let f = EngineFixtures.naiveLogits(network, x)
        var total = 0.0
        for (row, label) in labels.enumerated() {
            let logits = (0..<f.columns).map { f[row, $0] }
            switch loss {
            case .crossEntropy:
                total += log(logits.map { exp($0) }.reduce(0, +)) - logits[label]
            case .meanSquaredError:
                total += 0.5 * logits.enumerated().map { ($1 - ($0 == label ? 1 : 0)) * ($1 - ($0 == label ? 1 : 0)) }.reduce(0, +)
            }
        }
        return total / Double(labels.count)
    }

    func testCrossEntropyIsStableForHugeLogits() {
        let logits: [Float] = [1000, 0, -1000, 500, 501, 499]
        var gradient = [Float](repeating: 0, count: 6)
        let summary = logits.withUnsafeBufferPointer { f in
            gradient.withUnsafeMutableBufferPointer { g in
                LossFunction.crossEntropy.evaluate(logits: f.baseAddress!, labels: [0, 0], classCount: 3,
                                                   gradient: g.baseAddress!, gradientScale: 1)
            }
        }
        // Row 1: loss 0. Row 2: log(e^0 + e^1 + e^-1) − 0.
        XCTAssertEqual(summary.lossSum, log(1 + exp(1) + exp(-1)), accuracy: 1e-12)
        XCTAssertEqual(summary.correct, 1)
        XCTAssertTrue(gradient.allSatisfy { $0.isFinite })
        XCTAssertEqual(Double(gradient[4]), exp(1) / (1 + exp(1) + exp(-1)), accuracy: 1e-6)
    }
}
