import Foundation

/// The work of one training run in floating-point operations, split the way the cost model
/// weighs it. Counts are those of a fully connected network with P parameters:
///
/// - `training`: 6·P per sample per optimiser step (forward 2P, backward 4P);
/// - `evaluation`: 2·P per sample evaluated (the test split at every epoch end, the training set at the stop);
/// - `measurement`: per A_l measurement, a forward and backward pass of both probes (6·P per probe
///   sample) plus the probe kernels, L·n²·N with n the size of both probes together.
public struct RunWork: Equatable, Sendable {
    public var training: Double
    public var evaluation: Double
    public var measurement: Double

    var components: [Double] { [training, evaluation, measurement, 1] }
}

extension RunWork {
    /// The work of `spec` when it runs to the limit of its stopping rule (an upper bound for the
    /// loss-threshold rules, exact for fixed epochs or steps).
    public init(planned spec: RunSpec) {
        let samples = spec.trainSubsetPerClass.map { $0 * spec.dataset.classCount } ?? spec.dataset.standardTrainingCount
        let stepsPerEpoch = max(1, (samples + spec.batchSize - 1) / spec.batchSize)
        let steps = spec.stopping.stepLimit(stepsPerEpoch: stepsPerEpoch)
        let epochs = spec.stopping.epochLimit(stepsPerEpoch: stepsPerEpoch)
        let schedule = spec.alignment
        var measurements = (schedule.atInitialisation ? 1 : 0) + (schedule.atStop ? 1 : 0)
            + schedule.logSpacedSteps(stepsPerEpoch: stepsPerEpoch).count + (schedule.atEpochs?.count ?? 0)
            + (schedule.everyEpoch ? epochs : 0) + (schedule.atMilestones == true ? spec.stopping.milestoneThresholds.count : 0)
        if !schedule.measuresAnything { measurements = 0 }
        self.init(spec: spec, trainingSamples: samples, stepsPerEpoch: stepsPerEpoch, steps: steps, epochs: epochs,
                  measurements: measurements)
    }

    /// The work a finished run actually did (its steps, epochs and measurements).
    public init(measured record: RunRecord) {
        self.init(spec: record.spec, trainingSamples: record.trainingSampleCount, stepsPerEpoch: max(1, record.stepsPerEpoch),
                  steps: record.totalSteps, epochs: record.epochs.count, measurements: record.alignments.count)
    }

    init(spec: RunSpec, trainingSamples: Int, stepsPerEpoch: Int, steps: Int, epochs: Int, measurements: Int) {
        let parameters = Double(spec.architecture.parameterCount)
        let samplesPerStep = Double(trainingSamples) / Double(stepsPerEpoch)
        training = 6 * parameters * samplesPerStep * Double(steps)
        evaluation = 2 * parameters * (Double(spec.dataset.standardTestCount * epochs) + Double(trainingSamples))
        let probe = spec.alignment.measuresAnything ? Double(2 * spec.probePerClass * spec.dataset.classCount) : 0
        let depth = Double(spec.architecture.depth)
        let width = Double(spec.architecture.dense?.width ?? 0)
        measurement = Double(measurements) * (6 * parameters * probe + depth * probe * probe * width)
    }
}

/// Expected wall-clock seconds of a run on one core: seconds = Σ cᵢ·workᵢ + c₀, with the
/// coefficients (seconds per flop of training, evaluation, measurement; seconds per run) fitted
/// by least squares on relative error to the wall times of finished records (``fit(_:)``).
///
/// ``calibrated`` holds the coefficients fitted on this project's build machine (x86_64, 2 cores
/// shared with other work, OpenBLAS Haswell kernels, one BLAS thread per run) from the 83 verified
/// records of runs/full, runs/factors and runs/authors-quick; `reproduce plan --calibrate DIR`
/// refits them on another machine's records and reports the error.
public struct RunCostModel: Codable, Equatable, Sendable {
    /// Seconds per flop of training steps.
    public var secondsPerTrainingFlop: Double
    /// Seconds per flop of evaluation passes.
    public var secondsPerEvaluationFlop: Double
    /// Seconds per flop of A_l measurements.
    public var secondsPerMeasurementFlop: Double
    /// Seconds per run (loading, start-up).
    public var secondsPerRun: Double

    public init(secondsPerTrainingFlop: Double, secondsPerEvaluationFlop: Double, secondsPerMeasurementFlop: Double,
                secondsPerRun: Double) {
        self.secondsPerTrainingFlop = secondsPerTrainingFlop
        self.secondsPerEvaluationFlop = secondsPerEvaluationFlop
        self.secondsPerMeasurementFlop = secondsPerMeasurementFlop
        self.secondsPerRun = secondsPerRun
    }

