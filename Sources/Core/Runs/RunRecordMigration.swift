import Foundation

/// Upgrades the records of a cache written before records carried a checksum and a data
/// fingerprint, without retraining (`reproduce migrate-records`).
///
/// Each `<hash>.json` is decoded and checked as a record must be on read: its name is its
/// specification's hash and its contents are consistent (``RunRecord/inconsistency(for:)``).
/// A record without a checksum then gets the fingerprint of its dataset's files as they are now
/// (so the dataset must be present; the migration asserts that these are the data the run was
/// trained on, which the user vouches for by running it) and a checksum, and is rewritten
/// atomically. A record that already has a valid checksum is left as it is, so running the
/// migration again changes nothing (it is idempotent).
public enum RunRecordMigration {
    /// What happened to one record file.
    public enum Outcome: Equatable, Sendable {
        /// Checksum and fingerprint were added.
        case migrated
        /// It already had a valid checksum (and, when its data are present, a matching fingerprint).
        case alreadyVerified
        /// Written by another format version: left alone (it is ignored on read).
        case otherFormatVersion(Int?)
        /// It fails a check and was not changed; the reason says what to do.
        case failed(String)
    }

    /// One line of the report.
    public struct Entry: Equatable, Sendable {
        /// The record file name.
        public var file: String
        public var outcome: Outcome
    }

    /// Migrates every record of `cache`; `dataDirectory` is `--data-dir`.
    /// - Throws: `FileError.unreadable` when the directory cannot be listed.
    public static func migrate(_ cache: RunCache, dataDirectory: URL?) throws -> [Entry] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: cache.directory.path)
        } catch {
            throw FileError.unreadable(path: cache.directory.path, reason: SystemErrorText.describe(error, path: cache.directory.path))
        }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { name in
            Entry(file: name, outcome: migrate(cache.directory.appendingPathComponent(name), cache: cache, dataDirectory: dataDirectory))
        }
    }

    static func migrate(_ url: URL, cache: RunCache, dataDirectory: URL?) -> Outcome {
        let record: RunRecord
        do {
            let data = try Data(contentsOf: url)
            guard let decoded = try RunCache.decodeRecord(data, path: url.path) else {
                struct VersionProbe: Decodable { var formatVersion: Int? }
                return .otherFormatVersion((try? JSONDecoder().decode(VersionProbe.self, from: data))?.formatVersion)
            }
            record = decoded
        } catch let error as FileError {
            return .failed(error.description)
        } catch {
            return .failed("'\(url.path)' cannot be read: \(SystemErrorText.describe(error, path: url.path))")
        }
        let hash = record.spec.configurationHash
        guard url.deletingPathExtension().lastPathComponent == hash else {
            return .failed("'\(url.path)' holds the record of run \(hash), not of the run its name says; move it to \(hash).json or delete it")
        }
        if let problem = record.inconsistency(for: record.spec) {
            return .failed("'\(url.path)' is corrupt: \(problem); " + RunCache.recovery)
        }
        let current: DataFingerprint?
        do {
            current = try cache.dataFingerprint(of: record.spec.dataset, dataDirectory: dataDirectory)
        } catch {
            return .failed("the \(record.spec.dataset.displayName) files cannot be fingerprinted for '\(url.path)': \(error)")
        }
        if let stored = record.dataFingerprint, let current {
            let differences = stored.differences(from: current)
            if !differences.isEmpty { return .failed(RunRecordError.stale(path: url.path, differences: differences).description) }
        }
        if let checksum = record.checksum {
            guard checksum == (try? record.computedChecksum()) else {
                return .failed("'\(url.path)' is corrupt: its checksum does not match its contents (the file was edited or damaged); " + RunCache.recovery)
            }
            return .alreadyVerified
        }
        guard let fingerprint = record.dataFingerprint ?? current else {
            return .failed("'\(url.path)' needs its dataset to be fingerprinted, but \(record.spec.dataset.displayName) is "
                           + "\(DatasetLocator.availability(of: record.spec.dataset, dataDirectory: dataDirectory)); pass --data-dir with its files")
        }
        var upgraded = record
        upgraded.dataFingerprint = fingerprint
        do {
            try cache.store(upgraded)
        } catch {
            return .failed("'\(url.path)' cannot be rewritten: \(error)")
        }
        return .migrated
    }
}
