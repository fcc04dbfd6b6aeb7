import Foundation

/// The samples an Appendix F study uses: class-balanced subsets of the training and test parts
/// (streams "subset" and "test subset" of the seed) and a class-balanced training probe (stream "probe").
public struct StudySamples: Sendable {
    public var train: LabelledSamples
    public var test: LabelledSamples
    public var probe: LabelledSamples

    public init(split: DatasetSplit, trainPerClass: Int, testPerClass: Int, probePerClass: Int, seed: UInt64) throws {
        let root = SeededGenerator(seed: seed)
        var subsetGenerator = root.derived("subset"), testGenerator = root.derived("test subset"), probeGenerator = root.derived("probe")
        let trainPart = try split.train.balancedSubset(perClass: trainPerClass, generator: &subsetGenerator)
        let testPart = try split.test.balancedSubset(perClass: testPerClass, generator: &testGenerator)
        let probePart = try trainPart.balancedSubset(perClass: probePerClass, generator: &probeGenerator)
        train = LabelledSamples(features: trainPart.features, labels: trainPart.labels)
        test = LabelledSamples(features: testPart.features, labels: testPart.labels)
        probe = LabelledSamples(features: probePart.features, labels: probePart.labels)
    }
}

// MARK: - Figs 16/17: LFM against end-to-end training

/// What the three Appendix F studies have in common: the dataset, the sizes (per class) of its
/// class-balanced training and test subsets, and the depth of the networks.
public struct StudyScope: Codable, Hashable, Sendable {
    public var dataset: DatasetName
    public var trainPerClass: Int
    public var testPerClass: Int
    public var depth: Int

    /// The subsets of `split` drawn with `seed` (see ``StudySamples``), with a training probe of `probePerClass` per class.
    func samples(_ split: DatasetSplit, probePerClass: Int, seed: UInt64) throws -> StudySamples {
        try StudySamples(split: split, trainPerClass: trainPerClass, testPerClass: testPerClass, probePerClass: probePerClass, seed: seed)
    }
}

/// An Appendix F study's configuration: the ``StudyScope`` and the study's own `Settings`, encoded as one
/// flat JSON object (the keys of both side by side), whose canonical hash names the study's cache entry.
/// The fields of both parts read and write as the configuration's own (`c.depth`, `c.seeds`).
@dynamicMemberLookup
public struct StudyConfiguration<Settings: Codable & Hashable & Sendable>: Codable, Hashable, Sendable, CanonicallyHashed {
    public var scope: StudyScope
    public var settings: Settings

    init(_ scope: StudyScope, _ settings: Settings) {
        self.scope = scope
        self.settings = settings
    }

    public init(from decoder: any Decoder) throws {
        scope = try StudyScope(from: decoder)
        settings = try Settings(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try scope.encode(to: encoder)
        try settings.encode(to: encoder)
    }

    public subscript<Value>(dynamicMember path: WritableKeyPath<StudyScope, Value>) -> Value {
        get { scope[keyPath: path] }
        set { scope[keyPath: path] = newValue }
    }

    public subscript<Value>(dynamicMember path: WritableKeyPath<Settings, Value>) -> Value {
        get { settings[keyPath: path] }
        set { settings[keyPath: path] = newValue }
    }
}

/// What an Appendix F study found (`Findings`), with its configuration and wall time, encoded as one flat
/// JSON object (`configuration`, `wallSeconds` and the keys of the findings side by side). The findings'
/// fields read as the result's own (`study.runs`).
@dynamicMemberLookup
public struct StudyResult<Settings: Codable & Hashable & Sendable, Findings: Codable & Hashable & Sendable>: Hashable, Sendable {
    public var configuration: StudyConfiguration<Settings>
    public var findings: Findings
    public var wallSeconds: Double

    /// Runs `study` and records its configuration and its wall time.
    static func timing(_ configuration: StudyConfiguration<Settings>, _ study: () throws -> Findings) rethrows -> Self {
        let start = Date()
        let findings = try study()
        return StudyResult(configuration: configuration, findings: findings, wallSeconds: Date().timeIntervalSince(start))
    }

