import Foundation
import XCTest
@testable import Core

final class TrainingTests: XCTestCase {
    private func smallNetwork(bias: Bool = true, seed: UInt64 = 31) -> DenseNetwork<Float> {
        EngineFixtures.network(EngineFixtures.architecture(bias: bias), seed: seed).converted(to: Float.self)
    }

    private func batch(seed: UInt64, rows: Int = 6) -> (Matrix<Float>, [Int]) {
        let x = EngineFixtures.inputs(rows: rows, columns: 5, seed: seed)
        var generator = SeededGenerator(seed: seed + 1)
        return (Matrix(rows: rows, columns: 5, storage: x.storage.map { Float($0) }), (0..<rows).map { _ in generator.nextInt(below: 3) })
    }

    /// Plain SGD: θ′ = θ − η(g + λθ), with g from `lossAndGradient`.
    func testSGDStepMatchesHandComputation() {
        let network = smallNetwork()
        let (x, labels) = batch(seed: 40)
        let eta = 0.05, lambda = 0.01
        var trainer = Trainer(network: network, optimizer: .sgd(learningRate: eta, momentum: 0, weightDecay: lambda), loss: .crossEntropy)
        let (loss, g) = network.lossAndGradient(features: x, labels: labels, loss: .crossEntropy)
        let result = trainer.step(features: x, labels: labels)
        XCTAssertEqual(result.meanLoss, loss, accuracy: 1e-12)
        XCTAssertEqual(result.count, 6)
        let theta = network.flattenedParameters
        let expected = theta.indices.map { Double(theta[$0]) - eta * (Double(g[$0]) + lambda * Double(theta[$0])) }
        let actual = trainer.network.flattenedParameters.map(Double.init)
        XCTAssertLessThan(EngineFixtures.relativeError(actual, expected), 1e-6)
        XCTAssertEqual(trainer.stepCount, 1)
    }

    /// Momentum: v₁ = g₁ + λθ₀, θ₁ = θ₀ − ηv₁; v₂ = μv₁ + g₂ + λθ₁, θ₂ = θ₁ − ηv₂.
    func testSGDMomentumTwoStepsMatchHandComputation() {
        let network = smallNetwork(bias: false)
        let (x1, y1) = batch(seed: 50)
        let (x2, y2) = batch(seed: 60)
        let eta: Float = 0.1, mu: Float = 0.9, lambda: Float = 0.001
        var trainer = Trainer(network: network, optimizer: .sgd(learningRate: Double(eta), momentum: Double(mu), weightDecay: Double(lambda)),
                              loss: .meanSquaredError)
        let theta0 = network.flattenedParameters
        let g1 = network.lossAndGradient(features: x1, labels: y1, loss: .meanSquaredError).gradient
        let v1 = theta0.indices.map { g1[$0] + lambda * theta0[$0] }
        let theta1 = theta0.indices.map { theta0[$0] - eta * v1[$0] }
        trainer.step(features: x1, labels: y1)
        XCTAssertLessThan(EngineFixtures.relativeError(trainer.network.flattenedParameters.map(Double.init), theta1.map(Double.init)), 1e-6)
        let network1 = try! DenseNetwork<Float>(architecture: network.architecture, flattenedParameters: theta1)
        let g2 = network1.lossAndGradient(features: x2, labels: y2, loss: .meanSquaredError).gradient
        let v2 = theta0.indices.map { mu * v1[$0] + g2[$0] + lambda * theta1[$0] }
        let theta2 = theta0.indices.map { theta1[$0] - eta * v2[$0] }
        trainer.step(features: x2, labels: y2)
        XCTAssertLessThan(EngineFixtures.relativeError(trainer.network.flattenedParameters.map(Double.init), theta2.map(Double.init)), 1e-5)
    }

