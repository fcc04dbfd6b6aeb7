import Foundation

/// Mini-batch training of a float32 ``DenseNetwork`` with SGD or Adam (``OptimizerSettings``)
/// on the mean loss over each batch (``LossFunction``).
///
/// All buffers (activations, back-propagated errors, gradient, optimiser state) live in the
/// trainer and are reused from step to step; they grow only when a larger batch arrives.
/// Given the same network, settings and batches, the sequence of losses is identical from run
/// to run (BLAS with a fixed thread count is deterministic), and ``serializedState()`` /
/// ``restoreState(_:)`` let a run continue bit for bit after a restart.
public struct Trainer: Sendable {
    /// The network being trained; updated in place by ``step(features:labels:)``. It may be
    /// replaced by another network of the same architecture (the optimiser state is kept).
    public var network: DenseNetwork<Float>
    /// The optimiser and its hyperparameters.
    public let optimizer: OptimizerSettings
    /// The per-sample loss whose batch mean is minimised.
    public let loss: LossFunction
    /// Number of optimiser steps taken so far (t in Adam's bias corrections).
    public private(set) var stepCount: Int = 0

    /// The architecture the buffers were sized for; `network` may be replaced only by one of the same shape.
    private let trainedArchitecture: DenseArchitecture
    private var gradient: [Float]
    private var firstMoment: [Float]
    private var secondMoment: [Float]
    private var activations: [Float] = []
    private var outputGradient: [Float] = []
    private var scratch: [Float] = []
    private var rowCapacity = 0

    /// A trainer at step 0 with zero optimiser state.
    public init(network: DenseNetwork<Float>, optimizer: OptimizerSettings, loss: LossFunction) {
        self.network = network
        self.optimizer = optimizer
        self.loss = loss
        let count = network.parameterCount
        trainedArchitecture = network.architecture
        gradient = [Float](repeating: 0, count: count)
        firstMoment = [Float](repeating: 0, count: count)
        secondMoment = [Float](repeating: 0, count: optimizer.stateBufferCount > 1 ? count : 0)
    }

    /// See ``Core/BatchResult``.
    public typealias BatchResult = Core.BatchResult
    /// See ``Core/Evaluation``.
    public typealias Evaluation = Core.Evaluation

    /// One optimiser step on the mean loss over the batch: forward pass, loss and its gradient,
    /// back-propagation, then the SGD/Adam update of every weight and bias.
    /// - Precondition: `features` is n × d with n ≥ 1 and `labels` holds n labels in 0..<k.
    /// - Returns: the batch's mean loss and number correct, both before the update.
    @discardableResult
    public mutating func step(features: Matrix<Float>, labels: [Int]) -> BatchResult {
        let architecture = network.architecture
        precondition(gradient.count == network.parameterCount && architecture == trainedArchitecture,
                     "the trainer's network was replaced by one of another architecture; create a new Trainer for it")
        let n = features.rows
        precondition(n > 0, "a training batch needs at least one sample")
        precondition(features.columns == architecture.inputDimension,
                     "features have \(features.columns) columns but the network expects \(architecture.inputDimension)")
        precondition(labels.count == n, "got \(labels.count) labels for \(n) samples")
        reserveRows(n)
        let layout = ActivationLayout(architecture: architecture, rows: n)
        let logitsOffset = layout.offset(layer: architecture.depth)
        var summary = (lossSum: 0.0, correct: 0)
        features.storage.withUnsafeBufferPointer { input in
            activations.withUnsafeMutableBufferPointer { a in
                network.forwardPass(input: input.baseAddress!, rows: n, activations: a.baseAddress!)
                outputGradient.withUnsafeMutableBufferPointer { g in
                    summary = loss.evaluate(logits: UnsafePointer(a.baseAddress! + logitsOffset), labels: labels,
                                            classCount: architecture.outputDimension, gradient: g.baseAddress!,
                                            gradientScale: 1 / Double(n))
                    scratch.withUnsafeMutableBufferPointer { s in
                        gradient.withUnsafeMutableBufferPointer { out in
                            network.backwardPass(input: input.baseAddress!, rows: n, activations: UnsafePointer(a.baseAddress!),
                                                 outputGradient: UnsafePointer(g.baseAddress!), scratch: s.baseAddress!,
                                                 gradient: out.baseAddress!)
                        }
                    }
                }
            }
        }
        stepCount += 1
        tieGradient()
        applyUpdate()
        return BatchResult(meanLoss: summary.lossSum / Double(n), correct: summary.correct, count: n)
    }

    /// Mean loss and accuracy of the current network on a data set, evaluated in batches of
    /// `batchSize` rows (the result does not depend on it beyond float rounding of the logits'
    /// gemm). An empty set gives loss 0 and accuracy 0.
    public func evaluate(features: Matrix<Float>, labels: [Int], batchSize: Int = 1000) -> Evaluation {
        network.evaluate(features: features, labels: labels, loss: loss, batchSize: batchSize)
    }