    public subscript<Value>(dynamicMember path: KeyPath<Findings, Value>) -> Value { findings[keyPath: path] }
}

extension StudyResult: Codable {
    private enum Keys: String, CodingKey { case configuration, wallSeconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        configuration = try container.decode(StudyConfiguration<Settings>.self, forKey: .configuration)
        wallSeconds = try container.decode(Double.self, forKey: .wallSeconds)
        findings = try Findings(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(configuration, forKey: .configuration)
        try container.encode(wallSeconds, forKey: .wallSeconds)
        try findings.encode(to: encoder)
    }
}

/// A study's settings that repeat it over several seeds.
public protocol MultiSeedSettings: Codable, Hashable, Sendable {
    var seeds: [UInt64] { get set }
}

extension StudyConfiguration where Settings: MultiSeedSettings {
    /// The same study with every seed offset by `base` (wrapping), e.g. a command's base seed.
    public func offsettingSeeds(by base: UInt64) -> Self {
        var c = self
        c.settings.seeds = settings.seeds.map { $0 &+ base }
        return c
    }
}

/// Figs 16/17: a ``NormalisedLeakyNetwork`` trained with Algorithm 1 at each of `lfmWidths`, and the
/// same architecture trained end to end at `endToEndWidth`; A_l of each on a training probe.
public struct LFMSettings: Codable, Hashable, Sendable {
    /// The fraction of the training subset held out for validation by the LFM (the paper: 5000 of 50000).
    public var validationFraction: Double
    public var lfmWidths: [Int]
    public var endToEndWidth: Int
    public var negativeSlope: Double
    public var batchSize: Int
    public var lfmLearningRate: Double
    public var endToEndLearningRate: Double
    public var stopping: ValidationStopping
    public var endToEndEpochs: Int
    public var probePerClass: Int
    public var seed: UInt64
}

extension StudyConfiguration where Settings == LFMSettings {
    /// The LFM study's configuration; each layer of Algorithm 1 trains with ``ValidationStopping`` (`patience`, `maxEpochsPerLayer`).
    public init(dataset: DatasetName, trainPerClass: Int, validationFraction: Double = 0.1, testPerClass: Int, depth: Int,
                lfmWidths: [Int], endToEndWidth: Int, negativeSlope: Double = 0.01, batchSize: Int, lfmLearningRate: Double = 0.01,
                endToEndLearningRate: Double = 0.003, patience: Int, maxEpochsPerLayer: Int, endToEndEpochs: Int,
                probePerClass: Int, seed: UInt64) {
        self.init(StudyScope(dataset: dataset, trainPerClass: trainPerClass, testPerClass: testPerClass, depth: depth),
                  LFMSettings(validationFraction: validationFraction, lfmWidths: lfmWidths, endToEndWidth: endToEndWidth,
                              negativeSlope: negativeSlope, batchSize: batchSize, lfmLearningRate: lfmLearningRate,
                              endToEndLearningRate: endToEndLearningRate,
                              stopping: ValidationStopping(maxEpochs: maxEpochsPerLayer, patience: patience), endToEndEpochs: endToEndEpochs,
                              probePerClass: probePerClass, seed: seed))
    }
}

/// One trained network of the LFM study.
public struct LFMNetworkResult: Codable, Hashable, Sendable {
    /// "LFM" or "end-to-end".
    public var training: String
    public var width: Int
    public var trainAccuracy: Double
    public var testAccuracy: Double
    /// Per test sample: whether the prediction is right (for paired bootstraps over test samples).
    public var testCorrect: [Bool]
    /// A_l, l = 1 … L, at initialisation and after training (full centring, training probe).
    public var initialAlignments: [Double]
    public var alignments: [Double]
    /// Algorithm 1's per-layer logs (empty end to end).
    public var layerLogs: [LayerTrainingLog]
    /// Mean training loss per epoch end to end (empty for the LFM).
    public var epochLosses: [Double]
}

public enum LFMStudy {
    /// What the LFM study found: the LFM networks (one per width), then the end-to-end one.
    public struct Findings: Codable, Hashable, Sendable {
        public var networks: [LFMNetworkResult]
    }