    /// Fitted on the build machine (see the type's documentation and docs/cluster.md).
    public static let calibrated = RunCostModel(secondsPerTrainingFlop: 2.240e-11, secondsPerEvaluationFlop: 2.912e-11,
                                                secondsPerMeasurementFlop: 0, secondsPerRun: 2.36)

    var coefficients: [Double] { [secondsPerTrainingFlop, secondsPerEvaluationFlop, secondsPerMeasurementFlop, secondsPerRun] }

    /// Expected seconds for `work`.
    public func seconds(_ work: RunWork) -> Double {
        zip(coefficients, work.components).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Expected seconds of `spec` run to the limit of its stopping rule.
    public func plannedSeconds(_ spec: RunSpec) -> Double { seconds(RunWork(planned: spec)) }

    /// The coefficients that minimise Σ (predicted/measured − 1)² over `samples` (work and measured
    /// seconds), none negative: a term whose coefficient comes out negative is dropped and the rest
    /// refitted. Nil when fewer samples than terms remain or the system is singular.
    public static func fit(_ samples: [(work: RunWork, seconds: Double)]) -> RunCostModel? {
        let usable = samples.filter { $0.seconds > 0 }
        var active = [0, 1, 2, 3]
        while !active.isEmpty {
            guard usable.count >= active.count,
                  let solution = weightedLeastSquares(usable, terms: active) else { return nil }
            if let negative = zip(active, solution).first(where: { $0.1 < 0 })?.0 {
                active.removeAll { $0 == negative }
                continue
            }
            var coefficients = [0.0, 0, 0, 0]
            for (term, value) in zip(active, solution) { coefficients[term] = value }
            return RunCostModel(secondsPerTrainingFlop: coefficients[0], secondsPerEvaluationFlop: coefficients[1],
                                secondsPerMeasurementFlop: coefficients[2], secondsPerRun: coefficients[3])
        }
        return nil
    }

    /// Solves the normal equations of rows xᵢ/yᵢ against 1 for the chosen terms (Gaussian elimination, partial pivoting).
    private static func weightedLeastSquares(_ samples: [(work: RunWork, seconds: Double)], terms: [Int]) -> [Double]? {
        let n = terms.count
        // Columns are scaled to unit size so that flop counts (1e12) and the constant (1) are comparable.
        var scale = Array(repeating: 0.0, count: n)
        for sample in samples {
            let row = sample.work.components
            for (j, term) in terms.enumerated() { scale[j] = max(scale[j], abs(row[term] / sample.seconds)) }
        }
        guard !scale.contains(0) else { return nil }
        var a = Array(repeating: Array(repeating: 0.0, count: n + 1), count: n)
        for sample in samples {
            let row = sample.work.components
            let x = terms.enumerated().map { row[$1] / sample.seconds / scale[$0] }
            for i in 0..<n {
                for j in 0..<n { a[i][j] += x[i] * x[j] }
                a[i][n] += x[i]
            }
        }
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }), abs(a[pivot][column]) > 1e-12 else { return nil }
            a.swapAt(column, pivot)
            for row in 0..<n where row != column {
                let factor = a[row][column] / a[column][column]
                for k in column...n { a[row][k] -= factor * a[column][k] }
            }
        }
        return (0..<n).map { a[$0][n] / a[$0][$0] / scale[$0] }
    }

    /// How far the model's predictions are from measured wall times.
    public struct ErrorSummary: Equatable, Sendable {
        /// Runs compared.
        public var count: Int
        /// Median of |predicted/measured − 1|.
        public var medianRelativeError: Double
        /// 90th percentile of |predicted/measured − 1|.
        public var p90RelativeError: Double
        /// Largest |predicted/measured − 1|.
        public var maxRelativeError: Double
        /// Σ predicted / Σ measured − 1: the error on a total, which is what a job's budget needs.
        public var totalRelativeError: Double
    }

    /// The model's error on `samples` (nil when there are none).
    public func error(on samples: [(work: RunWork, seconds: Double)]) -> ErrorSummary? {
        let usable = samples.filter { $0.seconds > 0 }
        guard !usable.isEmpty else { return nil }
        let relative = usable.map { abs(seconds($0.work) / $0.seconds - 1) }.sorted()
        let quantile = { (q: Double) in relative[min(relative.count - 1, Int((q * Double(relative.count - 1)).rounded()))] }
        let predicted = usable.reduce(0) { $0 + seconds($1.work) }
        let measured = usable.reduce(0) { $0 + $1.seconds }
        return ErrorSummary(count: usable.count, medianRelativeError: quantile(0.5), p90RelativeError: quantile(0.9),
                            maxRelativeError: relative.last ?? 0, totalRelativeError: predicted / measured - 1)
    }
}
