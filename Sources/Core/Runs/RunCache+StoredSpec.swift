import Foundation

extension RunCache {
    /// The specification stored under `hash`: from its finished record `<hash>.json`, else from
    /// its checkpoint `<hash>.checkpoint` (the header), else nil. The spec must hash to `hash`.
    /// Only the specification is read; the record and checkpoint are checked in full when used.
    /// - Throws: `FileError.corrupt` naming the file when it holds no readable spec of that hash.
    public func storedSpec(hash: String) throws -> RunSpec? {
        let recordURL = directory.appendingPathComponent(hash + ".json")
        if let data = try? Data(contentsOf: recordURL) {
            struct SpecProbe: Decodable { var spec: RunSpec }
            guard let probe = try? Self.jsonDecoder().decode(SpecProbe.self, from: data) else {
                throw FileError.corrupt(path: recordURL.path, reason: "it holds no readable run specification; " + Self.recovery)
            }
            return try checked(probe.spec, hash: hash, path: recordURL.path)
        }
        let checkpointURL = directory.appendingPathComponent(hash + ".checkpoint")
        guard let data = try? Data(contentsOf: checkpointURL) else { return nil }
        let bytes = [UInt8](data)
        let start = RunCheckpoint.magic.count + 8
        func corrupt(_ reason: String) -> FileError {
            .corrupt(path: checkpointURL.path, reason: reason + "; delete it to restart this run from the beginning")
        }
        guard bytes.count > start, Array(bytes[0..<RunCheckpoint.magic.count]) == RunCheckpoint.magic else {
            throw corrupt("it is not a run checkpoint of this program's format (bad header)")
        }
        var length: UInt64 = 0
        for index in 0..<8 { length |= UInt64(bytes[RunCheckpoint.magic.count + index]) << UInt64(8 * index) }
        guard length <= UInt64(bytes.count - start),
              let header = try? Self.jsonDecoder().decode(RunCheckpoint.Header.self, from: Data(bytes[start..<(start + Int(length))])) else {
            throw corrupt("its header cannot be read")
        }
        return try checked(header.spec, hash: hash, path: checkpointURL.path)
    }

    private func checked(_ spec: RunSpec, hash: String, path: String) throws -> RunSpec {
        guard spec.configurationHash == hash else {
            throw FileError.corrupt(path: path, reason: "its specification has hash \(spec.configurationHash), not \(hash) (the file was renamed or edited); " + Self.recovery)
        }
        return spec
    }
}
