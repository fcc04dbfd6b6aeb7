import Foundation
import XCTest
@testable import Core

/// Tied hidden weights (``DenseArchitecture/tiedHiddenWeights``): layers 2…L−1 share one matrix
/// and bias, as PyTorch's `[nn.Linear(N, N), nn.ReLU()] * (L − 2)`. Training must be gradient
/// descent on the shared parameters, checked here against finite differences of a loss written
/// with explicit loops over the independent parameters only.
final class TiedWeightsTests: XCTestCase {
    private let tied = DenseArchitecture(inputDimension: 5, width: 4, depth: 5, outputDimension: 3, hasBias: true, tiedHiddenWeights: true)

    /// The independent parameters φ = (W_1, b_1, W, b, W_L, b_L) of a tied network.
    private struct Shared {
        var first: (w: [Double], b: [Double])
        var hidden: (w: [Double], b: [Double])
        var last: (w: [Double], b: [Double])

        var flat: [Double] { first.w + first.b + hidden.w + hidden.b + last.w + last.b }

        init(flat: [Double], _ a: DenseArchitecture) {
            let d = a.inputDimension, n = a.width, k = a.outputDimension
            var rest = flat[...]
            func take(_ count: Int) -> [Double] { defer { rest = rest.dropFirst(count) }; return Array(rest.prefix(count)) }
            first = (take(n * d), take(n))
            hidden = (take(n * n), take(n))
            last = (take(k * n), take(k))
        }

        /// The stored (unrolled) network: the shared layer copied into layers 2…L−1.
        func network(_ a: DenseArchitecture) throws -> DenseNetwork<Double> {
            let d = a.inputDimension, n = a.width, k = a.outputDimension
            var weights = [Matrix<Double>(rows: n, columns: d, storage: first.w)]
            var biases = [first.b]
            for _ in 1..<(a.depth - 1) {
                weights.append(Matrix(rows: n, columns: n, storage: hidden.w))
                biases.append(hidden.b)
            }
            weights.append(Matrix(rows: k, columns: n, storage: last.w))
            biases.append(last.b)
            return try DenseNetwork(architecture: a, weights: weights, biases: biases)
        }
    }

    private func randomShared(seed: UInt64) -> Shared {
        var generator = SeededGenerator(seed: seed)
        let count = 4 * 5 + 4 + 4 * 4 + 4 + 3 * 4 + 3
        // Float-representable values, so the Float network trained below holds exactly these parameters.
        return Shared(flat: (0..<count).map { _ in Double(Float(0.6 * generator.nextNormal())) }, tied)
    }

    private func meanCrossEntropy(_ network: DenseNetwork<Double>, _ x: Matrix<Double>, _ labels: [Int]) -> Double {
        let f = EngineFixtures.naiveLogits(network, x)
        var total = 0.0
        for (row, label) in labels.enumerated() {
            let logits = (0..<f.columns).map { f[row, $0] }
            total += log(logits.map { exp($0) }.reduce(0, +)) - logits[label]
        }
        return total / Double(labels.count)
    }

