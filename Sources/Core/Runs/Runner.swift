import Foundation

/// Why a run did not produce a record.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// Training was stopped on request (``Runner/stopRequested``); its state is in a checkpoint.
    case interrupted(step: Int, checkpoint: String)
    /// Stopped on request while waiting for another process that trains the same run (`lock` is its lock file).
    case stoppedWhileWaiting(lock: String)
    /// A stop was asked for before this run (named by its label) started, so it was not started.
    case notStarted(String)

    /// Of several stop errors, the one to show: a stopped training (it names its checkpoint) before
    /// a wait that was given up, before a run that never started; nil for none. Deterministic: ties
    /// go to the first in order.
    public static func mostInformative(_ errors: [RunError]) -> RunError? {
        func rank(_ error: RunError) -> Int {
            switch error {
            case .interrupted: return 0
            case .stoppedWhileWaiting: return 1
            case .notStarted: return 2
            }
        }
        return errors.enumerated().min { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }?.element
    }

    public var description: String {
        switch self {
        case let .interrupted(step, checkpoint):
            return "The run was stopped at step \(step); its progress is saved in '\(checkpoint)', and running the same command again resumes it from there."
        case let .notStarted(label):
            return "Stopped before \(label) started; running the same command again trains it."
        case let .stoppedWhileWaiting(lock):
            return "Stopped while waiting for another process that trains the same run (lock '\(lock)'); that process goes on, and running the same command again reads its record once it is done."
        }
    }
}

/// Executes a ``RunSpec``: loads the data, chooses the probe sets, trains,
/// measures layer alignments on the schedule, checkpoints, and writes the
/// ``RunRecord`` to the cache. Knows nothing about figures.
///
/// Procedure (all randomness from `SeededGenerator(seed: spec.seed)`, see ``RunSpec``):
/// 1. If the cache holds the record, return it.
/// 2. Load the dataset (once per process), take the class-balanced training
///    subset ("subset"), choose the probe positions class-balanced by the file
///    labels ("probe": training probe, then test probe), then corrupt the
///    training labels ("label-noise"); the training probe carries the labels
///    the network is trained on.
/// 3. Initialise the network ("init") or restore the checkpoint.
/// 4. For each epoch e, shuffle 0..<n with the stream `"batches"` → `"epoch e"`
///    and take minibatches of `batchSize` in that order (the last one smaller).
///    After each step, alignments are measured when the schedule says so; at
///    each epoch end the test split is evaluated, an ``EpochEntry`` written, the
///    stopping rule checked and a checkpoint written.
/// 5. At the stop: evaluate the whole training set, save the weights if asked,
///    write the record, delete the checkpoint.
///
/// Checkpoints are also written within an epoch when `checkpointInterval`
/// seconds have passed since the last one. A run resumed from any checkpoint
/// gives the same record as an uninterrupted run (wall times aside).
/// Runners on several threads may share a cache: a specification requested
/// while another thread of this process trains it waits for that record.
/// Runners in several processes (or on several machines sharing the cache) may too: a run
/// is trained under its lock file `<hash>.lock` (``RunLock``: owner, heartbeat, stale-lock
/// take-over); a second process asking for it says whom it waits for, waits, and then reads
/// the finished record.
/// A stored record is used only when it passes ``RunCache/verifiedRecord(for:expectedData:)``:
/// intact, consistent, and trained on the dataset files the run would read now.
/// A damaged checkpoint stops the run with `FileError.corrupt` (see ``RunCache/checkpoint(for:)``).
public struct Runner {
    /// Where records and checkpoints live.
    public let cache: RunCache
    /// The `--data-dir` directory (nil: only system locations are searched).
    public let dataDirectory: URL?
    /// Receives progress reports (after every optimiser step).
    public let progress: ProgressSink?
    /// Seconds between checkpoints within an epoch (one is always written at each epoch end).
    public var checkpointInterval: TimeInterval = 300
    /// Asked after every optimiser step; when it returns true the runner writes a
    /// checkpoint and throws ``RunError/interrupted(step:checkpoint:)``. Use it for
    /// Ctrl-C handling or time limits.
    public var stopRequested: ((RunProgress) -> Bool)?
    /// Receives one-line notices for the user (e.g. that the run waits for another process);
    /// nil writes them to standard error.
    public var notice: (@Sendable (String) -> Void)?
    /// Seconds between heartbeats of the run lock while training.
    public var lockHeartbeat: TimeInterval = 10
    /// A lock whose heartbeat is older than this is stale and taken over.
    public var lockStaleAfter: TimeInterval = 120
    /// Seconds between looks at a lock held by another process.
    public var lockPollInterval: TimeInterval = 1

