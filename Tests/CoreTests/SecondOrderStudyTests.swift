import Foundation
import XCTest
@testable import Core

/// The Fig 5 and Fig 6 studies against direct computations on tiny problems.
final class SecondOrderStudyTests: XCTestCase {
    /// A Fashion-MNIST-shaped split (784 features, 10 classes) with `perClass` samples per class
    /// in which only `activePixels` columns are non-zero (so only their first-layer weights
    /// have derivatives, and brute force stays cheap).
    static func syntheticSplit(perClass: Int, activePixels: [Int], seed: UInt64) -> DatasetSplit {
        func part(_ partition: DatasetPartition, _ salt: UInt64) -> Dataset {
            var generator = SeededGenerator(seed: seed &+ salt)
            let labels = (0..<(10 * perClass)).map { $0 % 10 }
            var features = Matrix<Float>(rows: labels.count, columns: 784)
            for row in 0..<labels.count {
                for pixel in activePixels { features[row, pixel] = Float(generator.nextNormal()) }
            }
            return Dataset(name: .fashionMNIST, partition: partition, features: features, labels: labels, classCount: 10,
                           imageShape: DatasetName.fashionMNIST.imageShape)
        }
        return DatasetSplit(train: part(.train, 0), test: part(.test, 1))
    }

    /// The parameters with derivatives: first-layer weights of the active pixels, and everything above.
    static func activeCoordinates(_ architecture: NetworkArchitecture, activePixels: [Int]) -> [Int] {
        let d = architecture.inputDimension, width = architecture.width
        let firstLayer = (0..<width).flatMap { i in activePixels.map { i * d + $0 } }
        return firstLayer + Array((width * d)..<architecture.parameterCount)
    }

