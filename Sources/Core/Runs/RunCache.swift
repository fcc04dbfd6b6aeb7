import Foundation

/// The directory of finished run records and unfinished runs' checkpoints,
/// keyed by ``RunSpec/configurationHash``:
///
/// - `<hash>.json`: the ``RunRecord`` of a finished run (pretty-printed JSON, keys sorted);
/// - `<hash>.checkpoint`: the state of an unfinished run (see ``RunCheckpoint``),
///   rewritten every epoch and removed once the record is written;
/// - `<hash>.weights`: the final weights (`DenseNetwork.serialized()`), when the spec asks for them;
/// - `<hash>.lock`: present while a process trains the run (``RunLock``);
/// - `.data-fingerprints`: a memo of dataset file fingerprints (``DataFingerprint``).
///
/// Every file is written atomically (``AtomicFile``), so a run killed at any
/// moment leaves either the previous or the new version of each file.
public struct RunCache: Sendable {
    /// The cache directory (created on first write).
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Where the record of `spec` lives.
    public func recordURL(for spec: RunSpec) -> URL {
        directory.appendingPathComponent(spec.configurationHash + ".json")
    }

    /// Where the checkpoint of an unfinished run of `spec` lives.
    public func checkpointURL(for spec: RunSpec) -> URL {
        directory.appendingPathComponent(spec.configurationHash + ".checkpoint")
    }

    /// The lock file of a run being trained (see ``RunLock``).
    public func lockURL(for spec: RunSpec) -> URL {
        directory.appendingPathComponent(spec.configurationHash + ".lock")
    }

    /// Where the final weights of `spec` live, when saved.
    public func weightsURL(for spec: RunSpec) -> URL {
        directory.appendingPathComponent(spec.configurationHash + ".weights")
    }

    /// The finished record of `spec`, or nil when there is none.
    ///
    /// A record written by another format version is treated as absent (it
    /// will be recomputed and overwritten). Every other record is checked before it is
    /// returned: it must decode, belong to `spec`, be consistent (``RunRecord/inconsistency(for:)``:
    /// accuracies and A_l in [0, 1], non-empty lists, step counts) and carry a checksum that
    /// matches its contents. Its data are not checked here (see ``verifiedRecord(for:expectedData:)``).
    /// - Throws: `FileError.corrupt` naming the file, what is wrong and how to recover when it
    ///   fails a check; ``RunRecordError/unverified(path:cache:)`` when it has no checksum
    ///   (written by an older version: `reproduce migrate-records`);
    ///   `FileError.unreadable` when it cannot be read.
    public func record(for spec: RunSpec) throws -> RunRecord? {
        let url = recordURL(for: spec)
        guard let data = try Self.contentsIfPresent(url) else { return nil }
        guard let record = try Self.decodeRecord(data, path: url.path) else { return nil }
        if let problem = record.inconsistency(for: spec) {
            throw FileError.corrupt(path: url.path, reason: problem + "; " + Self.recovery)
        }
        guard let checksum = record.checksum else {
            throw RunRecordError.unverified(path: url.path, cache: directory.path)
        }
        guard checksum == (try? record.computedChecksum()) else {
            throw FileError.corrupt(path: url.path, reason: "its checksum does not match its contents (the file was edited or damaged); " + Self.recovery)
        }
        return record
    }

    /// ``record(for:)``, with the record's data checked against `expectedData`, the fingerprint
    /// of the dataset files the run would read now (nil when they are not on this machine).
    /// - Returns: nil when there is no record; otherwise the record and ``DataCheck/matches``, or
    ///   ``DataCheck/unchecked(reason:)`` when the data are absent or the record has no fingerprint.
    /// - Throws: as ``record(for:)``, and ``RunRecordError/stale(path:differences:)`` when the
    ///   record was trained on other data.
    public func verifiedRecord(for spec: RunSpec, expectedData: DataFingerprint?) throws -> (record: RunRecord, data: DataCheck)? {
        guard let record = try record(for: spec) else { return nil }
        guard let expectedData else {
            return (record, .unchecked(reason: "\(spec.dataset.displayName) is not on this machine, so the record's data could not be checked"))
        }
        guard let stored = record.dataFingerprint else {
            return (record, .unchecked(reason: "the record carries no data fingerprint"))
        }
        let differences = stored.differences(from: expectedData)
        guard differences.isEmpty else {
            throw RunRecordError.stale(path: recordURL(for: spec).path, differences: differences)
        }
        return (record, .matches)
    }