    public static func run(_ c: LFMStudyConfiguration, split: DatasetSplit, log: (String) -> Void = { _ in }) throws -> LFMStudyResult {
        try StudyResult.timing(c) {
            let samples = try c.scope.samples(split, probePerClass: c.probePerClass, seed: c.seed)
            let root = SeededGenerator(seed: c.seed)
            var order = Array(0..<samples.train.count)
            var splitGenerator = root.derived("validation split")
            splitGenerator.shuffle(&order)
            let validationCount = max(1, Int((Double(order.count) * c.validationFraction).rounded()))
            let validation = samples.train.rows(order.prefix(validationCount).sorted())
            let fitting = samples.train.rows(order.dropFirst(validationCount).sorted())
            let d = split.train.featureCount, k = split.train.classCount
            let probe = samples.probe.features
            func sizes(_ width: Int) -> [Int] { [d] + Array(repeating: width, count: c.depth - 1) + [k] }
            func alignments(_ network: NormalisedLeakyNetwork<Float>) -> [Double] {
                LayerAlignment.alignments(network: network, probeFeatures: probe, probeLabels: samples.probe.labels, centring: .full)
            }
            func result(_ network: NormalisedLeakyNetwork<Float>, training: String, width: Int, initial: [Double],
                        logs: [LayerTrainingLog], losses: [Double]) -> LFMNetworkResult {
                func correct(_ s: LabelledSamples) -> [Bool] {
                    let z = network.logits(s.features)
                    return (0..<s.count).map { r in
                        var best = 0
                        for j in 1..<k where z[r, j] > z[r, best] { best = j }
                        return best == s.labels[r]
                    }
                }
                let testCorrect = correct(samples.test)
                let trainCorrect = correct(samples.train)
                return LFMNetworkResult(training: training, width: width,
                                        trainAccuracy: Double(trainCorrect.filter { $0 }.count) / Double(max(1, trainCorrect.count)),
                                        testAccuracy: Double(testCorrect.filter { $0 }.count) / Double(max(1, testCorrect.count)),
                                        testCorrect: testCorrect, initialAlignments: initial, alignments: alignments(network),
                                        layerLogs: logs, epochLosses: losses)
            }
            var networks: [LFMNetworkResult] = []
            let adam = OptimizerSettings.defaultAdam(learningRate: c.lfmLearningRate)
            for width in c.lfmWidths {
                var generator = root.derived("init width \(width)")
                var network = NormalisedLeakyNetwork<Float>(layerSizes: sizes(width), negativeSlope: c.negativeSlope, generator: &generator)
                let initial = alignments(network)
                let logs = LayerwiseFeatureMaximisation.train(&network, train: fitting, validation: validation, optimizer: adam,
                                                              batchSize: c.batchSize, stopping: c.stopping,
                                                              generator: root.derived("lfm width \(width)"))
                networks.append(result(network, training: "LFM", width: width, initial: initial, logs: logs, losses: []))
                // One line per network (a line per layer made `all --quick` logs long).
                log("LFM N=\(width): epochs per layer \(logs.map { String($0.epochs) }.joined(separator: ", ")), test accuracy \(networks.last!.testAccuracy)")
            }
            var generator = root.derived("init width \(c.endToEndWidth)")
            var network = NormalisedLeakyNetwork<Float>(layerSizes: sizes(c.endToEndWidth), negativeSlope: c.negativeSlope, generator: &generator)
            let initial = alignments(network)
            let losses = NormalisedLeakyTraining.train(&network, samples: samples.train,
                                                       optimizer: .defaultAdam(learningRate: c.endToEndLearningRate),
                                                       batchSize: c.batchSize, epochs: c.endToEndEpochs, generator: root)
            networks.append(result(network, training: "end-to-end", width: c.endToEndWidth, initial: initial, logs: [], losses: losses))
            log("end-to-end N=\(c.endToEndWidth): test accuracy \(networks.last!.testAccuracy)")
            return Findings(networks: networks)
        }
    }
}

public typealias LFMStudyConfiguration = StudyConfiguration<LFMSettings>
public typealias LFMStudyResult = StudyResult<LFMSettings, LFMStudy.Findings>

// MARK: - Fig 18 and Table 4: frozen networks

/// How the last layer of a frozen network is trained (Adam on cross-entropy until a loss or an epoch cap).
public struct ReadoutTraining: Codable, Hashable, Sendable {
    public var learningRate: Double
    public var batchSize: Int
    public var maxEpochs: Int
    public var lossThreshold: Double

