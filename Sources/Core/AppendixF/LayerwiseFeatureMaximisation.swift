import Foundation

/// Labelled samples as a feature matrix (one row each) and their labels.
public struct LabelledSamples: Sendable {
    public var features: Matrix<Float>
    public var labels: [Int]

    public init(features: Matrix<Float>, labels: [Int]) {
        precondition(features.rows == labels.count, "one label per row")
        self.features = features
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The rows at `positions`, in that order.
    public func rows(_ positions: some Collection<Int>) -> LabelledSamples {
        let d = features.columns
        var storage: [Float] = []
        storage.reserveCapacity(positions.count * d)
        for p in positions { storage.append(contentsOf: features.storage[(p * d)..<((p + 1) * d)]) }
        return LabelledSamples(features: Matrix(rows: positions.count, columns: d, storage: storage), labels: positions.map { labels[$0] })
    }

    /// The same labels with other features (e.g. a layer's outputs).
    public func with(features: Matrix<Float>) -> LabelledSamples { LabelledSamples(features: features, labels: labels) }
}

/// One parameter block's Adam state, updated with ``OptimizerSettings``' rule (PyTorch's).
struct OptimizerBuffers {
    private var first: [Float]
    private var second: [Float]
    private var step = 0

    init(count: Int) {
        first = [Float](repeating: 0, count: count)
        second = [Float](repeating: 0, count: count)
    }

    mutating func apply(_ settings: OptimizerSettings, parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == gradient.count && parameters.count == first.count, "parameter and gradient sizes differ")
        step += 1
        let count = parameters.count, t = step
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                first.withUnsafeMutableBufferPointer { m in
                    second.withUnsafeMutableBufferPointer { v in
                        settings.update(parameters: p.baseAddress!, gradient: g.baseAddress!, count: count,
                                        first: m.baseAddress!, second: v.baseAddress!, step: t)
                    }
                }
            }
        }
    }
}

/// How long a layer trains: epochs until the validation loss has not improved for `patience`
/// epochs (the best epoch's parameters are kept), at most `maxEpochs`.
public struct ValidationStopping: Codable, Hashable, Sendable {
    public var maxEpochs: Int
    public var patience: Int

    /// Whether to train another epoch after `epochs` of them, the best being epoch `bestEpoch`.
    func continues(after epochs: Int, bestEpoch: Int) -> Bool { epochs < maxEpochs && epochs - bestEpoch < patience }
}

/// What training one layer did.
public struct LayerTrainingLog: Codable, Hashable, Sendable {
    /// l, 1-based.
    public var layer: Int
    /// Epochs run.
    public var epochs: Int
    /// The epoch whose parameters were kept (0 = the initial ones).
    public var bestEpoch: Int
    /// Validation loss per epoch, starting with the initial parameters (element 0).
    public var validationLosses: [Double]
}

/// Algorithm 1 of the paper (Appendix F, layer-wise feature maximisation), as docs/appendix-f.md reads it:
/// for l = 1 … L−1, layer l alone is trained with Adam on ``ForwardKernelLoss`` over minibatches
/// of the (normalised) outputs of the layers below, stopping on the validation loss; its normalised
/// outputs are then the next layer's inputs. Finally layer L is trained on cross-entropy, also with
/// validation stopping. Minibatch order: stream "batches layer l" of `generator`, one shuffle per epoch.
public enum LayerwiseFeatureMaximisation {
    /// Trains `network` in place and returns one log per layer.
    public static func train(_ network: inout NormalisedLeakyNetwork<Float>, train: LabelledSamples, validation: LabelledSamples,
                             optimizer: OptimizerSettings, batchSize: Int, stopping: ValidationStopping,
                             generator: SeededGenerator, log: (String) -> Void = { _ in }) -> [LayerTrainingLog] {
        var trainInputs = train.with(features: NormalisedLeakyNetwork<Float>.unitRows(train.features))
        var validationInputs = validation.with(features: NormalisedLeakyNetwork<Float>.unitRows(validation.features))
        var logs: [LayerTrainingLog] = []
        let slope = network.negativeSlope
        for l in 1...network.depth {
            let isClassifier = l == network.depth
            func batchLoss(_ w: Matrix<Float>, _ b: [Float], _ batch: LabelledSamples, _ gradient: Bool) -> (Double, Matrix<Float>, [Float]) {
                if isClassifier { return crossEntropy(w, b, batch, gradient) }
                let r = ForwardKernelLoss.evaluate(weights: w, bias: b, inputs: batch.features, labels: batch.labels,
                                                   negativeSlope: slope, wantGradient: gradient)
                return (r.loss, r.weights, r.bias)
            }
            let entry = trainLayer(weights: &network.weights[l - 1], bias: &network.biases[l - 1], train: trainInputs,
                                   validation: validationInputs, optimizer: optimizer, batchSize: batchSize, stopping: stopping,
                                   generator: generator.derived("batches layer \(l)"), loss: batchLoss)
            logs.append(LayerTrainingLog(layer: l, epochs: entry.epochs, bestEpoch: entry.best, validationLosses: entry.losses))
            log("layer \(l): \(entry.epochs) epochs, best \(entry.best), validation loss \(entry.losses[entry.best])")
            if !isClassifier {
                trainInputs = trainInputs.with(features: network.normalisedOutput(layer: l, inputs: trainInputs.features))
                validationInputs = validationInputs.with(features: network.normalisedOutput(layer: l, inputs: validationInputs.features))
            }
        }
        return logs
    }