    func testInitialisationDrawsEveryLayerThenSharesLayerTwo() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
        let tiedNetwork = DenseNetwork<Double>(architecture: tied, generator: &a)
        var untiedShape = tied
        untiedShape.tiedHiddenWeights = false
        let untied = DenseNetwork<Double>(architecture: untiedShape, generator: &b)
        XCTAssertEqual(tiedNetwork.weights[0].storage, untied.weights[0].storage)
        XCTAssertEqual(tiedNetwork.weights[4].storage, untied.weights[4].storage, "the output layer keeps its draw from the same stream")
        for index in 1...3 { XCTAssertEqual(tiedNetwork.weights[index].storage, untied.weights[1].storage, "layer \(index + 1)") }
        XCTAssertNotEqual(untied.weights[2].storage, untied.weights[1].storage)
        XCTAssertEqual(tied.tiedLayerIndices, 1..<4)
        XCTAssertEqual(tied.independentParameterCount, tied.parameterCount - 2 * (16 + 4))
    }

    /// One SGD step with weight decay: φ′ = φ − η(∇_φ L + λφ), ∇_φ by central differences over φ
    /// (each shared entry perturbed once, in every layer that uses it).
    func testSGDStepIsGradientDescentOnTheSharedParameters() throws {
        let phi = randomShared(seed: 11)
        let network = try phi.network(tied)
        let x = EngineFixtures.inputs(rows: 6, columns: 5, seed: 12)
        let labels = [0, 2, 1, 1, 0, 2]
        let eta = 0.05, lambda = 0.01
        var trainer = Trainer(network: network.converted(to: Float.self),
                              optimizer: .sgd(learningRate: eta, momentum: 0, weightDecay: lambda), loss: .crossEntropy)
        trainer.step(features: Matrix(rows: 6, columns: 5, storage: x.storage.map { Float($0) }), labels: labels)

        let theta = phi.flat
        let h = 1e-6
        let numeric = theta.indices.map { p -> Double in
            var plus = theta, minus = theta
            plus[p] += h
            minus[p] -= h
            let up = meanCrossEntropy(try! Shared(flat: plus, tied).network(tied), x, labels)
            let down = meanCrossEntropy(try! Shared(flat: minus, tied).network(tied), x, labels)
            return (up - down) / (2 * h)
        }
        let expected = try Shared(flat: theta.indices.map { theta[$0] - eta * (numeric[$0] + lambda * theta[$0]) }, tied).network(tied)
        let actual = trainer.network.converted(to: Double.self)
        XCTAssertLessThan(EngineFixtures.relativeError(actual.flattenedParameters, expected.flattenedParameters), 2e-6)
        // The hidden copies moved by the summed gradient: an untied step would move them apart.
        XCTAssertNil(DenseNetwork<Float>.firstUntiedLayer(tied, weights: trainer.network.weights, biases: trainer.network.biases))
    }

    /// Momentum and Adam keep the copies bit-identical over several steps (identical state, identical updates).
    func testCopiesStayIdenticalUnderMomentumAndAdam() throws {
        let network = try randomShared(seed: 21).network(tied).converted(to: Float.self)
        for optimizer in [OptimizerSettings.sgd(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4), .defaultAdam(learningRate: 0.01)] {
            var trainer = Trainer(network: network, optimizer: optimizer, loss: .crossEntropy)
            for step in 0..<5 {
                let x = EngineFixtures.inputs(rows: 4, columns: 5, seed: 30 + UInt64(step))
                trainer.step(features: Matrix(rows: 4, columns: 5, storage: x.storage.map { Float($0) }), labels: [0, 1, 2, step % 3])
            }
            XCTAssertNil(DenseNetwork<Float>.firstUntiedLayer(tied, weights: trainer.network.weights, biases: trainer.network.biases), "\(optimizer)")
            XCTAssertNotEqual(trainer.network.weights[1].storage, network.weights[1].storage, "the shared layer trained")
        }
    }

    func testJSONOmitsTheFlagWhenUntiedAndRoundTripsIt() throws {
        var untied = tied
        untied.tiedHiddenWeights = false
        let untiedJSON = String(decoding: try JSONEncoder().encode(untied), as: UTF8.self)
        XCTAssertFalse(untiedJSON.contains("tied"), untiedJSON)
        let tiedJSON = String(decoding: try JSONEncoder().encode(tied), as: UTF8.self)
        XCTAssertTrue(tiedJSON.contains("\"tiedHiddenWeights\":true"), tiedJSON)
        XCTAssertEqual(try JSONDecoder().decode(DenseArchitecture.self, from: Data(tiedJSON.utf8)), tied)
        XCTAssertEqual(try JSONDecoder().decode(DenseArchitecture.self, from: Data(untiedJSON.utf8)), untied)
        let explicitFalse = untiedJSON.replacingOccurrences(of: "}", with: ",\"tiedHiddenWeights\":false}")
        XCTAssertEqual(try JSONDecoder().decode(DenseArchitecture.self, from: Data(explicitFalse.utf8)), untied, "false is the default, not another network")

        let base = RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 10, probePerClass: 2, architecture: untied,
                           optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 0), loss: .crossEntropy, batchSize: 8,
                           stopping: .epochs(1), seed: 1)
        var tiedSpec = base
        tiedSpec.architecture = .dense(tied)
        XCTAssertNotEqual(base.configurationHash, tiedSpec.configurationHash)
        XCTAssertTrue(tiedSpec.label.contains(" tied "), tiedSpec.label)
        XCTAssertFalse(base.label.contains("tied"))
    }

    func testSerialisationKeepsTheFlagAndRejectsACopyThatDiffers() throws {
        let network = try randomShared(seed: 41).network(tied).converted(to: Float.self)
        let data = network.serialized()
        let restored = try DenseNetwork<Float>(serialized: data)
        XCTAssertEqual(restored.architecture, tied)
        XCTAssertEqual(restored.flattenedParameters, network.flattenedParameters)

        var damaged = network
        damaged.weights[3].storage[0] += 1
        XCTAssertThrowsError(try DenseNetwork<Float>(serialized: damaged.serialized())) { error in
            XCTAssertTrue("\(error)".contains("layer 4"), "\(error)")
        }
        XCTAssertThrowsError(try DenseNetwork<Float>(architecture: tied, weights: damaged.weights, biases: damaged.biases))
    }

    func testDepthBelowThreeHasNothingToTie() {
        let shallow = DenseArchitecture(inputDimension: 5, width: 4, depth: 2, outputDimension: 3, hasBias: true, tiedHiddenWeights: true)
        XCTAssertThrowsError(try shallow.validate()) { error in
            XCTAssertEqual(error as? NetworkArchitectureError, .nothingToTie(depth: 2))
        }
    }
}