    public init(cache: RunCache, dataDirectory: URL?, progress: ProgressSink?) {
        self.cache = cache
        self.dataDirectory = dataDirectory
        self.progress = progress
    }

    /// The record of `spec`, from the cache or by training (resuming a checkpoint if there is one).
    /// - Throws: ``RunSpecError`` for an invalid spec, `DatasetError` when the data
    ///   are missing, `FileError` for unreadable, corrupt or unwritable cache files,
    ///   ``RunRecordError`` for a record that cannot be verified or was trained on other data,
    ///   ``RunError`` when stopped on request.
    public func run(_ spec: RunSpec) throws -> RunRecord {
        try runChecked(spec).record
    }

    /// ``run(_:)``, also saying whether the record's data were checked (a stored record used
    /// while its dataset is absent is ``DataCheck/unchecked(reason:)``).
    public func runChecked(_ spec: RunSpec) throws -> (record: RunRecord, data: DataCheck) {
        try runChecked(spec, fingerprint: { try cache.dataFingerprint(of: spec.dataset, dataDirectory: dataDirectory) },
                       loadSplit: { try DatasetMemo.shared.split(spec.dataset, dataDirectory: dataDirectory) })
    }

    /// ``run(_:)`` with the data supplied by `loadSplit` (called only when training is needed).
    func run(_ spec: RunSpec, loadSplit: () throws -> DatasetSplit) throws -> RunRecord {
        try runChecked(spec, fingerprint: { nil }, loadSplit: loadSplit).record
    }

    /// The shared path: `fingerprint` gives the fingerprint of the data the run would read (nil
    /// when absent or not from files), `loadSplit` the data themselves.
    func runChecked(_ spec: RunSpec, fingerprint: () throws -> DataFingerprint?,
                    loadSplit: () throws -> DatasetSplit) throws -> (record: RunRecord, data: DataCheck) {
        try spec.validate()
        // Two figures may ask for the same run at once: the second waits and then reads the record.
        let key = cache.directory.standardizedFileURL.path + "/" + spec.configurationHash
        RunsInProgress.shared.claim(key)
        defer { RunsInProgress.shared.release(key) }
        let expected = try fingerprint()
        var announced = false
        while true {
            if let found = try cachedRecord(spec, expected: expected) { return found }
            try AtomicFile.ensureWritableDirectory(cache.directory)
            switch try RunLock.attempt(cache.lockURL(for: spec), heartbeat: lockHeartbeat, staleAfter: lockStaleAfter) {
            case let .acquired(lock):
                defer { lock.release() }
                // Another process may have finished it between the look above and the lock.
                if let found = try cachedRecord(spec, expected: expected) { return found }
                let resume = try cache.checkpoint(for: spec)
                progress?.update(RunProgress(label: spec.label, configurationHash: spec.configurationHash, phase: .preparing,
                                             epoch: (resume?.position.completedEpochs ?? 0) + 1, epochLimit: nil,
                                             step: resume?.position.step ?? 0, stepLimit: nil,
                                             elapsedSeconds: resume?.position.elapsedSeconds ?? 0))
                let split = try loadSplit()
                let data = try RunData(spec: spec, split: split)
                var session = TrainingSession(spec: spec, data: data, runner: self, dataFingerprint: expected)
                let record = try session.run(resuming: resume)
                return (record, expected == nil ? .unchecked(reason: "the data were not read from dataset files") : .matches)
            case let .held(owner, age):
                let waiting = RunProgress(label: spec.label, configurationHash: spec.configurationHash, phase: .preparing,
                                          epoch: 0, epochLimit: nil, step: 0, stepLimit: nil, elapsedSeconds: 0)
                if !announced {
                    announced = true
                    let who = owner.map(\.description) ?? "another process"
                    say("\(spec.label) [\(spec.configurationHash)] is being trained by \(who), heartbeat \(Int(age)) s ago; "
                        + "waiting for it to finish, then its record is read (lock \(cache.lockURL(for: spec).path))")
                    progress?.update(waiting)
                }
                if let stopRequested, stopRequested(waiting) {
                    throw RunError.stoppedWhileWaiting(lock: cache.lockURL(for: spec).path)
                }
                Thread.sleep(forTimeInterval: lockPollInterval)
            }
        }
    }