    /// Grows the reusable buffers to hold a batch of `rows` samples.
    private mutating func reserveRows(_ rows: Int) {
        guard rows > rowCapacity else { return }
        let architecture = network.architecture
        activations = [Float](repeating: 0, count: ActivationLayout(architecture: architecture, rows: rows).totalCount)
        outputGradient = [Float](repeating: 0, count: rows * architecture.outputDimension)
        scratch = [Float](repeating: 0, count: 2 * rows * architecture.width)
        rowCapacity = rows
    }

    /// With tied hidden weights, replaces the gradient of every copy of the shared layer by the sum
    /// over the copies (layer 2 first, then 3, …: a fixed order), which is the gradient of the
    /// shared matrix; the optimiser then moves every copy identically, weight decay included.
    private mutating func tieGradient() {
        let architecture = network.architecture
        let tied = architecture.tiedLayerIndices
        guard tied.count > 1 else { return }
        let parameters = ParameterLayout(architecture: architecture)
        let blockCount = architecture.width * architecture.width + (architecture.hasBias ? architecture.width : 0)
        gradient.withUnsafeMutableBufferPointer { g in
            let first = g.baseAddress! + parameters.weightOffsets[tied.lowerBound]
            for index in tied.dropFirst() {
                let copy = g.baseAddress! + parameters.weightOffsets[index]
                for i in 0..<blockCount { first[i] += copy[i] }
            }
            for index in tied.dropFirst() {
                (g.baseAddress! + parameters.weightOffsets[index]).update(from: first, count: blockCount)
            }
        }
    }