    /// The fingerprint of the files `dataset` would be read from (nil when absent), memoised in this cache directory.
    public func dataFingerprint(of dataset: DatasetName, dataDirectory: URL?) throws -> DataFingerprint? {
        try DataFingerprint.of(dataset, dataDirectory: dataDirectory, memoDirectory: directory)
    }

    static let recovery = "delete it to rerun the run, or restore an intact copy (e.g. 'git checkout' for the committed runs/)"

    /// Decodes a record file; nil when it is of another format version.
    static func decodeRecord(_ data: Data, path: String) throws -> RunRecord? {
        struct VersionProbe: Decodable { var formatVersion: Int? }
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw FileError.corrupt(path: path, reason: "it is not valid JSON; " + recovery)
        }
        guard let probe = try? jsonDecoder().decode(VersionProbe.self, from: data) else {
            throw FileError.corrupt(path: path, reason: "it is JSON of the wrong shape: expected an object with formatVersion, spec, epochs, "
                                    + "alignments and the other fields of a run record; " + recovery)
        }
        guard probe.formatVersion == RunRecord.currentFormatVersion else { return nil }
        do {
            return try jsonDecoder().decode(RunRecord.self, from: data)
        } catch {
            throw FileError.corrupt(path: path, reason: "it is not a valid run record (\(JSONDecodingText.describe(error))); " + recovery)
        }
    }

    /// Writes a finished record atomically, with its checksum.
    public func store(_ record: RunRecord) throws {
        let data: Data
        do {
            var stamped = record
            stamped.checksum = try record.computedChecksum()
            data = try Self.jsonEncoder(pretty: true).encode(stamped)
        } catch {
            throw FileError.writeFailed(path: recordURL(for: record.spec).path, reason: "the record cannot be encoded (\(error))")
        }
        try AtomicFile.write(data, to: recordURL(for: record.spec))
    }

    /// Every record in the directory that passes the checks of ``record(for:)``, sorted by
    /// configuration hash (files of other format versions, unreadable, corrupt and unverified
    /// files are skipped).
    public func allRecords() -> [RunRecord] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().compactMap { name in
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)),
                  let record = try? Self.decodeRecord(data, path: name),
                  (try? self.record(for: record.spec)) != nil else { return nil }
            return record
        }
    }

    /// The checkpoint of an unfinished run of `spec`, or nil when there is none.
    ///
    /// A damaged checkpoint is not silently discarded (that would throw away
    /// hours of training without telling anyone, or hide a bug): it is reported.
    /// - Throws: `FileError.corrupt` naming the file and telling the user to
    ///   delete it to restart the run from the beginning.
    func checkpoint(for spec: RunSpec) throws -> RunCheckpoint? {
        let url = checkpointURL(for: spec)
        guard let data = try Self.contentsIfPresent(url) else { return nil }
        do {
            return try RunCheckpoint(serialized: data, expecting: spec, path: url.path)
        } catch let FileError.corrupt(path, reason) {
            throw FileError.corrupt(path: path, reason: reason + "; delete it to restart this run from the beginning")
        }
    }

    /// Writes a checkpoint atomically.
    func store(_ checkpoint: RunCheckpoint) throws {
        try AtomicFile.write(try checkpoint.serialized(), to: checkpointURL(for: checkpoint.spec))
    }

    /// Removes the checkpoint of `spec`, if any.
    func removeCheckpoint(for spec: RunSpec) throws {
        let url = checkpointURL(for: spec)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw FileError.writeFailed(path: url.path, reason: "the finished run's checkpoint cannot be removed (\(SystemErrorText.describe(error, path: url.path)))")
        }
    }

    /// Writes the final weights of `spec` atomically and returns the file name.
    func storeWeights(_ data: Data, for spec: RunSpec) throws -> String {
        let url = weightsURL(for: spec)
        try AtomicFile.write(data, to: url)
        return url.lastPathComponent
    }

    /// The JSON encoder for records and checkpoint headers: sorted keys, and
    /// non-finite numbers (a diverged loss) as the strings "nan", "inf", "-inf".
    static func jsonEncoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// The matching decoder.
    static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// The file's bytes, or nil when it does not exist.
    /// - Throws: `FileError.unreadable` when it exists but cannot be read.
    private static func contentsIfPresent(_ url: URL) throws -> Data? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw FileError.unreadable(path: url.path, reason: SystemErrorText.describe(error, path: url.path))
        }
    }
}