    /// Mean cross-entropy of a linear layer z = AWᵀ + b and its gradients.
    static func crossEntropy(_ w: Matrix<Float>, _ b: [Float], _ batch: LabelledSamples, _ wantGradient: Bool) -> (Double, Matrix<Float>, [Float]) {
        let z = NormalisedLeakyNetwork<Float>.affine(batch.features, w, b)
        let n = batch.count, k = w.rows
        var delta = Matrix<Float>(rows: n, columns: k)
        let summary = z.storage.withUnsafeBufferPointer { logits in
            delta.storage.withUnsafeMutableBufferPointer { g in
                LossFunction.crossEntropy.evaluate(logits: logits.baseAddress!, labels: batch.labels, classCount: k,
                                                   gradient: g.baseAddress!, gradientScale: 1 / Double(n))
            }
        }
        guard wantGradient else { return (summary.lossSum / Double(n), Matrix(rows: 0, columns: 0), []) }
        return (summary.lossSum / Double(n), Matrix.product(delta, transposed: true, batch.features),
                NormalisedLeakyNetwork<Float>.columnSums(delta))
    }

    /// Minibatches of `count` positions in one shuffled order (the last holds the remainder).
    static func batches(count: Int, batchSize: Int, generator: inout SeededGenerator) -> [[Int]] {
        var order = Array(0..<count)
        generator.shuffle(&order)
        return stride(from: 0, to: count, by: batchSize).map { Array(order[$0..<min(count, $0 + batchSize)]) }
    }

    /// Mean of the batch losses over `samples` in fixed order, batches of `batchSize`.
    static func meanLoss(_ samples: LabelledSamples, batchSize: Int, _ loss: (LabelledSamples) -> Double) -> Double {
        var total = 0.0, weight = 0.0
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let batch = samples.rows(start..<min(samples.count, start + batchSize))
            total += loss(batch) * Double(batch.count)
            weight += Double(batch.count)
        }
        return total / max(1, weight)
    }

    /// Trains one (W, b) with Adam on `loss` until ``ValidationStopping`` says stop; keeps the best epoch.
    static func trainLayer(weights: inout Matrix<Float>, bias: inout [Float], train: LabelledSamples, validation: LabelledSamples,
                           optimizer: OptimizerSettings, batchSize: Int, stopping: ValidationStopping, generator: SeededGenerator,
                           loss: (Matrix<Float>, [Float], LabelledSamples, Bool) -> (Double, Matrix<Float>, [Float]))
        -> (epochs: Int, best: Int, losses: [Double]) {
        var weightState = OptimizerBuffers(count: weights.storage.count)
        var biasState = OptimizerBuffers(count: bias.count)
        var batchGenerator = generator
        func validationLoss() -> Double {
            meanLoss(validation, batchSize: batchSize) { [weights, bias] batch in loss(weights, bias, batch, false).0 }
        }
        var losses = [validationLoss()]
        var best = (epoch: 0, loss: losses[0], weights: weights, bias: bias)
        var epoch = 0
        while stopping.continues(after: epoch, bestEpoch: best.epoch) {
            epoch += 1
            for positions in batches(count: train.count, batchSize: batchSize, generator: &batchGenerator) {
                let (_, dw, db) = loss(weights, bias, train.rows(positions), true)
                weightState.apply(optimizer, parameters: &weights.storage, gradient: dw.storage)
                biasState.apply(optimizer, parameters: &bias, gradient: db)
            }
            let current = validationLoss()
            losses.append(current)
            if current < best.loss || !best.loss.isFinite { best = (epoch, current, weights, bias) }
        }
        weights = best.weights
        bias = best.bias
        return (epoch, best.epoch, losses)
    }
}

/// End-to-end training of a ``NormalisedLeakyNetwork`` on the mean cross-entropy, all layers at once,
/// for a fixed number of epochs (Figs 16/17 (c): no validation set).
public enum NormalisedLeakyTraining {
    /// Trains `network` in place; returns the mean training loss of each epoch.
    public static func train(_ network: inout NormalisedLeakyNetwork<Float>, samples: LabelledSamples, optimizer: OptimizerSettings,
                             batchSize: Int, epochs: Int, generator: SeededGenerator) -> [Double] {
        var weightStates = network.weights.map { OptimizerBuffers(count: $0.storage.count) }
        var biasStates = network.biases.map { OptimizerBuffers(count: $0.count) }
        var batchGenerator = generator.derived("batches end-to-end")
        var epochLosses: [Double] = []
        for _ in 0..<epochs {
            var total = 0.0
            for positions in LayerwiseFeatureMaximisation.batches(count: samples.count, batchSize: batchSize, generator: &batchGenerator) {
                let batch = samples.rows(positions)
                let gradient = network.crossEntropyGradient(batch.features, labels: batch.labels)
                total += gradient.loss * Double(batch.count)
                for l in network.weights.indices {
                    weightStates[l].apply(optimizer, parameters: &network.weights[l].storage, gradient: gradient.weights[l].storage)
                    biasStates[l].apply(optimizer, parameters: &network.biases[l], gradient: gradient.biases[l])
                }
            }
            epochLosses.append(total / Double(max(1, samples.count)))
        }
        return epochLosses
    }
}
