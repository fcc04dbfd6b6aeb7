import XCTest
@testable import Core

/// End-to-end runs on a tiny Fashion-MNIST subset: determinism, resume, stopping rules, schedule.
final class RunnerTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("RunnerTests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// 200 training samples, batch 32 → 7 steps per epoch (the last batch holds 8).
    private func spec(stopping: StoppingRule = .epochs(3)) -> RunSpec {
        RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 20, probePerClass: 5,
                architecture: RunSpec.architecture(for: .fashionMNIST, width: 16, depth: 3),
                optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4), batchSize: 32,
                stopping: stopping,
                alignment: AlignmentSchedule(logSpacedStepsPerDecade: 5, logSpacedUntilEpoch: 1, everyEpoch: true),
                seed: 11)
    }

    private func runner(_ name: String, progress: ProgressSink? = nil) -> Runner {
        Runner(cache: RunCache(directory: directory.appendingPathComponent(name)), dataDirectory: nil, progress: progress)
    }

    /// Fashion-MNIST with its test split cut to 50 per class, to keep the per-epoch evaluation fast in debug builds.
    static let smallSplit: Result<DatasetSplit, Error> = Result {
        var split = try DatasetMemo.shared.split(.fashionMNIST, dataDirectory: nil)
        var generator = SeededGenerator(seed: 3)
        split.test = try split.test.balancedSubset(perClass: 50, generator: &generator)
        return split
    }

    private func run(_ runner: Runner, _ spec: RunSpec) throws -> RunRecord {
        try runner.run(spec) { try Self.smallSplit.get() }
    }

    private func numbers(_ record: RunRecord) throws -> String {
        try CanonicalJSON.string(for: record.deterministicPart)
    }

    private final class Recorder: ProgressSink {
        var reports: [RunProgress] = []
        func update(_ progress: RunProgress) { reports.append(progress) }
    }

    func testRecordFollowsTheScheduleAndStoppingRule() throws {
        let recorder = Recorder()
        let record = try run(runner("plain", progress: recorder), spec())
        XCTAssertEqual(record.stepsPerEpoch, 7)
        XCTAssertEqual(record.trainingSampleCount, 200)
        XCTAssertEqual(record.totalSteps, 21)
        XCTAssertEqual(record.stopReason, .epochCap)
        XCTAssertEqual(record.epochs.map(\.epoch), [1, 2, 3])
        XCTAssertEqual(record.epochs.map(\.step), [7, 14, 21])
        // Initialisation, log-spaced 1, 2, 3, 4, 6 (10 > 7 steps), every epoch end 7, 14, 21 (the stop, measured once).
        XCTAssertEqual(record.alignments.map(\.step), [0, 1, 2, 3, 4, 6, 7, 14, 21])
        XCTAssertEqual(record.alignments[6].epoch, 1)
        XCTAssertTrue(record.alignments.allSatisfy { $0.trainProbe.count == 3 && $0.testProbe.count == 3 })
        // The step-0 snapshot is A_l of the initial network (the "init" stream) on the two probes
        // (the "probe" stream), computed here directly. Catches: a first measurement taken after
        // the first step, the train probe measured on the test split (or the reverse), a probe
        // drawn from another stream. (|A_l| ≤ 1, which this replaces, holds for any A_l.)
        let data = try RunData(spec: spec(), split: try Self.smallSplit.get())
        var initGenerator = SeededGenerator(seed: spec().seed).derived("init")
        let initial = DenseNetwork<Float>(architecture: spec().architecture, generator: &initGenerator)
        let trainProbe = try XCTUnwrap(data.trainProbe), testProbe = try XCTUnwrap(data.testProbe)
        XCTAssertEqual(trainProbe.count, 50)
        XCTAssertEqual(Set(trainProbe.sourceIndices).isSubset(of: Set(data.train.sourceIndices)), true, "the train probe comes from the subset")
        let expectedTrain = LayerAlignment.alignments(network: initial, probeFeatures: trainProbe.features, probeLabels: trainProbe.labels, centring: .full)
        let expectedTest = LayerAlignment.alignments(network: initial, probeFeatures: testProbe.features, probeLabels: testProbe.labels, centring: .full)
        XCTAssertEqual(record.alignments[0].trainProbe, expectedTrain)
        XCTAssertEqual(record.alignments[0].testProbe, expectedTest)
        XCTAssertNotEqual(record.alignments[1].trainProbe, expectedTrain, "the next snapshot is after a step")
        XCTAssertEqual(record.finalTest.accuracy, record.epochs[2].testAccuracy)
        XCTAssertFalse(FileManager.default.fileExists(atPath: RunCache(directory: directory.appendingPathComponent("plain"))
            .checkpointURL(for: spec()).path), "the checkpoint is removed once the record is written")
        XCTAssertEqual(recorder.reports.last?.phase, .finished)
        XCTAssertEqual(recorder.reports.filter { $0.phase == .training }.map(\.step), Array(1...21))

        // The same spec again: the cached record, no training.
        let again = Recorder()
        let cached = try runner("plain", progress: again).run(spec())  // the public entry point; no data needed
        XCTAssertEqual(try numbers(cached), try numbers(record))
        XCTAssertEqual(again.reports.map(\.phase), [.cached])
    }

    /// An independent re-implementation of the first epoch and of the step-0 alignment.
    func testFirstEpochAndInitialAlignmentMatchAHandWrittenLoop() throws {
        let spec = spec()
        let record = try run(runner("manual"), spec)
        let split = try Self.smallSplit.get()
        let root = SeededGenerator(seed: spec.seed)
        var subsetGenerator = root.derived("subset")
        let train = try split.train.balancedSubset(perClass: 20, generator: &subsetGenerator)
        var probeGenerator = root.derived("probe")
        let trainProbe = train.subset(positions: try train.balancedPositions(perClass: Array(repeating: 5, count: 10),
                                                                             generator: &probeGenerator))
        var initGenerator = root.derived("init")
        let network = DenseNetwork<Float>(architecture: spec.architecture, generator: &initGenerator)
        XCTAssertEqual(record.alignments[0].trainProbe,
                       LayerAlignment.alignments(network: network, probeFeatures: trainProbe.features,
                                                 probeLabels: trainProbe.labels, centring: .full))
        // The per-output centring is kept beside the run's own, from the same kernels.
        XCTAssertEqual(record.alignments[0].otherCentrings?.map(\.centring), [.perOutput])
        let expected = LayerAlignment.alignments(network: network, probeFeatures: trainProbe.features,
                                                 probeLabels: trainProbe.labels, centring: .perOutput)
        let kept = try XCTUnwrap(record.alignments[0].trainProbe(centring: .perOutput, own: .full))
        XCTAssertLessThan(EngineFixtures.relativeError(kept, expected), 1e-12)
        XCTAssertNil(record.alignments[0].trainProbe(centring: .none, own: .full), "not kept")
        var trainer = Trainer(network: network, optimizer: spec.optimizer, loss: spec.loss)
        var order = Array(0..<200)
        var shuffler = root.derived("batches").derived("epoch 0")
        shuffler.shuffle(&order)
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: 200, by: 32) {
            let rows = Array(order[start..<min(200, start + 32)])
            let result = trainer.step(features: train.featureRows(rows), labels: rows.map { train.labels[$0] })
            lossSum += result.meanLoss * Double(rows.count)
            correct += result.correct
        }
        XCTAssertEqual(record.epochs[0].trainLoss, lossSum / 200)
        XCTAssertEqual(record.epochs[0].trainAccuracy, Double(correct) / 200)
        let test = trainer.evaluate(features: split.test.features, labels: split.test.labels)
        XCTAssertEqual(record.epochs[0].testLoss, test.loss)
        XCTAssertEqual(record.epochs[0].testAccuracy, test.accuracy)
    }

    func testInterruptedAndResumedRunsGiveTheSameRecord() throws {
        let straight = try run(runner("straight"), spec())
        // Interrupt mid-epoch (step 10, epoch 2), at an epoch end (step 14), and twice in a row.
        for stops in [[10], [14], [3, 17]] {
            let name = "resumed-\(stops.map(String.init).joined(separator: "-"))"
            for stop in stops {
                var interrupted = runner(name)
                interrupted.stopRequested = { $0.step == stop }
                XCTAssertThrowsError(try run(interrupted, spec())) { error in
                    XCTAssertEqual(error as? RunError, .interrupted(step: stop, checkpoint: interrupted.cache.checkpointURL(for: self.spec()).path))
                }
                XCTAssertTrue(FileManager.default.fileExists(atPath: interrupted.cache.checkpointURL(for: spec()).path))
                XCTAssertNil(try interrupted.cache.record(for: spec()))
            }
            let resumed = try run(runner(name), spec())
            XCTAssertEqual(try numbers(resumed), try numbers(straight), "resumed after steps \(stops)")
        }
    }

    func testStepCapStopsMidEpochWithAFinalEvaluation() throws {
        let record = try run(runner("steps"), spec(stopping: .steps(10)))
        XCTAssertEqual(record.stopReason, .stepCap)
        XCTAssertEqual(record.totalSteps, 10)
        XCTAssertEqual(record.epochs.map(\.batches), [7, 3])
        XCTAssertEqual(record.epochs.last?.epoch, 2)
        XCTAssertEqual(record.alignments.last?.step, 10)
        XCTAssertEqual(record.alignments.last?.epoch ?? 0, 10.0 / 7.0, accuracy: 1e-12)
        XCTAssertEqual(record.finalTest.loss, record.epochs[1].testLoss)
    }

    func testTrainLossThresholdAndEpochCap() throws {
        let easy = try run(runner("easy"), spec(stopping: .trainLossBelow(threshold: 100, maxEpochs: 5)))
        XCTAssertEqual(easy.stopReason, .thresholdReached)
        XCTAssertEqual(easy.epochs.count, 1)
        let hard = try run(runner("hard"), spec(stopping: .trainLossBelow(threshold: 1e-9, maxEpochs: 2)))
        XCTAssertEqual(hard.stopReason, .epochCap)
        XCTAssertEqual(hard.epochs.count, 2)
        // A threshold between the first and second epoch's mean loss: the rule must stop at the
        // end of epoch 2, the first epoch below it. Catches: testing the previous epoch's loss,
        // stopping one epoch late, or comparing another loss than the epoch's mean minibatch loss.
        // (trainLoss ≥ 1e-9, which this replaces, holds for any run.)
        let losses = hard.epochs.map(\.trainLoss)
        XCTAssertLessThan(losses[1], losses[0], "the tiny run learns between epochs 1 and 2")
        let between = try run(runner("between"), spec(stopping: .trainLossBelow(threshold: (losses[0] + losses[1]) / 2, maxEpochs: 5)))
        XCTAssertEqual(between.stopReason, .thresholdReached)
        XCTAssertEqual(between.epochs.map(\.trainLoss), losses, "same trajectory, stopped at epoch 2")
    }

    func testDivergenceStopsTheRun() throws {
        var exploding = spec(stopping: .epochs(5))
        exploding.optimizer = .sgd(learningRate: 1e3, momentum: 0.9, weightDecay: 0)
        exploding.loss = .meanSquaredError  // unbounded gradients: the weights overflow to inf, the loss to NaN
        exploding.alignment = .never
        let record = try run(runner("diverged"), exploding)
        XCTAssertEqual(record.stopReason, .diverged)
        XCTAssertLessThan(record.epochs.count, 5)
        // The record with a NaN loss survives the cache round trip.
        XCTAssertEqual(try run(runner("diverged"), exploding).stopReason, .diverged)
    }

    func testSavedWeightsReproduceTheFinalTestEvaluation() throws {
        var saving = spec(stopping: .epochs(1))
        saving.saveFinalWeights = true
        let runner = runner("weights")
        let record = try run(runner, saving)
        let file = try XCTUnwrap(record.finalWeightsFile)
        let network = try DenseNetwork<Float>(serialized: Data(contentsOf: runner.cache.directory.appendingPathComponent(file)))
        let split = try Self.smallSplit.get()
        let trainer = Trainer(network: network, optimizer: saving.optimizer, loss: saving.loss)
        XCTAssertEqual(trainer.evaluate(features: split.test.features, labels: split.test.labels), record.finalTest)
    }

    func testSpectraAtTheStopMatchTheSavedNetworkAndLeaveOtherHashesAlone() throws {
        let plain = spec(stopping: .epochs(1))
        XCTAssertFalse(try CanonicalJSON.string(for: plain).contains("spectra"), "a spec without spectra must keep its canonical JSON (and hash)")
        var measured = plain
        measured.spectra = SpectraSchedule(top: 7)
        measured.saveFinalWeights = true
        XCTAssertNotEqual(measured.configurationHash, plain.configurationHash)
        let runner = runner("spectra")
        let record = try run(runner, measured)
        let spectra = try XCTUnwrap(record.spectra)
        XCTAssertEqual(spectra.layers.count, 3)
        XCTAssertEqual(spectra.dimension, 50 * 10)
        XCTAssertEqual(spectra.layers.map { $0.normalisedEigenvalues.count }, [7, 7, 7])
        XCTAssertLessThan(spectra.maxIdentityRelativeError, 1e-8)
        // The engine's float32 A_l of the stop snapshot agrees to float rounding with the float64 one.
        let final = try XCTUnwrap(record.finalAlignment)
        for (layer, a) in zip(spectra.layers, final.trainProbe) { XCTAssertEqual(layer.engineAlignment, a, accuracy: 1e-4 * abs(a) + 1e-7) }
        // Recomputed from the saved weights and the run's own probe.
        let network = try DenseNetwork<Float>(serialized: Data(contentsOf: runner.cache.directory.appendingPathComponent(try XCTUnwrap(record.finalWeightsFile))))
        let data = try RunData(spec: measured, split: try Self.smallSplit.get())
        let probe = try XCTUnwrap(data.trainProbe)
        let again = try LayerSpectra.measure(network: network, probeFeatures: probe.features, probeLabels: probe.labels, centring: .full, top: 7)
        XCTAssertEqual(again, spectra.layers)
        // A stored record with spectra reads back equal.
        let stored = try XCTUnwrap(try runner.cache.record(for: measured))
        XCTAssertEqual(stored.spectra, spectra)
    }

    func testLabelNoiseCorruptsExactlyTheFractionAndKeepsProbesBalanced() throws {
        var noisy = spec()
        noisy.labelNoiseFraction = 0.25
        let data = try RunData(spec: noisy, split: try DatasetMemo.shared.split(.fashionMNIST, dataDirectory: nil))
        XCTAssertEqual(data.train.corruptedPositions.count, 50)
        let probe = try XCTUnwrap(data.trainProbe)
        XCTAssertEqual(probe.count, 50)
        XCTAssertEqual(Set(probe.originalLabels.map { label in probe.originalLabels.filter { $0 == label }.count }), [5])
        XCTAssertEqual(try XCTUnwrap(data.testProbe).classCounts, Array(repeating: 5, count: 10))
    }

    func testConcurrentRequestsForOneSpecTrainItOnce() throws {
        let recorders = [Recorder(), Recorder()]
        var results = [Result<RunRecord, Error>?](repeating: nil, count: 2)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = Result { try self.run(self.runner("shared", progress: recorders[index]), self.spec(stopping: .epochs(1))) }
            lock.lock()
            results[index] = result
            lock.unlock()
        }
        let records = try results.map { try XCTUnwrap($0).get() }
        XCTAssertEqual(try numbers(records[0]), try numbers(records[1]))
        XCTAssertEqual(recorders.map { $0.reports.last?.phase }.filter { $0 == .cached }.count, 1, "exactly one caller trains")
    }

    func testDamagedCheckpointStopsTheRun() throws {
        let runner = runner("damaged")
        try AtomicFile.write(Data("garbage".utf8), to: runner.cache.checkpointURL(for: spec()))
        XCTAssertThrowsError(try run(runner, spec())) { error in
            guard case let FileError.corrupt(path, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(path, runner.cache.checkpointURL(for: self.spec()).path)
        }
    }
}
