import Foundation

/// What a run's data were: for each dataset file read, its standard name, its length and a
/// content hash of the bytes as read (after gzip decompression, so a gzipped and a raw copy of
/// the same file agree).
///
/// A ``RunRecord`` carries the fingerprint of the data it was trained on; reading a record checks
/// it against the data the current run would read (``RunCache/verifiedRecord(for:expectedData:)``),
/// so a cache filled from other data (a repaired, replaced or altered dataset) never answers for
/// the current one. It is not part of ``RunSpec/configurationHash``, which names the run.
public struct DataFingerprint: Codable, Sendable, Equatable {
    /// One file.
    public struct File: Codable, Sendable, Equatable {
        /// The standard file name, without `.gz` (e.g. "train-images-idx3-ubyte", "data_batch_1.bin").
        public var name: String
        /// Bytes as read (decompressed).
        public var bytes: Int
        /// ``DataFingerprint/contentHash(_:)`` of those bytes, 16 hex digits.
        public var contentHash: String
    }

    /// The files in reading order (training part, then test part).
    public var files: [File]

    public init(files: [File]) {
        self.files = files
    }

    /// What differs from `other` (the fingerprint of the data now read), one phrase per file; empty when equal.
    public func differences(from current: DataFingerprint) -> [String] {
        var phrases: [String] = []
        for file in files {
            guard let now = current.files.first(where: { $0.name == file.name }) else {
                phrases.append("\(file.name) is not read any more")
                continue
            }
            if now.bytes != file.bytes {
                phrases.append("\(file.name) had \(file.bytes) bytes and now has \(now.bytes)")
            } else if now.contentHash != file.contentHash {
                phrases.append("\(file.name) has the same length but different content (hash \(file.contentHash) in the record, \(now.contentHash) now)")
            }
        }
        for file in current.files where !files.contains(where: { $0.name == file.name }) {
            phrases.append("\(file.name) is read now but was not then")
        }
        return phrases
    }

    /// A fast 64-bit content hash: FNV-1a over the little-endian 64-bit words of the bytes
    /// (h ← (h XOR w) · 0x100000001b3 mod 2⁶⁴ per word, from the FNV offset basis), then over the
    /// remaining bytes one by one, then over the length. Not cryptographic: it detects changed
    /// data, not an adversary.
    public static func contentHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash = StableHash.offsetBasis
        let words = bytes.count / 8
        if let base = bytes.baseAddress, words > 0 {
            let raw = UnsafeRawPointer(base)
            for index in 0..<words {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
                hash = (hash ^ word) &* StableHash.prime
            }
        }
        for index in (words * 8)..<bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* StableHash.prime
        }
        return (hash ^ UInt64(bytes.count)) &* StableHash.prime
    }

    /// The fingerprint of the files `name` would be read from, or nil when the dataset is not
    /// (completely) on this machine. Each file is hashed once per (path, length, modification
    /// time): results are kept in memory and, when `memoDirectory` is given, in its
    /// `.data-fingerprints` (best effort; a read-only directory is fine).
    /// - Throws: `DatasetError` when a file cannot be read or decompressed.
    public static func of(_ name: DatasetName, dataDirectory: URL?, memoDirectory: URL?) throws -> DataFingerprint? {
        guard case let .success(files) = DatasetLocator.locate(name, dataDirectory: dataDirectory) else { return nil }
        let required = DatasetLocator.requiredFiles(for: name)
        let names = (required.train + required.test).map(\.baseName)
        let urls = files.train + files.test
        return DataFingerprint(files: try zip(names, urls).map { name, url in
            try FingerprintMemo.shared.fingerprint(of: url, name: name, memoDirectory: memoDirectory)
        })
    }
}

/// Fingerprints of data files already computed, keyed by path, on-disk length and modification time.
final class FingerprintMemo: @unchecked Sendable {
    static let shared = FingerprintMemo()
    static let fileName = ".data-fingerprints"
    private let lock = NSLock()
    private var known: [String: DataFingerprint.File] = [:]

    private struct Entry: Codable {
        var key: String
        var file: DataFingerprint.File
    }

    func fingerprint(of url: URL, name: String, memoDirectory: URL?) throws -> DataFingerprint.File {
        lock.lock()
        defer { lock.unlock() }
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let key = "\(url.standardizedFileURL.path)|\(size)|\(modified)"
        if let file = known[key], file.name == name { return file }
        let memoURL = memoDirectory?.appendingPathComponent(Self.fileName)
        var stored: [Entry] = []
        if let memoURL, let data = try? Data(contentsOf: memoURL), let entries = try? JSONDecoder().decode([Entry].self, from: data) {
            stored = entries
            for entry in entries where known[entry.key] == nil { known[entry.key] = entry.file }
            if let file = known[key], file.name == name { return file }
        }
        let bytes = try FileBytes.read(url)
        let file = DataFingerprint.File(name: name, bytes: bytes.count,
                                        contentHash: StableHash.hexDigits(DataFingerprint.contentHash(bytes.buffer)))
        known[key] = file
        if let memoURL, size >= 0 {
            stored.removeAll { $0.key.hasPrefix(url.standardizedFileURL.path + "|") }
            stored.append(Entry(key: key, file: file))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            if let data = try? encoder.encode(stored.sorted { $0.key < $1.key }),
               FileManager.default.isWritableFile(atPath: memoURL.deletingLastPathComponent().path) {
                try? AtomicFile.write(data, to: memoURL)
            }
        }
        return file
    }
}