    /// `HessianTrainingStudy.run` against a brute-force before/after step on a tiny bias-free
    /// net (depth 3, width 3, n = 10, every entry of Ψ, H_w and H_Ỹ by finite differences of the
    /// outputs): each step θ ← θ − η Ψᵀw, and at each step the three correlations of Fig 5a,
    /// corr(w, Ỹ), the loss, the alignments, and the spectra of the three moments.
    /// Catches: correlating the change with the prediction of the wrong step (t vs t + 1), a
    /// step of +η or without the 1/n of w, H_Ỹ and H_w swapped in the two predictions, a missing
    /// −η, measurements taken after the update, eigenvalues of the wrong snapshot.
    func testHessianTrainingStudyAgreesWithABruteForceStep() throws {
        let pixels = [100, 230, 377, 401, 512, 640]
        let split = Self.syntheticSplit(perClass: 1, activePixels: pixels, seed: 31)
        let configuration = HessianStudyConfiguration(dataset: .fashionMNIST, samplesPerClass: 1, probePerClass: 1, width: 3, depth: 3,
                                                      learningRate: 0.5, steps: 3, measureEvery: 1, eigenpairs: 2,
                                                      lanczosIterations: 40, seed: 8)
        let study = try HessianTrainingStudy.run(configuration, split: split)

        // D is the whole training set (one sample per class, in dataset order); the weights come
        // from the documented "init" stream.
        let architecture = configuration.architecture
        let inputs = Matrix<Double>(rows: 10, columns: 784, storage: split.train.features.storage.map(Double.init))
        let labels = split.train.labels
        var initGenerator = SeededGenerator(seed: configuration.seed).derived("init")
        var theta = DenseNetwork<Double>(architecture: architecture, generator: &initGenerator).flattenedParameters
        let brute = BruteForceSecondOrder(architecture: architecture, inputs: inputs,
                                          coordinates: Self.activeCoordinates(architecture, activePixels: pixels))
        let targets = Reference.centredTargets(labels: labels, classes: 10)
        let eta = configuration.learningRate

        var losses: [Double] = [], collinearity: [Double] = [], alignments: [[Double]] = [], snapshots: [[Double]] = []
        var update: [Double] = [], firstOrder: [Double] = [], infinitesimal: [Double] = []
        var previous: (features: [Double], approximation: [Double], firstOrder: [Double])?
        for t in 0...configuration.steps {
            let (loss, w) = Reference.crossEntropy(logits: try brute.outputs(theta), labels: labels, classes: 10)
            let features = try brute.tangentFeatures(targets, at: theta)  // Ψ(t)ᵀỸ
            if let previous {
                let change = zip(features, previous.features).map { $0 - $1 }
                update.append(Reference.pearson(change, previous.approximation))
                firstOrder.append(Reference.pearson(change, previous.firstOrder))
                infinitesimal.append(Reference.pearson(previous.firstOrder, previous.approximation))
            }
            losses.append(loss)
            collinearity.append(Reference.pearson(w, targets))
            let network = try DenseNetwork<Double>(architecture: architecture, flattenedParameters: theta)
            alignments.append(LayerAlignment.alignments(network: network, probeFeatures: inputs, probeLabels: labels, centring: .full))
            snapshots.append(theta)
            guard t < configuration.steps else { break }
            let step = try brute.tangentFeatures(w, at: theta).map { -eta * $0 }  // −η Ψᵀw = −η ∇_θ ℒ
            previous = (features,
                        try brute.hessianProduct(weights: w, direction: features, at: theta).map { -eta * $0 },  // −η H_w ΨỸ
                        try brute.hessianProduct(weights: targets, direction: step, at: theta))  // H_Ỹ Δθ
            for i in theta.indices { theta[i] += step[i] }
        }

        XCTAssertEqual(study.measurementSteps, [0, 1, 2, 3])
        XCTAssertEqual(study.updateSteps, [0, 1, 2])
        XCTAssertLessThan(Reference.maxRelativeError(study.losses, losses), 1e-12, "\(study.losses) vs \(losses)")
        XCTAssertGreaterThan(losses[0] - losses[3], 1e-3, "the steps moved the loss (the test exercises training)")
        XCTAssertLessThan(Reference.maxRelativeError(study.collinearity, collinearity), 1e-10)
        for (measured, expected) in zip(study.alignments, alignments) {
            XCTAssertLessThan(Reference.maxRelativeError(measured, expected), 1e-10)
        }
        for (name, measured, expected) in [("Eq. 10", study.updateCorrelation, update), ("Eq. 9", study.firstOrderCorrelation, firstOrder),
                                           ("η → 0", study.infinitesimalCorrelation, infinitesimal)] {
            XCTAssertEqual(measured.count, 3, name)
            for (a, b) in zip(measured, expected) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(name): \(measured) vs \(expected)") }
        }
        // The values are not trivial: the Eq. 10 correlation is neither ±1 nor 0 here.
        XCTAssertTrue(update.allSatisfy { abs($0) < 0.9999 && abs($0) > 1e-3 }, "\(update)")

        // Moments: the spectra of H_w at steps 0, the rise and the last, against the dense
        // brute-force Hessian (on the coordinates with derivatives; the others' rows are zero).
        XCTAssertEqual(study.moments.map(\.name), ["initialisation", "rise", "after"])
        XCTAssertEqual(study.moments.first?.step, 0)
        XCTAssertEqual(study.moments.last?.step, configuration.steps)
        let meanAlignment = alignments.map { $0.reduce(0, +) / 3 }
        let rise = try XCTUnwrap(HessianStudyResult.halfRiseIndex(meanAlignment))
        XCTAssertEqual(study.moments[1].step, rise)
        let active = brute.coordinates
        for moment in study.moments {
            let snapshot = snapshots[moment.step]
            let (loss, w) = Reference.crossEntropy(logits: try brute.outputs(snapshot), labels: labels, classes: 10)
            XCTAssertEqual(moment.loss, loss, accuracy: 1e-12)
            var dense = Matrix<Double>(rows: active.count, columns: active.count)
            for (column, j) in active.enumerated() {
                var unit = [Double](repeating: 0, count: snapshot.count)
                unit[j] = 1
                let product = try brute.hessianProduct(weights: w, direction: unit, at: snapshot)
                for (row, i) in active.enumerated() { dense[row, column] = product[i] }
            }
            for row in 0..<active.count { for column in 0..<row {
                let mean = (dense[row, column] + dense[column, row]) / 2
                dense[row, column] = mean
                dense[column, row] = mean
            } }
            let exact = try symmetricEigen(dense).values.sorted { abs($0) > abs($1) }
            for (index, value) in moment.eigenvalues.enumerated() {
                XCTAssertEqual(value, exact[index], accuracy: 1e-6 + moment.residualNorms[index], "\(moment.name) λ_\(index + 1)")
            }
            for energies in moment.energies { XCTAssertEqual(energies.reduce(0, +), 1, accuracy: 1e-9) }
        }
    }