    /// The verified stored record, reported as cached, or nil.
    private func cachedRecord(_ spec: RunSpec, expected: DataFingerprint?) throws -> (record: RunRecord, data: DataCheck)? {
        guard let found = try cache.verifiedRecord(for: spec, expectedData: expected) else { return nil }
        let record = found.record
        if FileManager.default.fileExists(atPath: cache.checkpointURL(for: spec).path),
           RunLock.inspect(cache.lockURL(for: spec)) == nil {
            try? cache.removeCheckpoint(for: spec)  // left over from a crash between the two writes
        }
        progress?.update(RunProgress(label: spec.label, configurationHash: record.configurationHash, phase: .cached,
                                     epoch: record.epochCount, epochLimit: nil, step: record.totalSteps, stepLimit: nil,
                                     testAccuracy: record.finalTest.accuracy, elapsedSeconds: record.wallSeconds))
        return found
    }

    private func say(_ line: String) {
        if let notice { notice(line) } else { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}

/// The samples of one run: training set (subset, labels possibly corrupted), test set, probes.
struct RunData {
    let train: Dataset
    let test: Dataset
    /// Probes (nil when the schedule measures nothing).
    let trainProbe: Dataset?
    let testProbe: Dataset?

    init(spec: RunSpec, split: DatasetSplit) throws {
        let root = SeededGenerator(seed: spec.seed)
        // Empty files are a data fault (exit 65), not an impossible request.
        for (part, partition) in [(split.train, DatasetPartition.train), (split.test, .test)] where part.count == 0 {
            throw DatasetError.tooFewSamples(dataset: spec.dataset, partition: partition, label: 0, available: 0,
                                             standard: spec.dataset.smallestStandardClass(partition))
        }
        var train = split.train
        if let perClass = spec.trainSubsetPerClass {
            var generator = root.derived("subset")
            do {
                train = try train.balancedSubset(perClass: perClass, generator: &generator)
            } catch let DatasetError.classTooSmall(label, available, requested)
                        where requested <= spec.dataset.smallestStandardClass(.train) {
                // The standard dataset has enough samples: the files read are deficient (a data fault, not a usage error).
                throw DatasetError.tooFewSamples(dataset: spec.dataset, partition: .train, label: label, available: available,
                                                 standard: spec.dataset.smallestStandardClass(.train))
            }
        }
        var probePositions: [Int]?
        var testProbe: Dataset?
        if spec.alignment.measuresAnything {
            var generator = root.derived("probe")
            switch spec.probeSelection {
            case nil:
                probePositions = try train.balancedPositions(perClass: Array(repeating: spec.probePerClass, count: train.classCount),
                                                             generator: &generator)
                testProbe = try split.test.balancedSubset(perClass: spec.probePerClass, generator: &generator)
            case let .leadingSamples(trainCount, testCount)?:
                guard trainCount <= train.count, testCount <= split.test.count else {
                    throw RunSpecError.invalidSetting(
                        "the probes ask for \(trainCount) training and \(testCount) test samples, but the run has \(train.count) and \(split.test.count)")
                }
                probePositions = Self.leadingPositions(count: trainCount, of: train.count, generator: &generator)
                testProbe = split.test.subset(positions: Array(0..<testCount))
            }
        }
        if spec.labelNoiseFraction > 0 {
            var generator = root.derived("label-noise")
            train = try train.corruptingLabels(fraction: spec.labelNoiseFraction, generator: &generator)
        }
        self.train = train
        self.test = split.test
        self.trainProbe = probePositions.map { train.subset(positions: $0) }
        self.testProbe = testProbe
    }
}

extension RunData {
    /// The first `count` entries of a Fisher–Yates shuffle of 0..<`total` (slot i swapped
    /// with a uniform slot in i..<total, drawn with `generator.nextInt(below:)`), in
    /// shuffled order: a probe taken from the first batches of a shuffled loader.
    static func leadingPositions(count: Int, of total: Int, generator: inout SeededGenerator) -> [Int] {
        var order = Array(0..<total)
        for slot in 0..<min(count, total) {
            let pick = slot + generator.nextInt(below: total - slot)
            if pick != slot { order.swapAt(slot, pick) }
        }
        return Array(order.prefix(count))
    }
}

/// The runs being trained in this process, so that one specification is
/// never trained twice at the same time (a second caller waits, then finds the record).
final class RunsInProgress: @unchecked Sendable {
    static let shared = RunsInProgress()
    private let condition = NSCondition()
    private var keys: Set<String> = []

    /// Blocks while another thread holds `key`, then holds it.
    func claim(_ key: String) {
        condition.lock()
        while keys.contains(key) { condition.wait() }
        keys.insert(key)
        condition.unlock()
    }

    /// Releases `key` and wakes the waiting threads.
    func release(_ key: String) {
        condition.lock()
        keys.remove(key)
        condition.broadcast()
        condition.unlock()
    }
}

/// Datasets loaded in this process, so that many runs read each file once.
final class DatasetMemo: @unchecked Sendable {
    static let shared = DatasetMemo()
    private let lock = NSLock()
    private var splits: [String: DatasetSplit] = [:]

    /// The standardised split of `name`, loaded on first use (loads are serialised).
    func split(_ name: DatasetName, dataDirectory: URL?) throws -> DatasetSplit {
        lock.lock()
        defer { lock.unlock() }
        let key = name.rawValue + "|" + (dataDirectory?.standardizedFileURL.path ?? "")
        if let split = splits[key] { return split }
        let split = try DatasetLoader.load(name, dataDirectory: dataDirectory)
        splits[key] = split
        return split
    }
}

/// One process's share of a run: the training loop between a start (or
/// checkpoint) and the stop (or an interruption).
struct TrainingSession {
    let spec: RunSpec
    let data: RunData
    let runner: Runner
    let dataFingerprint: DataFingerprint?
    let stepsPerEpoch: Int
    let logSpacedSteps: Set<Int>
    var trainer: Trainer
    var position = RunCheckpoint.Position.start
    private let clockStart = ProcessInfo.processInfo.systemUptime
    private var elapsedBefore = 0.0
    private var lastCheckpoint: Double
    private var lastTestAccuracy: Double?
    private var sessionSteps = 0

    init(spec: RunSpec, data: RunData, runner: Runner, dataFingerprint: DataFingerprint? = nil) {
        self.spec = spec
        self.data = data
        self.runner = runner
        self.dataFingerprint = dataFingerprint
        stepsPerEpoch = (data.train.count + spec.batchSize - 1) / spec.batchSize
        logSpacedSteps = Set(spec.alignment.logSpacedSteps(stepsPerEpoch: stepsPerEpoch))
        var generator = SeededGenerator(seed: spec.seed).derived("init")
        trainer = Trainer(spec: spec, generator: &generator)
        lastCheckpoint = clockStart
    }

    var elapsed: Double { elapsedBefore + ProcessInfo.processInfo.systemUptime - clockStart }

    mutating func run(resuming checkpoint: RunCheckpoint?) throws -> RunRecord {
        if let checkpoint {
            do {
                try trainer.restoreState(checkpoint.trainerState)
            } catch {
                throw FileError.corrupt(path: runner.cache.checkpointURL(for: spec).path,
                                        reason: "its trainer state cannot be restored (\(error)); delete it to restart this run from the beginning")
            }
            position = checkpoint.position
            elapsedBefore = position.elapsedSeconds
            lastTestAccuracy = position.epochs.last?.testAccuracy
        }
        guard stepsPerEpoch > 0 else {
            throw RunSpecError.invalidSetting("the training set is empty")
        }
        if position.step == 0 && position.alignments.isEmpty && spec.alignment.atInitialisation {
            measure()
        }
        var stopReason: StopReason?
        training: while true {
            var order = Array(0..<data.train.count)
            var shuffler = SeededGenerator(seed: spec.seed).derived("batches").derived("epoch \(position.completedEpochs)")
            shuffler.shuffle(&order)
            while true {
                let first = position.batchesInEpoch * spec.batchSize
                let rows = Array(order[first..<min(order.count, first + spec.batchSize)])
                let result = trainer.step(features: data.train.featureRows(rows), labels: rows.map { data.train.labels[$0] })
                position.step += 1
                position.batchesInEpoch += 1
                position.epochLossSum += result.meanLoss * Double(result.count)
                position.epochCorrect += result.correct
                position.epochSeen += result.count
                if case let .runningLossBelow(_, _, smoothing, _, _) = spec.stopping {
                    position.runningLoss = position.runningLoss.map { smoothing * $0 + (1 - smoothing) * result.meanLoss } ?? result.meanLoss
                }
                sessionSteps += 1

                let isEpochEnd = position.batchesInEpoch == stepsPerEpoch
                var milestoneReached = false
                if isEpochEnd {
                    let entry = closeEpoch()
                    milestoneReached = recordMilestones()
                    stopReason = epochEndStop(entry)
                } else if case let .steps(limit) = spec.stopping, position.step >= limit {
                    _ = closeEpoch()
                    stopReason = .stepCap
                }
                let listedEpoch = isEpochEnd && spec.alignment.atEpochs?.contains(position.completedEpochs) == true
                if logSpacedSteps.contains(position.step) || (isEpochEnd && spec.alignment.everyEpoch) || listedEpoch
                    || (stopReason != nil && spec.alignment.atStop) || (milestoneReached && spec.alignment.atMilestones == true) {
                    measure()
                }
                let report = progressReport(phase: .training)
                runner.progress?.update(report)
                if stopReason != nil { break training }

                var checkpointed = false
                if isEpochEnd || ProcessInfo.processInfo.systemUptime - lastCheckpoint >= runner.checkpointInterval {
                    try writeCheckpoint()
                    checkpointed = true
                }
                if let stopRequested = runner.stopRequested, stopRequested(report) {
                    if !checkpointed { try writeCheckpoint() }
                    throw RunError.interrupted(step: position.step, checkpoint: runner.cache.checkpointURL(for: spec).path)
                }
                if isEpochEnd { continue training }
            }
        }
        return try finish(stopReason: stopReason ?? .epochCap)
    }

    /// Evaluates the test split, appends the epoch's entry and resets the epoch sums.
    private mutating func closeEpoch() -> EpochEntry {
        report(phase: .measuring)
        let test = trainer.evaluate(features: data.test.features, labels: data.test.labels, batchSize: 1000)
        let seen = Double(max(1, position.epochSeen))
        let entry = EpochEntry(epoch: position.completedEpochs + 1, step: position.step, batches: position.batchesInEpoch,
                               trainLoss: position.epochLossSum / seen, trainAccuracy: Double(position.epochCorrect) / seen,
                               testLoss: test.loss, testAccuracy: test.accuracy, wallSeconds: elapsed,
                               runningTrainLoss: position.runningLoss)
        position.epochs.append(entry)
        lastTestAccuracy = test.accuracy
        if position.batchesInEpoch == stepsPerEpoch {
            position.completedEpochs += 1
            position.batchesInEpoch = 0
        }
        position.epochLossSum = 0
        position.epochCorrect = 0
        position.epochSeen = 0
        return entry
    }

    /// The running-loss readings of the last `count` epoch ends, or nil while fewer exist.
    private func lastRunningReadings(_ count: Int) -> [Double]? {
        let readings = position.epochs.suffix(count).compactMap(\.runningTrainLoss)
        return readings.count == count ? readings : nil
    }

    /// Appends the milestones first crossed at this epoch end; true when there was one.
    private mutating func recordMilestones() -> Bool {
        guard case let .runningLossBelow(_, _, _, consecutive, _) = spec.stopping,
              let readings = lastRunningReadings(consecutive) else { return false }
        var crossed = false
        for threshold in spec.stopping.milestoneThresholds
        where readings.allSatisfy({ $0 < threshold }) && !(position.milestones ?? []).contains(where: { $0.threshold == threshold }) {
            position.milestones = (position.milestones ?? []) + [RunMilestone(threshold: threshold, epoch: position.completedEpochs, step: position.step)]
            crossed = true
        }
        return crossed
    }

    /// The stopping rule's verdict at the end of an epoch.
    private func epochEndStop(_ entry: EpochEntry) -> StopReason? {
        if !entry.trainLoss.isFinite { return .diverged }
        switch spec.stopping {
        case let .epochs(count):
            return position.completedEpochs >= count ? .epochCap : nil
        case let .trainLossBelow(threshold, maxEpochs):
            if entry.trainLoss < threshold { return .thresholdReached }
            return position.completedEpochs >= maxEpochs ? .epochCap : nil
        case let .steps(count):
            return position.step >= count ? .stepCap : nil
        case let .runningLossBelow(_, finalThreshold, _, _, maxEpochs):
            if position.milestones?.contains(where: { $0.threshold == finalThreshold }) == true { return .thresholdReached }
            return position.completedEpochs >= maxEpochs ? .epochCap : nil
        }
    }

    /// Measures A_l on both probes at the current step (at most once per step).
    private mutating func measure() {
        guard let trainProbe = data.trainProbe, let testProbe = data.testProbe,
              position.alignments.last?.step != position.step || position.alignments.isEmpty else { return }
        report(phase: .measuring)
        // The run's centring first, then the two conventions in use (Eq. 6's full centring and the
        // per-output centring of nngeometry-based code) from the same kernel pass: nearly free.
        let centrings = [spec.alignment.centring] + [Centring.full, .perOutput].filter { $0 != spec.alignment.centring }
        let network = trainer.network
        let train = LayerAlignment.statistics(network: network, probeFeatures: trainProbe.features, probeLabels: trainProbe.labels,
                                              centrings: centrings).map { $0.map(\.alignment) }
        let test = LayerAlignment.statistics(network: network, probeFeatures: testProbe.features, probeLabels: testProbe.labels,
                                             centrings: centrings).map { $0.map(\.alignment) }
        let snapshot = AlignmentSnapshot(
            step: position.step, epoch: Double(position.step) / Double(stepsPerEpoch),
            trainProbe: train[0], testProbe: test[0],
            otherCentrings: (1..<centrings.count).map { CentredAlignments(centring: centrings[$0], trainProbe: train[$0], testProbe: test[$0]) })
        position.alignments.append(snapshot)
    }

    private mutating func writeCheckpoint() throws {
        position.elapsedSeconds = elapsed
        try runner.cache.store(RunCheckpoint(spec: spec, position: position, trainerState: trainer.serializedState()))
        lastCheckpoint = ProcessInfo.processInfo.systemUptime
    }

    private func progressReport(phase: RunProgress.Phase) -> RunProgress {
        let inEpoch = position.epochSeen > 0
        let last = position.epochs.last
        let seen = Double(max(1, position.epochSeen))
        return RunProgress(
            label: spec.label, configurationHash: spec.configurationHash, phase: phase,
            epoch: position.completedEpochs + (inEpoch ? 1 : 0),
            epochLimit: spec.stopping.epochLimit(stepsPerEpoch: stepsPerEpoch), step: position.step,
            stepLimit: spec.stopping.stepLimit(stepsPerEpoch: stepsPerEpoch),
            trainLoss: inEpoch ? position.epochLossSum / seen : last?.trainLoss,
            trainAccuracy: inEpoch ? Double(position.epochCorrect) / seen : last?.trainAccuracy,
            testAccuracy: lastTestAccuracy, elapsedSeconds: elapsed, sessionSteps: sessionSteps,
            sessionSeconds: ProcessInfo.processInfo.systemUptime - clockStart)
    }

    private func report(phase: RunProgress.Phase) {
        runner.progress?.update(progressReport(phase: phase))
    }

    private mutating func finish(stopReason: StopReason) throws -> RunRecord {
        report(phase: .measuring)
        let finalTrain = trainer.evaluate(features: data.train.features, labels: data.train.labels, batchSize: 1000)
        let last = position.epochs.last
        let finalTest = last.map { Evaluation(loss: $0.testLoss, accuracy: $0.testAccuracy) }
            ?? trainer.evaluate(features: data.test.features, labels: data.test.labels, batchSize: 1000)
        var weightsFile: String?
        if spec.saveFinalWeights {
            weightsFile = try runner.cache.storeWeights(trainer.network.serialized(), for: spec)
        }
        let record = RunRecord(spec: spec, trainingSampleCount: data.train.count, stepsPerEpoch: stepsPerEpoch,
                               epochs: position.epochs, alignments: position.alignments, stopReason: stopReason,
                               totalSteps: position.step, finalTrain: finalTrain, finalTest: finalTest,
                               wallSeconds: elapsed, machine: RunRecord.describeMachine(), finalWeightsFile: weightsFile,
                               milestones: position.milestones, dataFingerprint: dataFingerprint)
        var measured = record
        measured.spectra = spectraAtStop()
        try runner.cache.store(measured)
        try runner.cache.removeCheckpoint(for: spec)
        var done = progressReport(phase: .finished)
        done.epoch = record.epochCount
        done.trainLoss = last?.trainLoss
        runner.progress?.update(done)
        return measured
    }

    /// Appendix G's spectra of the final network on the training probe, when the spec asks for them
    /// (nil for a network whose kernels are not finite).
    private func spectraAtStop() -> SpectraSnapshot? {
        guard let schedule = spec.spectra, let probe = data.trainProbe else { return nil }
        guard let layers = try? LayerSpectra.measure(network: trainer.network, probeFeatures: probe.features, probeLabels: probe.labels,
                                                     centring: spec.alignment.centring, top: schedule.top) else { return nil }
        return SpectraSnapshot(step: position.step, probe: "train", dimension: probe.count * spec.architecture.outputDimension,
                               method: KernelSpectrum.method, layers: layers)
    }
}
