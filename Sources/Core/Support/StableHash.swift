import Foundation

/// Hashes that are identical across processes, machines and program versions
/// (unlike `Hasher`, which is randomly seeded per process).
///
/// Algorithm: 64-bit FNV-1a (Fowler–Noll–Vo): start from the offset basis
/// 0xcbf29ce484222325 and, for each byte b, set h ← (h XOR b) · 0x100000001b3
/// (mod 2⁶⁴). It is not cryptographic; it names cache entries, where an
/// accidental collision is caught by comparing the stored specification.
public enum StableHash {
    /// The FNV-1a 64-bit offset basis.
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    /// The FNV-1a 64-bit prime.
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// FNV-1a over a byte sequence, continuing from `initial` (the offset basis by default).
    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes, initial: UInt64 = offsetBasis) -> UInt64
    where Bytes.Element == UInt8 {
        var hash = initial
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }

    /// FNV-1a over the UTF-8 bytes of a string.
    public static func fnv1a64(_ text: String) -> UInt64 {
        fnv1a64(text.utf8)
    }

    /// A 64-bit value as exactly 16 lower-case hexadecimal digits (leading zeros kept).
    public static func hexDigits(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The 16-hex-digit FNV-1a hash of a value's canonical JSON (see ``CanonicalJSON``).
    public static func hexDigest<Value: Encodable>(ofCanonicalJSON value: Value) throws -> String {
        hexDigits(fnv1a64(try CanonicalJSON.string(for: value).utf8))
    }
}

/// A configuration that names its cache entry by the hash of its canonical JSON (run
/// specifications, the second-order studies' configurations).
public protocol CanonicallyHashed: Encodable {}

extension CanonicallyHashed {
    /// 16 hexadecimal digits: the 64-bit FNV-1a hash of the value's canonical JSON
    /// (``CanonicalJSON``), identical across processes and machines.
    public var configurationHash: String {
        if let digest = try? StableHash.hexDigest(ofCanonicalJSON: self) { return digest }
        // Unreachable in practice (every field encodes); still a stable fallback.
        return StableHash.hexDigits(StableHash.fnv1a64(String(describing: self)))
    }
}
