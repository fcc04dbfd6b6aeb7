import Foundation

/// The state of an unfinished run, enough to continue it bit for bit.
///
/// File layout (all integers little-endian):
///
///     "RPRCKPT1"                     8-byte magic (format version 1)
///     UInt64 m, then m bytes         JSON of `Header` (spec, hash, position, results so far)
///     UInt64 t, then t bytes         the trainer's state (`Trainer.serializedState()`)
///     UInt64                         FNV-1a 64 of every byte before it
///
/// Any mismatch (magic, lengths, checksum, JSON, a different specification)
/// makes the file corrupt; see ``RunCache/checkpoint(for:)``.
struct RunCheckpoint {
    static let magic = Array("RPRCKPT1".utf8)

    /// Where in training the checkpoint was taken, and what was measured before.
    struct Position: Codable, Equatable {
        /// Epochs completed.
        var completedEpochs: Int
        /// Minibatches done in the epoch in progress.
        var batchesInEpoch: Int
        /// Optimiser steps taken.
        var step: Int
        /// Σ batch mean loss · batch size over the epoch in progress.
        var epochLossSum: Double
        /// Correct predictions in the epoch in progress.
        var epochCorrect: Int
        /// Samples seen in the epoch in progress.
        var epochSeen: Int
        /// Completed epoch entries.
        var epochs: [EpochEntry]
        /// Alignment measurements so far.
        var alignments: [AlignmentSnapshot]
        /// Wall-clock seconds spent so far, over all sessions.
        var elapsedSeconds: Double
        /// The running average of the minibatch losses (running-loss rules only).
        var runningLoss: Double?
        /// Milestones crossed so far (running-loss rules only).
        var milestones: [RunMilestone]?

        static let start = Position(completedEpochs: 0, batchesInEpoch: 0, step: 0, epochLossSum: 0, epochCorrect: 0,
                                    epochSeen: 0, epochs: [], alignments: [], elapsedSeconds: 0)
    }

    var spec: RunSpec
    var position: Position
    var trainerState: Data

    /// The checkpoint as bytes (see the layout above).
    func serialized() throws -> Data {
        let header = Header(spec: spec, configurationHash: spec.configurationHash, position: position)
        let json = try RunCache.jsonEncoder(pretty: false).encode(header)
        var bytes = Self.magic
        Self.append(UInt64(json.count), to: &bytes)
        bytes += json
        Self.append(UInt64(trainerState.count), to: &bytes)
        bytes += trainerState
        Self.append(StableHash.fnv1a64(bytes), to: &bytes)
        return Data(bytes)
    }

    /// Reads a checkpoint for `spec` written by ``serialized()``.
    /// - Throws: `FileError.corrupt(path:reason:)` when anything does not check out.
    init(serialized data: Data, expecting spec: RunSpec, path: String) throws {
        let bytes = [UInt8](data)
        func corrupt(_ reason: String) -> FileError { .corrupt(path: path, reason: reason) }
        guard bytes.count >= Self.magic.count + 24, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw corrupt("it is not a run checkpoint of this program's format (bad header)")
        }
        let body = bytes.count - 8
        guard Self.readUInt64(bytes, at: body) == StableHash.fnv1a64(bytes[0..<body]) else {
            throw corrupt("its checksum does not match (the file is damaged or truncated)")
        }
        var offset = Self.magic.count
        func chunk() throws -> ArraySlice<UInt8> {
            guard offset + 8 <= body else { throw corrupt("a length field lies beyond the end of the file") }
            let length = Self.readUInt64(bytes, at: offset)
            offset += 8
            guard length <= UInt64(body - offset) else { throw corrupt("a section is longer than the file") }
            let slice = bytes[offset..<(offset + Int(length))]
            offset += Int(length)
            return slice
        }
        let json = try chunk()
        let state = try chunk()
        guard offset == body else { throw corrupt("it has unexpected bytes after the trainer state") }
        let header: Header
        do {
            header = try RunCache.jsonDecoder().decode(Header.self, from: Data(json))
        } catch {
            throw corrupt("its header cannot be decoded (\(error))")
        }
        guard header.spec == spec, header.configurationHash == spec.configurationHash else {
            throw corrupt("it belongs to a different run specification (hash \(header.configurationHash))")
        }
        self.spec = header.spec
        self.position = header.position
        self.trainerState = Data(state)
    }

    init(spec: RunSpec, position: Position, trainerState: Data) {
        self.spec = spec
        self.position = position
        self.trainerState = trainerState
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        return value
    }
}

extension RunCheckpoint {
    /// The JSON part of the file: the specification, its hash, and the position.
    struct Header: Codable {
        var spec: RunSpec
        var configurationHash: String
        var position: Position
    }
}
