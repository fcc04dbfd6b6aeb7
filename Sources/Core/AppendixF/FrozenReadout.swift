import Foundation

/// Training only the last layer of a network whose other layers are frozen (paper Appendix F,
/// Fig 18 and Table 4): the frozen layers' output H (n × N) is computed once, and the last layer
/// z_L = HW_Lᵀ + b_L is trained with Adam on the mean cross-entropy, from W_L = s·W_He
/// (so W_L[i, j] ~ N(0, s²·2/N)), b_L = 0.
public enum FrozenReadout {
    /// What a readout training did.
    public struct Outcome: Codable, Hashable, Sendable {
        /// Epochs run.
        public var epochs: Int
        /// Mean training loss at the end.
        public var finalTrainLoss: Double
        /// Train and test accuracy after every epoch (element 0: before training).
        public var trainAccuracies: [Double]
        public var testAccuracies: [Double]
        /// The largest over the epochs (the paper's "best" accuracies of Table 4).
        public var bestTrainAccuracy: Double { trainAccuracies.max() ?? .nan }
        public var bestTestAccuracy: Double { testAccuracies.max() ?? .nan }
    }

    /// Trains (`weights`, `bias`) in place: minibatches of `batchSize` in a fresh shuffle per epoch
    /// (stream "readout batches"), until the epoch's mean loss is below `lossThreshold` or after `maxEpochs`.
    public static func train(weights: inout Matrix<Float>, bias: inout [Float], train: LabelledSamples, test: LabelledSamples,
                             optimizer: OptimizerSettings, batchSize: Int, maxEpochs: Int, lossThreshold: Double,
                             generator: SeededGenerator) -> Outcome {
        var weightState = OptimizerBuffers(count: weights.storage.count)
        var biasState = OptimizerBuffers(count: bias.count)
        var batchGenerator = generator.derived("readout batches")
        func accuracy(_ samples: LabelledSamples) -> Double {
            let z = NormalisedLeakyNetwork<Float>.affine(samples.features, weights, bias)
            let k = z.columns
            var correct = 0
            for r in 0..<z.rows {
                var best = 0
                for c in 1..<k where z.storage[r * k + c] > z.storage[r * k + best] { best = c }
                if best == samples.labels[r] { correct += 1 }
            }
            return Double(correct) / Double(max(1, samples.count))
        }
        var trainAccuracies = [accuracy(train)], testAccuracies = [accuracy(test)]
        var epochs = 0
        var loss = Double.infinity
        while epochs < maxEpochs && !(loss < lossThreshold) {
            epochs += 1
            var total = 0.0
            for positions in LayerwiseFeatureMaximisation.batches(count: train.count, batchSize: batchSize, generator: &batchGenerator) {
                let batch = train.rows(positions)
                let (value, dw, db) = LayerwiseFeatureMaximisation.crossEntropy(weights, bias, batch, true)
                total += value * Double(batch.count)
                weightState.apply(optimizer, parameters: &weights.storage, gradient: dw.storage)
                biasState.apply(optimizer, parameters: &bias, gradient: db)
            }
            loss = total / Double(max(1, train.count))
            trainAccuracies.append(accuracy(train))
            testAccuracies.append(accuracy(test))
        }
        return Outcome(epochs: epochs, finalTrainLoss: loss, trainAccuracies: trainAccuracies, testAccuracies: testAccuracies)
    }
}