    public init(learningRate: Double, batchSize: Int, maxEpochs: Int, lossThreshold: Double) {
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.maxEpochs = maxEpochs
        self.lossThreshold = lossThreshold
    }
}

/// The frozen layers of a He-initialised ReLU network (``DenseNetwork``): φ(z_{L−1}) for every input row,
/// layer by layer without keeping the layers below.
public enum FrozenFeatures {
    public static func lastHidden(_ network: DenseNetwork<Float>, _ inputs: Matrix<Float>) -> Matrix<Float> {
        var a = inputs
        for l in 0..<(network.architecture.depth - 1) {
            a = NormalisedLeakyNetwork<Float>.affine(a, network.weights[l], network.biases[l])
            for i in a.storage.indices where !(a.storage[i] > 0) { a.storage[i] = 0 }
        }
        return a
    }
}

/// Fig 18: per seed, one He-initialised ReLU network whose layers 1 … L−1 stay frozen; for each noise
/// scale s its last layer starts at s·W_He and is trained (``FrozenReadout``); A_l before and after.
public struct FrozenStudySettings: Codable, Hashable, Sendable, MultiSeedSettings {
    public var width: Int
    public var noiseScales: [Double]
    public var seeds: [UInt64]
    public var probePerClass: Int
    public var readout: ReadoutTraining
}

extension StudyConfiguration where Settings == FrozenStudySettings {
    /// The frozen-network study's configuration.
    public init(dataset: DatasetName, trainPerClass: Int, testPerClass: Int, depth: Int, width: Int, noiseScales: [Double],
                seeds: [UInt64], probePerClass: Int, readout: ReadoutTraining) {
        self.init(StudyScope(dataset: dataset, trainPerClass: trainPerClass, testPerClass: testPerClass, depth: depth),
                  FrozenStudySettings(width: width, noiseScales: noiseScales, seeds: seeds, probePerClass: probePerClass, readout: readout))
    }
}

public struct FrozenRunResult: Codable, Hashable, Sendable {
    public var seed: UInt64
    public var noiseScale: Double
    public var initialAlignments: [Double]
    public var alignments: [Double]
    public var outcome: FrozenReadout.Outcome
}

public enum FrozenStudy {
    /// What the frozen-network study found: one run per seed and noise scale.
    public struct Findings: Codable, Hashable, Sendable {
        public var runs: [FrozenRunResult]
    }

