import Foundation
import XCTest
@testable import Core

/// The faults of issue 11 at the level of the cache, the runner and the data readers: each test
/// names the fault it covers and fails on the code before the fix.
final class IntegrityTests: XCTestCase {
    private var fixtures: DataFixtures!
    private var cacheDirectory: URL!

    override func setUpWithError() throws {
        fixtures = try DataFixtures()
        cacheDirectory = fixtures.root.appendingPathComponent("cache", isDirectory: true)
    }

    override func tearDownWithError() throws {
        fixtures?.remove()
    }

    /// A synthetic Fashion-MNIST in `<root>/<name>/fashion-mnist`: 3 training and 1 test image per class.
    private func syntheticFashionMNIST(_ name: String, salt: UInt8 = 0) throws -> URL {
        let root = try fixtures.directory(name)
        let directory = try fixtures.directory(name + "/fashion-mnist")
        try fixtures.writeIDXSet(in: directory, trainLabels: (0..<30).map { UInt8($0 % 10) }, testLabels: (0..<10).map { UInt8($0) },
                                 gzipped: true)
        return root
    }

    private static func spec(seed: UInt64 = 5) -> RunSpec {
        RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 2, probePerClass: 1,
                architecture: RunSpec.architecture(for: .fashionMNIST, width: 4, depth: 2),
                optimizer: .sgd(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4), batchSize: 10,
                stopping: .steps(3), alignment: AlignmentSchedule(logSpacedStepsPerDecade: 2, logSpacedUntilEpoch: 1), seed: seed)
    }

    /// A consistent record of `spec` (20 samples in batches of 10: 2 steps per epoch).
    private static func record(_ spec: RunSpec, accuracy: Double = 0.25) -> RunRecord {
        RunRecord(spec: spec, trainingSampleCount: 20, stepsPerEpoch: 2,
                  epochs: [EpochEntry(epoch: 1, step: 2, batches: 2, trainLoss: 2.2, trainAccuracy: 0.2, testLoss: 2.1,
                                      testAccuracy: accuracy, wallSeconds: 1),
                           EpochEntry(epoch: 2, step: 3, batches: 1, trainLoss: 2.1, trainAccuracy: 0.3, testLoss: 2.0,
                                      testAccuracy: accuracy, wallSeconds: 2)],
                  alignments: [AlignmentSnapshot(step: 0, epoch: 0, trainProbe: [0.1, 0.2], testProbe: [0.1, 0.3])],
                  stopReason: .stepCap, totalSteps: 3, finalTrain: Evaluation(loss: 2.1, accuracy: 0.3),
                  finalTest: Evaluation(loss: 2.0, accuracy: accuracy), wallSeconds: 2, machine: "test", finalWeightsFile: nil)
    }

    private func editStoredRecord(_ cache: RunCache, _ spec: RunSpec, _ edit: (inout [String: Any]) -> Void) throws {
        let url = cache.recordURL(for: spec)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    // MARK: Fault 3: a corrupt run record is read as valid

    /// Fault 3: an edited accuracy (0.25 → 0.95), an accuracy of 1.7 and an empty epoch list are
    /// reported as corrupt, naming the file and how to recover; a record without a checksum
    /// (older version) is refused with the migration command.
    func testFault3EditedOrImpossibleRecordsAreCorrupt() throws {
        let cache = RunCache(directory: cacheDirectory)
        let spec = Self.spec()
        try cache.store(Self.record(spec))
        XCTAssertNotNil(try cache.record(for: spec), "an intact record is read")
        let path = cache.recordURL(for: spec).path
        func assertCorrupt(_ what: String, _ reasonPart: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try cache.record(for: spec), what, file: file, line: line) { error in
                guard case let FileError.corrupt(errorPath, reason) = error else { return XCTFail("\(what): got \(error)", file: file, line: line) }
                XCTAssertEqual(errorPath, path, file: file, line: line)
                XCTAssertTrue(reason.contains(reasonPart), "\(what): \(reason)", file: file, line: line)
                XCTAssertTrue(reason.contains("delete it to rerun the run"), reason, file: file, line: line)
            }
        }
        try editStoredRecord(cache, spec) { json in
            var test = json["finalTest"] as! [String: Any]
            test["accuracy"] = 0.95
            json["finalTest"] = test
        }
        assertCorrupt("edited accuracy", "checksum does not match")

        var impossible = Self.record(spec, accuracy: 1.7)
        impossible.checksum = try impossible.computedChecksum()  // even with a matching checksum
        try AtomicFile.write(try RunCache.jsonEncoder(pretty: true).encode(impossible), to: cache.recordURL(for: spec))
        assertCorrupt("accuracy 1.7", "outside [0, 1]")

        try cache.store(Self.record(spec))
        try editStoredRecord(cache, spec) { $0["epochs"] = [Any]() }
        assertCorrupt("empty epochs", "list of epochs is empty")

        try cache.store(Self.record(spec))
        try editStoredRecord(cache, spec) { $0["alignments"] = [Any]() }
        assertCorrupt("empty alignments", "alignment measurements is empty")

        var outOfRange = Self.record(spec)
        outOfRange.alignments[0].trainProbe[1] = 1.5
        try cache.store(outOfRange)
        assertCorrupt("A_l = 1.5", "outside [0, 1]")

        try cache.store(Self.record(spec))
        try editStoredRecord(cache, spec) { $0.removeValue(forKey: "checksum") }
        XCTAssertThrowsError(try cache.record(for: spec)) { error in
            guard case let RunRecordError.unverified(errorPath, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(errorPath, path)
            XCTAssertTrue("\(error)".contains("reproduce migrate-records --cache \(cacheDirectory.path)"), "\(error)")
        }
    }

    /// Fault 3 (recovery): the migration adds checksum and fingerprint to a record without them,
    /// without retraining; it is idempotent, and it refuses a record that fails a check.
    func testFault3MigrationUpgradesLegacyRecordsIdempotently() throws {
        let data = try syntheticFashionMNIST("data")
        let cache = RunCache(directory: cacheDirectory)
        let spec = Self.spec(), broken = Self.spec(seed: 6)
        try AtomicFile.write(try RunCache.jsonEncoder(pretty: true).encode(Self.record(spec)), to: cache.recordURL(for: spec))
        try AtomicFile.write(try RunCache.jsonEncoder(pretty: true).encode(Self.record(broken, accuracy: 1.7)), to: cache.recordURL(for: broken))
        XCTAssertThrowsError(try cache.record(for: spec))

        let first = try RunRecordMigration.migrate(cache, dataDirectory: data)
        XCTAssertEqual(first.first { $0.file == spec.configurationHash + ".json" }?.outcome, .migrated)
        guard case let .failed(reason)? = first.first(where: { $0.file == broken.configurationHash + ".json" })?.outcome else {
            return XCTFail("the impossible record must fail: \(first)")
        }
        XCTAssertTrue(reason.contains("outside [0, 1]"), reason)
        let migrated = try XCTUnwrap(try cache.record(for: spec))
        XCTAssertEqual(migrated.finalTest, Self.record(spec).finalTest, "nothing but checksum and fingerprint changes")
        XCTAssertEqual(migrated.dataFingerprint?.files.map(\.name),
                       ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
        let bytes = try Data(contentsOf: cache.recordURL(for: spec))
        let second = try RunRecordMigration.migrate(cache, dataDirectory: data)
        XCTAssertEqual(second.first { $0.file == spec.configurationHash + ".json" }?.outcome, .alreadyVerified)
        XCTAssertEqual(try Data(contentsOf: cache.recordURL(for: spec)), bytes, "a second migration changes nothing")
        guard case let .found(_, check) = try verified(cache, spec, data) else { return XCTFail() }
        XCTAssertEqual(check, .matches)
    }

    private enum Lookup { case absent, found(RunRecord, DataCheck) }
    private func verified(_ cache: RunCache, _ spec: RunSpec, _ data: URL?) throws -> Lookup {
        let expected = try cache.dataFingerprint(of: spec.dataset, dataDirectory: data)
        guard let (record, check) = try cache.verifiedRecord(for: spec, expectedData: expected) else { return .absent }
        return .found(record, check)
    }

    // MARK: Fault 4: the cache key ignores the data

    /// Fault 4: a record trained on one copy of the data is not used for another copy with
    /// inverted pixels (same size, same run hash): it is reported as stale, naming the record,
    /// the file that differs and what to do.
    func testFault4RecordOfOtherDataIsStale() throws {
        let data = try syntheticFashionMNIST("data")
        let runner = Runner(cache: RunCache(directory: cacheDirectory), dataDirectory: data, progress: nil)
        let spec = Self.spec()
        let trained = try runner.run(spec)
        XCTAssertEqual(trained.dataFingerprint?.files.count, 4)
        XCTAssertEqual(try runner.runChecked(spec).data, .matches)

        // Invert the training images: same length, same spec, same hash.
        let images = data.appendingPathComponent("fashion-mnist/train-images-idx3-ubyte.gz")
        let pixels = DataFixtures.pixels(count: 30).map { 255 - $0 }
        try DataFixtures.write(DataFixtures.idxImages(count: 30, pixels: pixels), to: images)
        XCTAssertThrowsError(try runner.run(spec)) { error in
            guard case let RunRecordError.stale(path, differences) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(path, runner.cache.recordURL(for: spec).path)
            XCTAssertEqual(differences.count, 1, "\(differences)")
            XCTAssertTrue(differences[0].contains("train-images-idx3-ubyte"), "\(differences)")
            XCTAssertTrue("\(error)".contains("delete the record to retrain"), "\(error)")
        }
    }

    /// Fault 4: the fingerprint reads the decompressed bytes (a gzipped and a raw copy agree) and
    /// is memoised in the cache directory by path, size and modification time.
    func testFault4FingerprintIgnoresCompressionAndIsMemoised() throws {
        let gz = try syntheticFashionMNIST("gz")
        let raw = try fixtures.directory("raw/fashion-mnist")
        try fixtures.writeIDXSet(in: raw, trainLabels: (0..<30).map { UInt8($0 % 10) }, testLabels: (0..<10).map { UInt8($0) }, gzipped: false)
        try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        let cache = RunCache(directory: cacheDirectory)
        let fromGzip = try XCTUnwrap(try cache.dataFingerprint(of: .fashionMNIST, dataDirectory: gz))
        let fromRaw = try XCTUnwrap(try cache.dataFingerprint(of: .fashionMNIST, dataDirectory: raw.deletingLastPathComponent()))
        XCTAssertEqual(fromGzip, fromRaw)
        XCTAssertEqual(fromGzip.files[0].bytes, 16 + 30 * 784)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cacheDirectory.appendingPathComponent(".data-fingerprints").path))
        // The hash is FNV-1a over 64-bit words: check it against a direct computation.
        let bytes: [UInt8] = Array(0..<19)
        var expected = StableHash.offsetBasis
        for word in 0..<2 {
            var value: UInt64 = 0
            for byte in 0..<8 { value |= UInt64(bytes[word * 8 + byte]) << UInt64(8 * byte) }
            expected = (expected ^ value) &* StableHash.prime
        }
        for byte in bytes[16...] { expected = (expected ^ UInt64(byte)) &* StableHash.prime }
        expected = (expected ^ 19) &* StableHash.prime
        XCTAssertEqual(bytes.withUnsafeBufferPointer { DataFingerprint.contentHash($0) }, expected)
        XCTAssertNotEqual([UInt8](repeating: 0, count: 8).withUnsafeBufferPointer { DataFingerprint.contentHash($0) },
                          [UInt8](repeating: 0, count: 9).withUnsafeBufferPointer { DataFingerprint.contentHash($0) })
    }

    // MARK: Fault 5: --data-dir with part of a dataset is silently ignored

    /// Fault 5: a --data-dir holding two of the four Fashion-MNIST files is an error naming the
    /// two missing files, not a silent fallback to the system copy.
    func testFault5IncompleteDataDirectoryIsAnErrorNamingTheMissingFiles() throws {
        let directory = try fixtures.directory("partial/fashion-mnist")
        try fixtures.writeIDXSet(in: directory, trainLabels: [1, 2], testLabels: [3], gzipped: true)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try FileManager.default.removeItem(at: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let root = directory.deletingLastPathComponent()
        XCTAssertThrowsError(try DatasetLoader.load(.fashionMNIST, dataDirectory: root)) { error in
            guard case let DatasetError.incomplete(dataset, path, missing) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(dataset, .fashionMNIST)
            XCTAssertEqual(path, directory.path)
            XCTAssertEqual(missing, ["t10k-images-idx3-ubyte[.gz]", "t10k-labels-idx1-ubyte[.gz]"])
            XCTAssertTrue("\(error)".contains("add the missing files there"), "\(error)")
        }
        XCTAssertFalse(DatasetLoader.availability(of: .fashionMNIST, dataDirectory: root).isPresent)
        XCTAssertNotNil(DatasetLocator.partialCopyError(of: .fashionMNIST, dataDirectory: root))
        XCTAssertNil(DatasetLocator.partialCopyError(of: .mnist, dataDirectory: root), "a wholly absent dataset is not an error here")
    }

    // MARK: Fault 6: a CIFAR batch short by whole records is accepted

    /// Fault 6: a CIFAR-10 batch of 9,999 records (a whole number of records, one short) and a
    /// CIFAR-100 train.bin of one record are rejected, naming the file and the expected count.
    func testFault6CIFARFilesMustHoldTheStandardRecordCount() throws {
        let cifar10 = try fixtures.directory("c10/cifar-10-batches-bin")
        try Data(count: 9_999 * 3073).write(to: cifar10.appendingPathComponent("data_batch_1.bin"))
        for name in ["data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"] {
            try Data(count: 3073).write(to: cifar10.appendingPathComponent(name))
        }
        XCTAssertThrowsError(try DatasetLoader.load(.cifar10, dataDirectory: cifar10.deletingLastPathComponent(), standardise: false)) { error in
            guard case let DatasetError.corrupt(path, reason) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(path, cifar10.appendingPathComponent("data_batch_1.bin").path)
            XCTAssertTrue(reason.contains("it holds 9999 records") && reason.contains("exactly 10000"), reason)
        }
        let cifar100 = try fixtures.directory("c100/cifar-100-binary")
        try Data(count: 3074).write(to: cifar100.appendingPathComponent("train.bin"))
        try Data(count: 3074).write(to: cifar100.appendingPathComponent("test.bin"))
        XCTAssertThrowsError(try DatasetLoader.load(.cifar100, dataDirectory: cifar100.deletingLastPathComponent(), standardise: false)) { error in
            XCTAssertTrue("\(error)".contains("train.bin: it holds 1 records") && "\(error)".contains("exactly 50000"), "\(error)")
        }
    }

    // MARK: Fault 8: two identical trainings on one cache both train

    private func writeLock(_ url: URL, host: String, pid: Int32, age: TimeInterval = 0) throws {
        let owner = RunLockOwner(host: host, pid: pid, started: "2026-01-01T00:00:00Z", token: "other")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try JSONEncoder().encode(owner).write(to: url)
        if age > 0 {
            let past = Date().timeIntervalSince1970 - age
            var times = [timeval(tv_sec: Int(past), tv_usec: 0), timeval(tv_sec: Int(past), tv_usec: 0)]
            XCTAssertEqual(utimes(url.path, &times), 0)
        }
    }

    private struct WouldTrain: Error {}

    /// Fault 8: while another live process holds the run's lock, the runner says whom it waits
    /// for, waits, and then reads the record that process wrote, without training.
    func testFault8SecondTrainingWaitsForTheLockHolderAndReadsItsRecord() throws {
        let cache = RunCache(directory: cacheDirectory)
        let spec = Self.spec()
        let lock = cache.lockURL(for: spec)
        try writeLock(lock, host: RunLock.hostName, pid: 1)  // pid 1 is alive: the lock is held
        var runner = Runner(cache: cache, dataDirectory: nil, progress: nil)
        runner.lockPollInterval = 0.05
        let notices = NoticeBox()
        runner.notice = { notices.add($0) }
        let finisher = Thread {
            Thread.sleep(forTimeInterval: 0.5)
            try? cache.store(Self.record(spec))
            unlink(lock.path)
        }
        finisher.start()
        var trained = false
        let (record, _) = try runner.runChecked(spec, fingerprint: { nil }, loadSplit: { trained = true; throw WouldTrain() })
        XCTAssertFalse(trained, "the waiting runner must not train")
        XCTAssertEqual(record.finalTest, Self.record(spec).finalTest)
        XCTAssertEqual(notices.lines.count, 1, "\(notices.lines)")
        XCTAssertTrue(notices.lines[0].contains("is being trained by process 1 on \(RunLock.hostName)"), notices.lines[0])
        XCTAssertTrue(notices.lines[0].contains(lock.path), notices.lines[0])
    }

    /// Fault 8: a lock of a dead process on this host, or with a heartbeat older than the limit,
    /// is taken over; while training, the lock names this process and is removed afterwards.
    func testFault8StaleLocksAreTakenOverAndReleased() throws {
        let cache = RunCache(directory: cacheDirectory)
        let spec = Self.spec()
        let lock = cache.lockURL(for: spec)
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        var runner = Runner(cache: cache, dataDirectory: nil, progress: nil)
        runner.lockPollInterval = 0.05
        runner.lockStaleAfter = 60
        for (host, pid, age) in [(RunLock.hostName, finished.processIdentifier, 0.0), ("some-other-host", Int32(1), 3600.0)] {
            try writeLock(lock, host: host, pid: pid, age: age)
            var heldBy: RunLockOwner?
            XCTAssertThrowsError(try runner.runChecked(spec, fingerprint: { nil }, loadSplit: {
                heldBy = RunLock.inspect(lock)?.owner
                throw WouldTrain()
            })) { XCTAssertTrue($0 is WouldTrain, "\($0)") }
            XCTAssertEqual(heldBy?.pid, getpid(), "the runner took the lock over (\(host))")
            XCTAssertFalse(FileManager.default.fileExists(atPath: lock.path), "released after the run")
        }
        // A fresh lock of another host is respected (not stale), and a stop request ends the wait.
        try writeLock(lock, host: "some-other-host", pid: 1)
        runner.stopRequested = { _ in true }
        XCTAssertThrowsError(try runner.runChecked(spec, fingerprint: { nil }, loadSplit: { throw WouldTrain() })) { error in
            XCTAssertEqual(error as? RunError, .stoppedWhileWaiting(lock: lock.path))
        }
    }

    /// Minor (a data fault reported with usage code 64): a standard-sized request that the files
    /// cannot satisfy is a data fault (`tooFewSamples`), not a usage error.
    func testTooFewSamplesInTheFilesIsADataFault() throws {
        let data = try syntheticFashionMNIST("data")
        var spec = Self.spec()
        spec.trainSubsetPerClass = 4  // the files hold 3 per class; the standard dataset 6000
        spec.probePerClass = 1
        let runner = Runner(cache: RunCache(directory: cacheDirectory), dataDirectory: data, progress: nil)
        XCTAssertThrowsError(try runner.run(spec)) { error in
            guard case DatasetError.tooFewSamples(.fashionMNIST, .train, 0, 3, 6000) = error else { return XCTFail("got \(error)") }
        }
    }
}

/// Thread-safe collection of notice lines.
private final class NoticeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}