    /// `CollinearityTrace.run` against a direct loop: the same documented streams ("subset",
    /// "probe", "init", "batches" → "epoch 0"), one Trainer step per minibatch, and −corr(Ỹ, w)
    /// computed here from softmax on the probe. Catches: measuring after the step instead of
    /// before it, the wrong probe (training batch or whole subset), the sign, a wrong batch
    /// slicing or order, the per-output vs full centring of Ỹ on an unbalanced set.
    func testCollinearityTraceAgreesWithADirectLoop() throws {
        let pixels = Array(stride(from: 0, to: 784, by: 97))
        let split = Self.syntheticSplit(perClass: 6, activePixels: pixels, seed: 5)
        let configuration = CollinearityConfiguration(dataset: .fashionMNIST, trainSubsetPerClass: 4, probePerClass: 2, width: 8,
                                                      depth: 3, hasBias: true, optimizer: .sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 0),
                                                      batchSize: 7, pointsPerDecade: 3, seed: 12)
        let result = try CollinearityTrace.run(configuration, split: split)

        let root = SeededGenerator(seed: configuration.seed)
        var subsetGenerator = root.derived("subset")
        let train = try split.train.balancedSubset(perClass: 4, generator: &subsetGenerator)
        var probeGenerator = root.derived("probe")
        let probe = train.subset(positions: try train.balancedPositions(perClass: Array(repeating: 2, count: 10), generator: &probeGenerator))
        var initGenerator = root.derived("init")
        let architecture = RunSpec.architecture(for: .fashionMNIST, width: 8, depth: 3, hasBias: true)
        var trainer = Trainer(network: DenseNetwork<Float>(architecture: architecture, generator: &initGenerator),
                              optimizer: configuration.optimizer, loss: .crossEntropy)
        var order = Array(0..<train.count)
        var shuffler = root.derived("batches").derived("epoch 0")
        shuffler.shuffle(&order)
        let stepsPerEpoch = 6  // 40 samples in batches of 7
        let probeInputs = Matrix<Double>(rows: probe.count, columns: 784, storage: probe.features.storage.map(Double.init))
        let targets = Reference.centredTargets(labels: probe.labels, classes: 10)
        var expected: [Int: (value: Double, loss: Double)] = [:]
        for step in 0...stepsPerEpoch {
            let logits = trainer.network.converted(to: Double.self).logits(probeInputs).storage
            let (loss, w) = Reference.crossEntropy(logits: logits, labels: probe.labels, classes: 10)
            expected[step] = (-Reference.pearson(targets, w), loss)
            guard step < stepsPerEpoch else { break }
            let rows = Array(order[(step * 7)..<min(train.count, step * 7 + 7)])
            _ = trainer.step(features: train.featureRows(rows), labels: rows.map { train.labels[$0] })
        }

        XCTAssertEqual(result.stepsPerEpoch, stepsPerEpoch)
        XCTAssertEqual(result.steps, CollinearityTrace.measurementSteps(last: stepsPerEpoch, pointsPerDecade: 3))
        XCTAssertEqual(result.steps, [0, 1, 2, 5, 6])
        for (index, step) in result.steps.enumerated() {
            let direct = try XCTUnwrap(expected[step])
            XCTAssertEqual(result.negativeCorrelation[index], direct.value, accuracy: 1e-12, "step \(step)")
            XCTAssertEqual(result.probeLoss[index], direct.loss, accuracy: 1e-12, "step \(step)")
        }
        // Training moved the measurement: consecutive steps differ (a trace frozen at step 0 fails).
        XCTAssertGreaterThan(abs(result.negativeCorrelation[0] - result.negativeCorrelation[4]), 1e-4)
    }
}