    public static func run(_ c: FrozenStudyConfiguration, split: DatasetSplit, log: (String) -> Void = { _ in }) throws -> FrozenStudyResult {
        try StudyResult.timing(c) {
            var runs: [FrozenRunResult] = []
            let architecture = RunSpec.architecture(for: c.dataset, width: c.width, depth: c.depth)
            for seed in c.seeds {
                let samples = try c.scope.samples(split, probePerClass: c.probePerClass, seed: seed)
                var generator = SeededGenerator(seed: seed).derived("init")
                let frozen = DenseNetwork<Float>(architecture: architecture, generator: &generator)
                let train = samples.train.with(features: FrozenFeatures.lastHidden(frozen, samples.train.features))
                let test = samples.test.with(features: FrozenFeatures.lastHidden(frozen, samples.test.features))
                for s in c.noiseScales {
                    var network = frozen
                    let last = c.depth - 1
                    for i in network.weights[last].storage.indices { network.weights[last].storage[i] *= Float(s) }
                    let initial = LayerAlignment.alignments(network: network, probeFeatures: samples.probe.features,
                                                            probeLabels: samples.probe.labels, centring: .full)
                    let outcome = FrozenReadout.train(weights: &network.weights[last], bias: &network.biases[last], train: train, test: test,
                                                      optimizer: .defaultAdam(learningRate: c.readout.learningRate),
                                                      batchSize: c.readout.batchSize, maxEpochs: c.readout.maxEpochs,
                                                      lossThreshold: c.readout.lossThreshold, generator: SeededGenerator(seed: seed))
                    let final = LayerAlignment.alignments(network: network, probeFeatures: samples.probe.features,
                                                          probeLabels: samples.probe.labels, centring: .full)
                    runs.append(FrozenRunResult(seed: seed, noiseScale: s, initialAlignments: initial, alignments: final, outcome: outcome))
                }
                let seedRuns = runs.suffix(c.noiseScales.count)
                log("frozen seed \(seed): " + seedRuns.map { "s=\($0.noiseScale) \($0.outcome.epochs) epochs, test \($0.outcome.testAccuracies.last ?? .nan)" }
                    .joined(separator: "; "))
            }
            return Findings(runs: runs)
        }
    }
}

public typealias FrozenStudyConfiguration = StudyConfiguration<FrozenStudySettings>
public typealias FrozenStudyResult = StudyResult<FrozenStudySettings, FrozenStudy.Findings>

/// Table 4: accuracy of frozen networks against width, and the exact infinite-width row. Per seed and
/// width: the last layer trained on cross-entropy (the paper's protocol, s = 1), and the kernel
/// readout (``KernelRegression``) with the frozen network's kernel (2/N)HHᵀ; once: the same readout with
/// the NNGP kernel Σ_L (``NNGPKernel``), its N → ∞ limit, and the distance of each finite-width
/// readout's test predictions from it.
public struct FrozenWidthSettings: Codable, Hashable, Sendable, MultiSeedSettings {
    public var widths: [Int]
    public var seeds: [UInt64]
    public var readout: ReadoutTraining
    public var relativeRidge: Double
}

extension StudyConfiguration where Settings == FrozenWidthSettings {
    /// The frozen-width study's configuration.
    public init(dataset: DatasetName, trainPerClass: Int, testPerClass: Int, depth: Int, widths: [Int], seeds: [UInt64],
                readout: ReadoutTraining, relativeRidge: Double) {
        self.init(StudyScope(dataset: dataset, trainPerClass: trainPerClass, testPerClass: testPerClass, depth: depth),
                  FrozenWidthSettings(widths: widths, seeds: seeds, readout: readout, relativeRidge: relativeRidge))
    }
}

public struct FrozenWidthRow: Codable, Hashable, Sendable {
    public var seed: UInt64
    public var width: Int
    /// The cross-entropy-trained last layer.
    public var readout: FrozenReadout.Outcome
    /// The kernel readout at this width.
    public var kernelTrainAccuracy: Double
    public var kernelTestAccuracy: Double
    /// ‖F_N − F_∞‖_F/‖F_∞‖_F over the test predictions of the kernel readouts.
    public var distanceToNNGP: Double
}


public enum FrozenWidthStudy {
    /// What the frozen-width study found: one row per seed and width, and the NNGP readout per seed.
    public struct Findings: Codable, Hashable, Sendable {
        public var rows: [FrozenWidthRow]
        /// The NNGP kernel readout per seed (the seeds draw different subsets).
        public var nngpTrainAccuracies: [Double]
        public var nngpTestAccuracies: [Double]
    }