    /// Adam's first two steps by hand, in Double.
    func testAdamTwoStepsMatchHandComputation() {
        let network = smallNetwork()
        let (x1, y1) = batch(seed: 70)
        let (x2, y2) = batch(seed: 80)
        let eta = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, lambda = 0.02
        var trainer = Trainer(network: network, optimizer: .adam(learningRate: eta, beta1: b1, beta2: b2, epsilon: eps, weightDecay: lambda),
                              loss: .crossEntropy)
        var theta = network.flattenedParameters.map(Double.init)
        var m = [Double](repeating: 0, count: theta.count), v = m
        for (t, (x, y)) in [(x1, y1), (x2, y2)].enumerated() {
            let current = try! DenseNetwork<Double>(architecture: network.architecture, flattenedParameters: theta)
            let g = current.lossAndGradient(features: x.converted(), labels: y, loss: .crossEntropy).gradient
            let step = Double(t + 1)
            for p in theta.indices {
                let gp = g[p] + lambda * theta[p]
                m[p] = b1 * m[p] + (1 - b1) * gp
                v[p] = b2 * v[p] + (1 - b2) * gp * gp
                let mHat = m[p] / (1 - pow(b1, step))
                let denominator = (v[p] / (1 - pow(b2, step))).squareRoot() + eps
                theta[p] -= eta * mHat / denominator
            }
            trainer.step(features: x, labels: y)
            // Adam moves every parameter by about η, so compare the change, not the value.
            let actual = trainer.network.flattenedParameters.map(Double.init)
            let worst = theta.indices.map { abs(actual[$0] - theta[$0]) }.max() ?? 0
            XCTAssertLessThan(worst, 2e-5 * eta * 100, "step \(t + 1)")
        }
    }

    func testSameSeedGivesIdenticalLossSequence() {
        func run() -> [Double] {
            var generator = SeededGenerator(seed: 99)
            let a = NetworkArchitecture(inputDimension: 5, width: 16, depth: 4, outputDimension: 3, hasBias: true)
            var trainer = Trainer(network: DenseNetwork<Float>(architecture: a, generator: &generator),
                                  optimizer: .sgd(learningRate: 0.1, momentum: 0.9, weightDecay: 0), loss: .crossEntropy)
            return (0..<20).map { i in
                let (x, y) = batch(seed: UInt64(1000 + i), rows: 8)
                return trainer.step(features: x, labels: y).meanLoss
            }
        }
        let first = run()
        XCTAssertEqual(first, run())
        XCTAssertEqual(Set(first).count, first.count, "losses should change from step to step")
    }

