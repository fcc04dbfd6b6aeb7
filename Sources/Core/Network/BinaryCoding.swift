import Foundation

/// Little-endian byte encoding shared by network and trainer checkpoints.
/// Floating-point arrays are written as their IEEE-754 bit patterns.
enum EngineBinary {
    struct Writer {
        private(set) var data = Data()

        mutating func write(tag: String) { data.append(contentsOf: Array(tag.utf8)) }
        mutating func write(_ value: UInt8) { data.append(value) }
        mutating func write(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        mutating func write(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { data.append(contentsOf: $0) } }
        mutating func write(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        mutating func write(_ value: Data) { write(value.count); data.append(value) }
        /// Appends the IEEE-754 bit patterns of `scalars`, little-endian (bulk copy on little-endian hosts).
        mutating func write<Scalar: BLASScalar>(scalars: [Scalar]) {
            #if _endian(little)
            scalars.withUnsafeBytes { data.append(contentsOf: $0) }
            #else
            if let floats = scalars as? [Float] {
                for value in floats { write(value.bitPattern) }
            } else if let doubles = scalars as? [Double] {
                for value in doubles { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            } else {
                preconditionFailure("only Float and Double are serialisable")
            }
            #endif
        }
    }

    struct Reader {
        let data: Data
        private(set) var position: Int
        let what: String

        init(_ data: Data, what: String) {
            self.data = data
            self.position = data.startIndex
            self.what = what
        }

        var remaining: Int { data.endIndex - position }

        mutating func bytes(_ count: Int) throws -> Data {
            guard count >= 0, remaining >= count else {
                throw CheckpointFormatError.truncated(what: what, needed: count, available: remaining)
            }
            defer { position += count }
            return data[position..<position + count]
        }

        mutating func expect(tag: String) throws {
            let found = try bytes(tag.utf8.count)
            guard Array(found) == Array(tag.utf8) else { throw CheckpointFormatError.wrongTag(what: what, expected: tag) }
        }

        mutating func uint8() throws -> UInt8 { try bytes(1).first ?? 0 }

        mutating func uint32() throws -> UInt32 {
            try bytes(4).reversed().reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        }

        mutating func uint64() throws -> UInt64 {
            try bytes(8).reversed().reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        }

        mutating func int() throws -> Int {
            let raw = Int64(bitPattern: try uint64())
            guard raw >= Int64(Int.min), raw <= Int64(Int.max) else { throw CheckpointFormatError.badValue(what: what, detail: "integer out of range") }
            return Int(raw)
        }

        mutating func double() throws -> Double { Double(bitPattern: try uint64()) }

        mutating func blob() throws -> Data {
            let count = try int()
            return try bytes(count)
        }

        /// `count` scalars stored with `byteWidth` bytes each (4: Float, 8: Double), converted to `Scalar`.
        mutating func scalars<Scalar: BLASScalar>(_ count: Int, byteWidth: Int, as type: Scalar.Type) throws -> [Scalar] {
            guard count >= 0, count <= remaining / max(byteWidth, 1) else {
                throw CheckpointFormatError.truncated(what: what, needed: count * byteWidth, available: remaining)
            }
            let raw = try bytes(count * byteWidth)
            var result = [Scalar](repeating: 0, count: count)
            raw.withUnsafeBytes { buffer in
                for i in 0..<count {
                    if byteWidth == 4 {
                        let bits = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                        result[i] = Scalar(Float(bitPattern: bits))
                    } else {
                        let bits = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                        result[i] = Scalar(Double(bitPattern: bits))
                    }
                }
            }
            return result
        }

        func expectEnd() throws {
            guard remaining == 0 else { throw CheckpointFormatError.trailingBytes(what: what, count: remaining) }
        }
    }
}

/// Why a network or trainer checkpoint could not be read.
public enum CheckpointFormatError: Error, CustomStringConvertible, Equatable {
    case wrongTag(what: String, expected: String)
    case unsupportedVersion(what: String, version: UInt32)
    case truncated(what: String, needed: Int, available: Int)
    case trailingBytes(what: String, count: Int)
    case badValue(what: String, detail: String)
    case mismatch(what: String, detail: String)

    public var description: String {
        switch self {
        case let .wrongTag(what, expected):
            return "The \(what) data does not start with the tag '\(expected)'; the file is not a \(what) checkpoint or is corrupt — delete it and rerun."
        case let .unsupportedVersion(what, version):
            return "The \(what) data has format version \(version), which this build cannot read; delete the checkpoint and rerun."
        case let .truncated(what, needed, available):
            return "The \(what) data is truncated (needed \(needed) more bytes, found \(available)); delete the checkpoint and rerun."
        case let .trailingBytes(what, count):
            return "The \(what) data has \(count) unexpected bytes at its end; delete the checkpoint and rerun."
        case let .badValue(what, detail):
            return "The \(what) data is corrupt (\(detail)); delete the checkpoint and rerun."
        case let .mismatch(what, detail):
            return "The \(what) checkpoint does not belong to this run (\(detail)); delete it or use the matching configuration."
        }
    }
}