    public static func run(_ c: FrozenWidthConfiguration, split: DatasetSplit, log: (String) -> Void = { _ in }) throws -> FrozenWidthResult {
        try StudyResult.timing(c) {
            var rows: [FrozenWidthRow] = []
            var nngpTrain: [Double] = [], nngpTest: [Double] = []
            let k = split.train.classCount
            func double(_ m: Matrix<Float>) -> Matrix<Double> { Matrix(rows: m.rows, columns: m.columns, storage: m.storage.map(Double.init)) }
            for seed in c.seeds {
                let samples = try c.scope.samples(split, probePerClass: 1, seed: seed)
                let xTrain = double(samples.train.features), xTest = double(samples.test.features)
                let limitKernel = NNGPKernel.relu(xTrain, xTrain, depth: c.depth)
                let limitTrain = try KernelRegression.predictions(trainKernel: limitKernel, testTrainKernel: limitKernel,
                                                                  labels: samples.train.labels, classCount: k, relativeRidge: c.relativeRidge)
                let limitTest = try KernelRegression.predictions(
                    trainKernel: limitKernel, testTrainKernel: NNGPKernel.relu(xTest, xTrain, depth: c.depth),
                    labels: samples.train.labels, classCount: k, relativeRidge: c.relativeRidge)
                nngpTrain.append(KernelRegression.accuracy(limitTrain, labels: samples.train.labels))
                nngpTest.append(KernelRegression.accuracy(limitTest, labels: samples.test.labels))
                for width in c.widths {
                    var generator = SeededGenerator(seed: seed).derived("init width \(width)")
                    var network = DenseNetwork<Float>(architecture: RunSpec.architecture(for: c.dataset, width: width, depth: c.depth), generator: &generator)
                    let hTrain = FrozenFeatures.lastHidden(network, samples.train.features)
                    let hTest = FrozenFeatures.lastHidden(network, samples.test.features)
                    let trainKernel = NNGPKernel.empirical(lastHidden: double(hTrain), other: double(hTrain))
                    let scoresTrain = try KernelRegression.predictions(trainKernel: trainKernel, testTrainKernel: trainKernel,
                                                                       labels: samples.train.labels, classCount: k, relativeRidge: c.relativeRidge)
                    let scoresTest = try KernelRegression.predictions(
                        trainKernel: trainKernel, testTrainKernel: NNGPKernel.empirical(lastHidden: double(hTest), other: double(hTrain)),
                        labels: samples.train.labels, classCount: k, relativeRidge: c.relativeRidge)
                    let last = c.depth - 1
                    let outcome = FrozenReadout.train(weights: &network.weights[last], bias: &network.biases[last],
                                                      train: samples.train.with(features: hTrain), test: samples.test.with(features: hTest),
                                                      optimizer: .defaultAdam(learningRate: c.readout.learningRate), batchSize: c.readout.batchSize,
                                                      maxEpochs: c.readout.maxEpochs, lossThreshold: c.readout.lossThreshold,
                                                      generator: SeededGenerator(seed: seed))
                    rows.append(FrozenWidthRow(seed: seed, width: width, readout: outcome,
                                               kernelTrainAccuracy: KernelRegression.accuracy(scoresTrain, labels: samples.train.labels),
                                               kernelTestAccuracy: KernelRegression.accuracy(scoresTest, labels: samples.test.labels),
                                               distanceToNNGP: KernelRegression.relativeDistance(scoresTest, from: limitTest)))
                }
                let seedRows = rows.suffix(c.widths.count)
                log("seed \(seed): NNGP test \(nngpTest.last!); " + seedRows.map {
                    "N=\($0.width) readout test \($0.readout.bestTestAccuracy), kernel test \($0.kernelTestAccuracy), distance \($0.distanceToNNGP)"
                }.joined(separator: "; "))
            }
            return Findings(rows: rows, nngpTrainAccuracies: nngpTrain, nngpTestAccuracies: nngpTest)
        }
    }
}

public typealias FrozenWidthConfiguration = StudyConfiguration<FrozenWidthSettings>
public typealias FrozenWidthResult = StudyResult<FrozenWidthSettings, FrozenWidthStudy.Findings>
