import Foundation

/// Approximation 1 of paper Appendix B.5 (Fig. 6): early in training the loss gradient
/// w = ∇_F ℒ is almost negatively collinear with the centred targets Ỹ = C Y, i.e.
/// −corr(Ỹ, w_t) ≈ 1. This traces −corr(Ỹ, w_t) over the first epoch of ordinary minibatch
/// training (the engine's float32 ``Trainer``), with w_t and Ỹ taken on a fixed class-balanced
/// probe drawn from the training set (Ỹ with the full centring of Eq. 6; on a balanced probe
/// the per-output centring is the same).
///
/// Random streams derive from `seed` with the names ``Runner`` uses ("subset", "probe",
/// "init", "batches" → "epoch 0"), so the trajectory is that of the ``RunSpec`` with the same
/// dataset, subset, architecture, optimiser, batch size and seed.
public struct CollinearityConfiguration: Codable, Hashable, Sendable, CanonicallyHashed {
    public var dataset: DatasetName
    /// Training samples per class; nil = the whole training set.
    public var trainSubsetPerClass: Int?
    /// Probe samples per class for w and Ỹ.
    public var probePerClass: Int
    public var width: Int
    public var depth: Int
    public var hasBias: Bool
    public var optimizer: OptimizerSettings
    public var batchSize: Int
    /// Measurements per decade of steps (log-spaced, plus step 0 and the epoch's last step).
    public var pointsPerDecade: Int
    public var seed: UInt64

    public init(dataset: DatasetName, trainSubsetPerClass: Int?, probePerClass: Int, width: Int, depth: Int, hasBias: Bool,
                optimizer: OptimizerSettings, batchSize: Int, pointsPerDecade: Int, seed: UInt64) {
        self.dataset = dataset
        self.trainSubsetPerClass = trainSubsetPerClass
        self.probePerClass = probePerClass
        self.width = width
        self.depth = depth
        self.hasBias = hasBias
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.pointsPerDecade = pointsPerDecade
        self.seed = seed
    }

}

/// −corr(Ỹ, w_t) at steps of the first epoch.
public struct CollinearityTraceResult: Codable, Sendable {
    public var configuration: CollinearityConfiguration
    /// Optimiser steps (0 = initialisation).
    public var steps: [Int]
    /// Steps per epoch.
    public var stepsPerEpoch: Int
    /// −corr(Ỹ, w_t) at `steps`.
    public var negativeCorrelation: [Double]
    /// Mean probe loss at `steps`.
    public var probeLoss: [Double]
}

public enum CollinearityTrace {
    /// Measurement steps: 0, log-spaced round(10^{i/p}) ≤ last, and `last`.
    public static func measurementSteps(last: Int, pointsPerDecade p: Int) -> [Int] {
        var steps = [0]
        var i = 0
        while p > 0 {
            let s = Int(Foundation.pow(10, Double(i) / Double(p)).rounded())
            if s > last { break }
            if steps.last != s { steps.append(s) }
            i += 1
        }
        if steps.last != last { steps.append(last) }
        return steps
    }

    /// −corr(Ỹ, w) for the network on a probe (Double logits).
    public static func negativeCorrelation(network: DenseNetwork<Double>, inputs: Matrix<Double>, labels: [Int]) -> (value: Double, loss: Double) {
        let k = network.architecture.outputDimension
        let (loss, w) = OutputHessian.lossOutputGradient(network: network, inputs: inputs, labels: labels, loss: .crossEntropy)
        return (-VectorStatistics.correlation(Centring.full.centredTargets(labels: labels, classCount: k), w), loss)
    }

    /// Trains for one epoch on `split` and measures −corr(Ỹ, w_t) on the probe.
    /// - Throws: `DatasetError` when the subset or probe cannot be drawn.
    public static func run(_ configuration: CollinearityConfiguration, split: DatasetSplit) throws -> CollinearityTraceResult {
        let root = SeededGenerator(seed: configuration.seed)
        var train = split.train
        if let perClass = configuration.trainSubsetPerClass {
            var generator = root.derived("subset")
            train = try train.balancedSubset(perClass: perClass, generator: &generator)
        }
        var probeGenerator = root.derived("probe")
        let probePositions = try train.balancedPositions(perClass: Array(repeating: configuration.probePerClass, count: train.classCount),
                                                         generator: &probeGenerator)
        let probe = train.subset(positions: probePositions)
        let probeInputs = Matrix<Double>(rows: probe.count, columns: probe.featureCount, storage: probe.features.storage.map(Double.init))
        let architecture = RunSpec.architecture(for: configuration.dataset, width: configuration.width, depth: configuration.depth,
                                                hasBias: configuration.hasBias)
        var initGenerator = root.derived("init")
        var trainer = Trainer(network: DenseNetwork<Float>(architecture: architecture, generator: &initGenerator),
                              optimizer: configuration.optimizer, loss: .crossEntropy)
        let stepsPerEpoch = (train.count + configuration.batchSize - 1) / configuration.batchSize
        let wanted = Set(measurementSteps(last: stepsPerEpoch, pointsPerDecade: configuration.pointsPerDecade))
        var order = Array(0..<train.count)
        var shuffler = root.derived("batches").derived("epoch 0")
        shuffler.shuffle(&order)
        var result = CollinearityTraceResult(configuration: configuration, steps: [], stepsPerEpoch: stepsPerEpoch,
                                             negativeCorrelation: [], probeLoss: [])
        for step in 0...stepsPerEpoch {
            if wanted.contains(step) {
                let measured = negativeCorrelation(network: trainer.network.converted(to: Double.self), inputs: probeInputs, labels: probe.labels)
                result.steps.append(step)
                result.negativeCorrelation.append(measured.value)
                result.probeLoss.append(measured.loss)
            }
            guard step < stepsPerEpoch else { break }
            let first = step * configuration.batchSize
            let rows = Array(order[first..<min(order.count, first + configuration.batchSize)])
            trainer.step(features: train.featureRows(rows), labels: rows.map { train.labels[$0] })
        }
        return result
    }
}
