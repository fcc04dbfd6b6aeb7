import Foundation

/// The directory of finished run records and unfinished runs' checkpoints,
/// keyed by ``RunSpec/configurationHash``:
///
/// - `<hash>.json`: the ``RunRecord`` of a finished run (pretty-printed JSON, keys sorted);
/// - `<hash>.checkpoint`: the state of an unfinished run (see ``RunCheckpoint``),
///   rewritten every epoch and removed once the record is written;
/// - `<hash>.weights`: the final weights (`DenseNetwork.serialized()`), when the spec asks for them.
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

    /// Where the final weights of `spec` live, when saved.
    public func weightsURL(for spec: RunSpec) -> URL {
        directory.appendingPathComponent(spec.configurationHash + ".weights")
    }

    /// The finished record of `spec`, or nil when there is none.
    ///
    /// A record written by another format version is treated as absent (it
    /// will be recomputed and overwritten).
    /// - Throws: `FileError.corrupt` naming the file when it cannot be decoded or
    ///   belongs to a different specification (delete it to rerun);
    ///   `FileError.unreadable` when it cannot be read.
    public func record(for spec: RunSpec) throws -> RunRecord? {
        let url = recordURL(for: spec)
        guard let data = try Self.contentsIfPresent(url) else { return nil }
        struct VersionProbe: Decodable { var formatVersion: Int? }
        guard let probe = try? Self.jsonDecoder().decode(VersionProbe.self, from: data) else {
            throw FileError.corrupt(path: url.path, reason: "it is not valid JSON; delete it to rerun the run")
        }
        guard probe.formatVersion == RunRecord.currentFormatVersion else { return nil }
        let record: RunRecord
        do {
            record = try Self.jsonDecoder().decode(RunRecord.self, from: data)
        } catch {
            throw FileError.corrupt(path: url.path, reason: "it is not a valid run record (\(error)); delete it to rerun the run")
        }
        guard record.spec == spec, record.configurationHash == spec.configurationHash else {
            throw FileError.corrupt(path: url.path,
                                    reason: "it records a different run specification than its name says; delete it to rerun the run")
        }
        guard record.epochs.allSatisfy({ $0.step <= record.totalSteps }), record.stepsPerEpoch > 0,
              record.alignments.allSatisfy({ snapshot in
                  ([snapshot.trainProbe, snapshot.testProbe] + (snapshot.otherCentrings ?? []).flatMap { [$0.trainProbe, $0.testProbe] })
                      .allSatisfy { $0.count == spec.architecture.depth }
              }) else {
            throw FileError.corrupt(path: url.path, reason: "its contents are inconsistent; delete it to rerun the run")
        }
        return record
    }

    /// Writes a finished record atomically.
    public func store(_ record: RunRecord) throws {
        let data: Data
        do {
            data = try Self.jsonEncoder(pretty: true).encode(record)
        } catch {
            throw FileError.writeFailed(path: recordURL(for: record.spec).path, reason: "the record cannot be encoded (\(error))")
        }
        try AtomicFile.write(data, to: recordURL(for: record.spec))
    }

    /// Every readable record in the directory, sorted by configuration hash
    /// (files of other format versions and unreadable files are skipped).
    public func allRecords() -> [RunRecord] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)),
                  let record = try? Self.jsonDecoder().decode(RunRecord.self, from: data),
                  record.formatVersion == RunRecord.currentFormatVersion else { return nil }
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
            throw FileError.writeFailed(path: url.path, reason: "the finished run's checkpoint cannot be removed (\((error as NSError).localizedDescription))")
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
            throw FileError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
