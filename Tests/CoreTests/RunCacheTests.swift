import XCTest
@testable import Core

/// Run specifications, records, the cache directory and checkpoint files.
final class RunCacheTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("RunCacheTests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static func smallSpec(seed: UInt64 = 7) -> RunSpec {
        RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 20, probePerClass: 5,
                architecture: RunSpec.architecture(for: .fashionMNIST, width: 16, depth: 3),
                optimizer: .sgd(learningRate: 0.003, momentum: 0.9, weightDecay: 5e-4), batchSize: 32,
                stopping: .epochs(3), alignment: AlignmentSchedule(logSpacedStepsPerDecade: 5, logSpacedUntilEpoch: 1),
                seed: seed)
    }

    private func record(for spec: RunSpec) -> RunRecord {
        RunRecord(spec: spec, trainingSampleCount: 200, stepsPerEpoch: 7,
                  epochs: [EpochEntry(epoch: 1, step: 7, batches: 7, trainLoss: 2.1, trainAccuracy: 0.2,
                                      testLoss: 2.0, testAccuracy: 0.25, wallSeconds: 1.5)],
                  alignments: [AlignmentSnapshot(step: 0, epoch: 0, trainProbe: [0.1, 0.2, 0.3], testProbe: [0.1, 0.2, 0.3])],
                  stopReason: .epochCap, totalSteps: 7, finalTrain: Evaluation(loss: 2.1, accuracy: 0.2),
                  finalTest: Evaluation(loss: 2.0, accuracy: 0.25), wallSeconds: 1.5, machine: "test", finalWeightsFile: nil)
    }

    // MARK: Specifications

    func testConfigurationHashIsSixteenHexDigitsAndFollowsEveryField() {
        let base = Self.smallSpec()
        XCTAssertEqual(base.configurationHash.count, 16)
        XCTAssertTrue(base.configurationHash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        XCTAssertEqual(base.configurationHash, Self.smallSpec().configurationHash)
        var variants: [RunSpec] = []
        var spec = base; spec.seed = 8; variants.append(spec)
        spec = base; spec.trainSubsetPerClass = nil; variants.append(spec)
        spec = base; spec.probePerClass = 6; variants.append(spec)
        spec = base; spec.architecture.hasBias = false; variants.append(spec)
        spec = base; spec.optimizer = .sgd(learningRate: 0.004, momentum: 0.9, weightDecay: 5e-4); variants.append(spec)
        spec = base; spec.loss = .meanSquaredError; variants.append(spec)
        spec = base; spec.batchSize = 33; variants.append(spec)
        spec = base; spec.stopping = .steps(3); variants.append(spec)
        spec = base; spec.alignment.centring = .perOutput; variants.append(spec)
        spec = base; spec.labelNoiseFraction = 0.2; variants.append(spec)
        spec = base; spec.saveFinalWeights = true; variants.append(spec)
        spec = base; spec.spectra = SpectraSchedule(top: 200); variants.append(spec)
        spec = base; spec.spectra = SpectraSchedule(top: 10); variants.append(spec)
        let hashes = Set(variants.map(\.configurationHash) + [base.configurationHash])
        XCTAssertEqual(hashes.count, variants.count + 1, "every field must change the hash")
    }

    func testConfigurationHashIsTheFNVOfTheCanonicalJSON() throws {
        // Pins the cache-key scheme: a change here silently orphans every cached run.
        let spec = Self.smallSpec()
        let json = try CanonicalJSON.string(for: spec)
        XCTAssertTrue(json.hasPrefix(#"{"alignment":{"atInitialisation":true,"atStop":true,"centring":"full","#), json)
        XCTAssertTrue(json.contains(#""learningRate":0.003"#), json)
        XCTAssertTrue(json.contains(#""seed":7"#), json)
        XCTAssertFalse(json.contains(" "), json)
        XCTAssertEqual(spec.configurationHash, StableHash.hexDigits(StableHash.fnv1a64(json)))
    }

    func testLogSpacedScheduleMatchesHandComputedSteps() {
        let schedule = AlignmentSchedule(logSpacedStepsPerDecade: 5, logSpacedUntilEpoch: 1)
        // round(10^(i/5)): 1, 1.58, 2.51, 3.98, 6.31, 10, 15.8, 25.1, 39.8, 63.1, 100.
        XCTAssertEqual(schedule.logSpacedSteps(stepsPerEpoch: 100), [1, 2, 3, 4, 6, 10, 16, 25, 40, 63, 100])
        // 20 per decade: the early values repeat and are deduplicated.
        let dense = AlignmentSchedule(logSpacedStepsPerDecade: 20, logSpacedUntilEpoch: 0.5)
        XCTAssertEqual(dense.logSpacedSteps(stepsPerEpoch: 10), [1, 2, 3, 4, 5])
        XCTAssertEqual(AlignmentSchedule.endpoints.logSpacedSteps(stepsPerEpoch: 100), [])
        XCTAssertFalse(AlignmentSchedule.never.measuresAnything)
    }

    func testStoppingRuleLimits() {
        XCTAssertEqual(StoppingRule.epochs(3).stepLimit(stepsPerEpoch: 7), 21)
        XCTAssertEqual(StoppingRule.steps(15).epochLimit(stepsPerEpoch: 7), 3)
        XCTAssertEqual(StoppingRule.steps(15).stepLimit(stepsPerEpoch: 7), 15)
        XCTAssertEqual(StoppingRule.trainLossBelow(threshold: 0.1, maxEpochs: 500).epochLimit(stepsPerEpoch: 7), 500)
    }

    func testValidationRejectsImpossibleSpecifications() throws {
        XCTAssertNoThrow(try Self.smallSpec().validate())
        var spec = Self.smallSpec()
        spec.architecture.inputDimension = 100
        XCTAssertThrowsError(try spec.validate()) { XCTAssertTrue("\($0)".contains("784")) }
        spec = Self.smallSpec(); spec.probePerClass = 21
        XCTAssertThrowsError(try spec.validate())
        spec = Self.smallSpec(); spec.batchSize = 0
        XCTAssertThrowsError(try spec.validate())
        spec = Self.smallSpec(); spec.labelNoiseFraction = 1.5
        XCTAssertThrowsError(try spec.validate())
        spec = Self.smallSpec(); spec.stopping = .trainLossBelow(threshold: -1, maxEpochs: 5)
        XCTAssertThrowsError(try spec.validate())
        spec = Self.smallSpec(); spec.stopping = .steps(0)
        XCTAssertThrowsError(try spec.validate())
        spec = Self.smallSpec(); spec.optimizer = .sgd(learningRate: .nan, momentum: 0, weightDecay: 0)
        XCTAssertThrowsError(try spec.validate())
    }

    // MARK: Records

    func testRecordRoundTripsThroughTheCacheIncludingNaN() throws {
        let cache = RunCache(directory: directory)
        let spec = Self.smallSpec()
        XCTAssertNil(try cache.record(for: spec))
        var diverged = record(for: spec)  // a diverged run's loss is NaN (A_l never is: the engine gives 0 when undefined)
        diverged.epochs[0].trainLoss = .nan
        diverged.stopReason = .diverged
        try cache.store(diverged)
        let loaded = try XCTUnwrap(try cache.record(for: spec))
        XCTAssertEqual(loaded.epochs.count, 1)
        XCTAssertEqual(loaded.epochs[0].testAccuracy, 0.25)
        XCTAssertTrue(loaded.epochs[0].trainLoss.isNaN, "a diverged run's loss")
        XCTAssertEqual(loaded.alignments, record(for: spec).alignments)
        XCTAssertEqual(loaded.configurationHash, spec.configurationHash)
        XCTAssertNil(try cache.record(for: Self.smallSpec(seed: 99)))
        XCTAssertEqual(cache.allRecords().count, 1)
    }

    func testCorruptRecordRaisesCorruptNamingThePath() throws {
        let cache = RunCache(directory: directory)
        let spec = Self.smallSpec()
        try AtomicFile.write("{\"formatVersion\": 1, \"spec\": ", to: cache.recordURL(for: spec))
        XCTAssertThrowsError(try cache.record(for: spec)) { error in
            guard case let FileError.corrupt(path, _) = error else { return XCTFail("expected corrupt, got \(error)") }
            XCTAssertEqual(path, cache.recordURL(for: spec).path)
        }
        // A valid record stored under another spec's name is corrupt too.
        let other = Self.smallSpec(seed: 8)
        try AtomicFile.write(try RunCache.jsonEncoder(pretty: true).encode(record(for: other)), to: cache.recordURL(for: spec))
        XCTAssertThrowsError(try cache.record(for: spec)) { error in
            guard case FileError.corrupt = error else { return XCTFail("expected corrupt, got \(error)") }
        }
    }

    func testRecordOfAnotherFormatVersionIsTreatedAsAbsent() throws {
        let cache = RunCache(directory: directory)
        let spec = Self.smallSpec()
        var old = record(for: spec)
        old.formatVersion = 0
        try AtomicFile.write(try RunCache.jsonEncoder(pretty: true).encode(old), to: cache.recordURL(for: spec))
        XCTAssertNil(try cache.record(for: spec))
    }

    func testDeterministicPartBlanksOnlyTimesAndMachine() throws {
        let spec = Self.smallSpec()
        var other = record(for: spec)
        other.wallSeconds = 99
        other.machine = "elsewhere"
        other.epochs[0].wallSeconds = 42
        XCTAssertEqual(try CanonicalJSON.string(for: other.deterministicPart),
                       try CanonicalJSON.string(for: record(for: spec).deterministicPart))
        other.epochs[0].testLoss = 2.0000000000000004
        XCTAssertNotEqual(try CanonicalJSON.string(for: other.deterministicPart),
                          try CanonicalJSON.string(for: record(for: spec).deterministicPart))
    }

    // MARK: Checkpoints

    private func checkpoint(for spec: RunSpec) -> RunCheckpoint {
        var position = RunCheckpoint.Position.start
        position.step = 9
        position.completedEpochs = 1
        position.batchesInEpoch = 2
        position.epochLossSum = 0.1 + 0.2  // not exactly representable in short decimal: must survive bit for bit
        position.epochs = record(for: spec).epochs
        return RunCheckpoint(spec: spec, position: position, trainerState: Data((0..<1000).map { UInt8($0 % 251) }))
    }

    func testCheckpointRoundTripsExactly() throws {
        let cache = RunCache(directory: directory)
        let spec = Self.smallSpec()
        XCTAssertNil(try cache.checkpoint(for: spec))
        try cache.store(checkpoint(for: spec))
        let loaded = try XCTUnwrap(try cache.checkpoint(for: spec))
        XCTAssertEqual(loaded.position, checkpoint(for: spec).position)
        XCTAssertEqual(loaded.position.epochLossSum.bitPattern, (0.1 + 0.2).bitPattern)
        XCTAssertEqual(loaded.trainerState, checkpoint(for: spec).trainerState)
        try cache.removeCheckpoint(for: spec)
        XCTAssertNil(try cache.checkpoint(for: spec))
        XCTAssertNoThrow(try cache.removeCheckpoint(for: spec), "removing an absent checkpoint is fine")
    }

    func testDamagedCheckpointIsReportedWithPathAndRemedy() throws {
        let cache = RunCache(directory: directory)
        let spec = Self.smallSpec()
        let bytes = try checkpoint(for: spec).serialized()
        let url = cache.checkpointURL(for: spec)
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        let damaged: [(String, Data)] = [
            ("bit flip", flipped),
            ("truncated", bytes.prefix(bytes.count - 100)),
            ("empty", Data()),
            ("not a checkpoint", Data("hello world, this is not a checkpoint file".utf8)),
        ]
        for (name, data) in damaged {
            try AtomicFile.write(data, to: url)
            XCTAssertThrowsError(try cache.checkpoint(for: spec), name) { error in
                guard case let FileError.corrupt(path, reason) = error else { return XCTFail("\(name): got \(error)") }
                XCTAssertEqual(path, url.path, name)
                XCTAssertTrue(reason.contains("delete it"), name)
            }
        }
        // An intact checkpoint of another spec, under this spec's name.
        try AtomicFile.write(try checkpoint(for: Self.smallSpec(seed: 8)).serialized(), to: url)
        XCTAssertThrowsError(try cache.checkpoint(for: spec))
    }

    /// The machine line of a record names the processor and kernel as `uname` does (an empty or
    /// garbled field — e.g. a wrong reading of the NUL-terminated `utsname` arrays — fails here).
    func testMachineDescriptionNamesArchitectureSystemCoresAndBLASCore() {
        let description = RunRecord.describeMachine()
        #if arch(x86_64) && os(Linux)
        XCTAssertTrue(description.hasPrefix("x86_64 Linux, "), description)
        #endif
        XCTAssertTrue(description.contains(", \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS "), description)
        XCTAssertFalse(description.contains("\u{0}"), description)
    }
}