    func testRestoredStateContinuesBitForBit() throws {
        for optimizer in [OptimizerSettings.sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3), .defaultAdam(learningRate: 1e-2)] {
            var straight = Trainer(network: smallNetwork(), optimizer: optimizer, loss: .crossEntropy)
            let batches = (0..<6).map { batch(seed: UInt64(200 + 10 * $0)) }
            for b in batches.prefix(3) { straight.step(features: b.0, labels: b.1) }
            let state = straight.serializedState()
            for b in batches.suffix(3) { straight.step(features: b.0, labels: b.1) }

            var resumed = Trainer(network: smallNetwork(seed: 1), optimizer: optimizer, loss: .crossEntropy)
            try resumed.restoreState(state)
            XCTAssertEqual(resumed.stepCount, 3)
            for b in batches.suffix(3) { resumed.step(features: b.0, labels: b.1) }
            XCTAssertEqual(resumed.network.flattenedParameters, straight.network.flattenedParameters)
            XCTAssertEqual(resumed.serializedState(), straight.serializedState())

            var wrongOptimizer = Trainer(network: smallNetwork(), optimizer: .plainSGD(learningRate: 0.3), loss: .crossEntropy)
            XCTAssertThrowsError(try wrongOptimizer.restoreState(state))
            var wrongLoss = Trainer(network: smallNetwork(), optimizer: optimizer, loss: .meanSquaredError)
            XCTAssertThrowsError(try wrongLoss.restoreState(state))
            var intact = Trainer(network: smallNetwork(), optimizer: optimizer, loss: .crossEntropy)
            XCTAssertThrowsError(try intact.restoreState(state.dropLast(3)))
            XCTAssertEqual(intact.stepCount, 0, "a failed restore changes nothing")
        }
    }

    func testEvaluateMatchesBatchResultsAndIgnoresBatchSize() {
        let trainer = Trainer(network: smallNetwork(), optimizer: .plainSGD(learningRate: 0), loss: .crossEntropy)
        let (x, y) = batch(seed: 300, rows: 25)
        let whole = trainer.evaluate(features: x, labels: y, batchSize: 1000)
        let pieces = trainer.evaluate(features: x, labels: y, batchSize: 7)
        XCTAssertEqual(whole.loss, pieces.loss, accuracy: 1e-9)
        XCTAssertEqual(whole.accuracy, pieces.accuracy)
        var copy = trainer
        let result = copy.step(features: x, labels: y)
        XCTAssertEqual(result.meanLoss, whole.loss, accuracy: 1e-9)
        XCTAssertEqual(Double(result.correct) / 25, whole.accuracy)
        XCTAssertEqual(trainer.evaluate(features: Matrix(rows: 0, columns: 5), labels: []), Evaluation(loss: 0, accuracy: 0))
    }

    func testOptimizerValidation() {
        XCTAssertNoThrow(try OptimizerSettings.defaultAdam().validate())
        XCTAssertThrowsError(try OptimizerSettings.sgd(learningRate: -1, momentum: 0, weightDecay: 0).validate())
        XCTAssertThrowsError(try OptimizerSettings.adam(learningRate: 1e-3, beta1: 1, beta2: 0.999, epsilon: 1e-8, weightDecay: 0).validate())
    }

    /// The benchmark's list of a step's sgemm calls has the shapes of the forward and backward passes.
    func testBenchmarkGemmListDescribesATrainingStep() {
        let a = NetworkArchitecture(inputDimension: 784, width: 100, depth: 3, outputDimension: 10, hasBias: true)
        let shapes = EngineBenchmark.trainingStepGemms(architecture: a, batchSize: 128)
        XCTAssertEqual(shapes.map(\.role), ["forward 1", "forward 2", "forward 3", "weight gradient 3", "error 2",
                                             "weight gradient 2", "error 1", "weight gradient 1"])
        XCTAssertEqual(shapes[0].description, "128×100×784 (A·Bᵀ)")
        XCTAssertEqual(shapes[3].description, "10×100×128 (Aᵀ·B)")
        let forwardFlops = 2.0 * 128 * Double(784 * 100 + 100 * 100 + 100 * 10)
        XCTAssertEqual(shapes.reduce(0) { $0 + $1.flops }, 3 * forwardFlops - 2 * 128 * 784 * 100)
        XCTAssertEqual(EngineBenchmark.Timing(seconds: [3, 1, 2, 10]).median, 2.5)
        XCTAssertEqual(EngineBenchmark.Timing(seconds: [3, 1, 2]).relativeSpread, 1)
    }

    /// A short real run on Fashion-MNIST must learn (skipped when the data is not installed).
    func testLearnsFashionMNIST() throws {
        let directory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: directory).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed")
        }
        let split = try DatasetLoader.load(.fashionMNIST, dataDirectory: directory)
        let train = split.train.subset(positions: Array(0..<2000))
        let test = split.test.subset(positions: Array(0..<1000))
        var generator = SeededGenerator(seed: 5)
        let a = NetworkArchitecture(inputDimension: 784, width: 64, depth: 3, outputDimension: 10, hasBias: true)
        var trainer = Trainer(network: DenseNetwork<Float>(architecture: a, generator: &generator),
                              optimizer: .sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 0), loss: .crossEntropy)
        let before = trainer.evaluate(features: test.features, labels: test.labels)
        var order = Array(0..<2000)
        for _ in 0..<2 {
            generator.shuffle(&order)
            for start in stride(from: 0, to: 2000, by: 50) {
                let positions = Array(order[start..<start + 50])
                trainer.step(features: train.featureRows(positions), labels: positions.map { train.labels[$0] })
            }
        }
        let after = trainer.evaluate(features: test.features, labels: test.labels)
        XCTAssertGreaterThan(after.accuracy, 0.65, "test accuracy \(after.accuracy)")
        XCTAssertLessThan(after.loss, before.loss)
    }
}

private extension Matrix where Scalar == Float {
    func converted() -> Matrix<Double> { Matrix<Double>(rows: rows, columns: columns, storage: storage.map(Double.init)) }
}