    /// Applies the optimiser to every layer's weights and biases with the gradient just computed.
    private mutating func applyUpdate() {
        let parameters = ParameterLayout(architecture: network.architecture)
        let step = stepCount
        let optimizer = self.optimizer
        gradient.withUnsafeBufferPointer { g in
            firstMoment.withUnsafeMutableBufferPointer { m in
                secondMoment.withUnsafeMutableBufferPointer { v in
                    for l in network.weights.indices {
                        let offset = parameters.weightOffsets[l]
                        network.weights[l].storage.withUnsafeMutableBufferPointer { w in
                            optimizer.update(parameters: w.baseAddress!, gradient: g.baseAddress! + offset, count: w.count,
                                             first: m.baseAddress! + offset, second: v.baseAddress.map { $0 + offset }, step: step)
                        }
                        guard !network.biases[l].isEmpty else { continue }
                        let biasOffset = parameters.biasOffsets[l]
                        network.biases[l].withUnsafeMutableBufferPointer { b in
                            optimizer.update(parameters: b.baseAddress!, gradient: g.baseAddress! + biasOffset, count: b.count,
                                             first: m.baseAddress! + biasOffset, second: v.baseAddress.map { $0 + biasOffset },
                                             step: step)
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Checkpoints

extension Trainer {
    private static var stateTag: String { "TRNR" }
    private static var stateVersion: UInt32 { 1 }

    /// Everything needed to continue training bit for bit (format version 1, little-endian):
    /// tag "TRNR", version, the loss name, the optimiser kind and hyperparameters, the step
    /// count, the network (``DenseNetwork/serialized()``), then the optimiser buffers
    /// (SGD: momentum; Adam: m and v) as float32 bit patterns.
    public func serializedState() -> Data {
        var writer = EngineBinary.Writer()
        writer.write(tag: Self.stateTag)
        writer.write(Self.stateVersion)
        writer.write(Data(loss.rawValue.utf8))
        let settings = Self.encode(optimizer)
        writer.write(settings.kind)
        writer.write(settings.values.count)
        for value in settings.values { writer.write(value) }
        writer.write(stepCount)
        writer.write(network.serialized())
        writer.write(firstMoment.count)
        writer.write(scalars: firstMoment)
        writer.write(secondMoment.count)
        writer.write(scalars: secondMoment)
        return writer.data
    }

    /// Replaces the network, the optimiser buffers and the step count with a state written by
    /// ``serializedState()``.
    /// - Throws: ``CheckpointFormatError`` when the data is damaged, or when it was written with
    ///   a different loss, optimiser setting or architecture than this trainer's (nothing changes then).
    public mutating func restoreState(_ data: Data) throws {
        var reader = EngineBinary.Reader(data, what: "trainer")
        try reader.expect(tag: Self.stateTag)
        let version = try reader.uint32()
        guard version == Self.stateVersion else { throw CheckpointFormatError.unsupportedVersion(what: "trainer", version: version) }
        let lossName = String(decoding: try reader.blob(), as: UTF8.self)
        guard lossName == loss.rawValue else {
            throw CheckpointFormatError.mismatch(what: "trainer", detail: "loss \(lossName), expected \(loss.rawValue)")
        }
        let kind = try reader.uint8()
        let valueCount = try reader.int()
        guard valueCount >= 0, valueCount <= 16 else { throw CheckpointFormatError.badValue(what: "trainer", detail: "\(valueCount) optimiser settings") }
        var values: [Double] = []
        for _ in 0..<valueCount { values.append(try reader.double()) }
        let expected = Self.encode(optimizer)
        guard kind == expected.kind, values.map(\.bitPattern) == expected.values.map(\.bitPattern) else {
            throw CheckpointFormatError.mismatch(what: "trainer", detail: "optimiser settings differ from \(optimizer)")
        }
        let steps = try reader.int()
        guard steps >= 0 else { throw CheckpointFormatError.badValue(what: "trainer", detail: "step count \(steps)") }
        let restored = try DenseNetwork<Float>(serialized: try reader.blob())
        guard restored.architecture == network.architecture else {
            throw CheckpointFormatError.mismatch(what: "trainer", detail: "architecture \(restored.architecture) differs from \(network.architecture)")
        }
        let firstCount = try reader.int()
        guard firstCount == firstMoment.count else {
            throw CheckpointFormatError.mismatch(what: "trainer", detail: "\(firstCount) optimiser state entries, expected \(firstMoment.count)")
        }
        let first = try reader.scalars(firstCount, byteWidth: 4, as: Float.self)
        let secondCount = try reader.int()
        guard secondCount == secondMoment.count else {
            throw CheckpointFormatError.mismatch(what: "trainer", detail: "\(secondCount) second-moment entries, expected \(secondMoment.count)")
        }
        let second = try reader.scalars(secondCount, byteWidth: 4, as: Float.self)
        try reader.expectEnd()
        network = restored
        firstMoment = first
        secondMoment = second
        stepCount = steps
    }

    private static func encode(_ settings: OptimizerSettings) -> (kind: UInt8, values: [Double]) {
        switch settings {
        case let .sgd(learningRate, momentum, weightDecay):
            return (0, [learningRate, momentum, weightDecay])
        case let .adam(learningRate, beta1, beta2, epsilon, weightDecay):
            return (1, [learningRate, beta1, beta2, epsilon, weightDecay])
        }
    }
}

extension DenseNetwork {
    /// Mean loss and accuracy on a data set, evaluated in batches of `batchSize` rows without
    /// copying the features. An empty set gives loss 0 and accuracy 0.
    /// - Precondition: `features.columns == d`, one label per row, `batchSize ≥ 1`.
    public func evaluate(features: Matrix<Scalar>, labels: [Int], loss: LossFunction, batchSize: Int = 1000) -> Evaluation {
        precondition(features.columns == architecture.inputDimension,
                     "features have \(features.columns) columns but the network expects \(architecture.inputDimension)")
        precondition(labels.count == features.rows, "got \(labels.count) labels for \(features.rows) samples")
        precondition(batchSize >= 1, "batch size must be positive")
        let n = features.rows
        guard n > 0 else { return Evaluation(loss: 0, accuracy: 0) }
        let d = architecture.inputDimension
        let rowsPerBatch = min(batchSize, n)
        let logitsOffset = { (rows: Int) in ActivationLayout(architecture: architecture, rows: rows).offset(layer: architecture.depth) }
        var activations = [Scalar](repeating: 0, count: ActivationLayout(architecture: architecture, rows: rowsPerBatch).totalCount)
        var lossSum = 0.0
        var correct = 0
        features.storage.withUnsafeBufferPointer { input in
            activations.withUnsafeMutableBufferPointer { a in
                for start in stride(from: 0, to: n, by: rowsPerBatch) {
                    let rows = min(rowsPerBatch, n - start)
                    forwardPass(input: input.baseAddress! + start * d, rows: rows, activations: a.baseAddress!)
                    let summary = loss.evaluate(logits: UnsafePointer(a.baseAddress! + logitsOffset(rows)),
                                                labels: Array(labels[start..<start + rows]),
                                                classCount: architecture.outputDimension, gradient: nil, gradientScale: 0)
                    lossSum += summary.lossSum
                    correct += summary.correct
                }
            }
        }
        return Evaluation(loss: lossSum / Double(n), accuracy: Double(correct) / Double(n))
    }
}

/// The outcome of one training step, measured on the batch before the update.
public struct BatchResult: Sendable, Equatable {
    /// Mean loss over the batch.
    public var meanLoss: Double
    /// Number of samples whose largest logit is the label.
    public var correct: Int
    /// Number of samples in the batch.
    public var count: Int
}

/// Mean loss and accuracy of a network on a data set.
public struct Evaluation: Codable, Sendable, Equatable {
    /// Mean per-sample loss.
    public var loss: Double
    /// Fraction of samples whose largest logit (first one on ties) is the label.
    public var accuracy: Double

    public init(loss: Double, accuracy: Double) {
        self.loss = loss
        self.accuracy = accuracy
    }
}
