import XCTest
@testable import Core

/// Canonical JSON and the FNV-1a hash behind configuration hashes.
final class RunHashTests: XCTestCase {
    /// Published FNV-1a 64 test vectors (Fowler, Noll & Vo reference table).
    func testFNV1aMatchesReferenceVectors() {
        XCTAssertEqual(StableHash.fnv1a64(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(StableHash.fnv1a64("a"), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(StableHash.fnv1a64("foobar"), 0x8594_4171_F739_67E8)
    }

    func testFNV1aAgreesWithBruteForceBigIntegerArithmetic() {
        // Independent computation: the multiplication done by hand on 32-bit halves.
        func reference(_ bytes: [UInt8]) -> UInt64 {
            var hash: (hi: UInt64, lo: UInt64) = (0xCBF2_9CE4, 0x8422_2325)
            for byte in bytes {
                hash.lo ^= UInt64(byte)
                // (hi·2³² + lo) · (2⁴⁰ + 0x1b3) mod 2⁶⁴, with 32-bit limbs.
                let lo = hash.lo * 0x1B3
                let hi = hash.hi * 0x1B3 + (hash.lo << 8) + (lo >> 32)
                hash = (hi & 0xFFFF_FFFF, lo & 0xFFFF_FFFF)
            }
            return (hash.hi << 32) | hash.lo
        }
        let text = Array("configuration {\"depth\":10} ü".utf8)
        XCTAssertEqual(StableHash.fnv1a64(text), reference(text))
    }

    func testHexDigitsKeepLeadingZeros() {
        XCTAssertEqual(StableHash.hexDigits(0x0000_0000_0000_00AB), "00000000000000ab")
        XCTAssertEqual(StableHash.hexDigits(UInt64.max), "ffffffffffffffff")
    }

    func testCanonicalFormSortsKeysAndNormalisesNumbersAndStrings() throws {
        let text = #"{ "b": [1.0, 1e0, -0, 0.003, 1E-5, 18446744073709551615, 2.5], "a": "x\/y\u00e9\n", "c": {"z": null, "y": true} }"#
        XCTAssertEqual(try CanonicalJSON.canonicalize(Array(text.utf8)),
                       #"{"a":"x/yé\u000a","b":[1,1,0,0.003,1e-05,18446744073709551615,2.5],"c":{"y":true,"z":null}}"#)
    }

    func testCanonicalFormRejectsMalformedText() {
        XCTAssertThrowsError(try CanonicalJSON.canonicalize(Array(#"{"a": }"#.utf8)))
        XCTAssertThrowsError(try CanonicalJSON.canonicalize(Array(#"[1, 2"#.utf8)))
        XCTAssertThrowsError(try CanonicalJSON.canonicalize(Array(#"[1] x"#.utf8)))
    }

    private struct Sample: Codable {
        var name: String
        var seed: UInt64
        var rate: Double
        var missing: Int?
        var nested: [String: Double]
    }

    func testEncodableValuesHashIndependentlyOfDictionaryOrder() throws {
        var first = Sample(name: "run", seed: .max, rate: 0.003, missing: nil, nested: [:])
        var second = first
        for key in ["k1", "k2", "k3", "k4", "k5"] { first.nested[key] = 1.5 }
        for key in ["k5", "k4", "k3", "k2", "k1"] { second.nested[key] = 1.5 }
        XCTAssertEqual(try CanonicalJSON.string(for: first), try CanonicalJSON.string(for: second))
        XCTAssertEqual(try StableHash.hexDigest(ofCanonicalJSON: first), try StableHash.hexDigest(ofCanonicalJSON: second))
        XCTAssertTrue(try CanonicalJSON.string(for: first).contains("\"seed\":18446744073709551615"))
        second.rate = 0.0030000000000000005
        XCTAssertNotEqual(try StableHash.hexDigest(ofCanonicalJSON: first), try StableHash.hexDigest(ofCanonicalJSON: second))
    }
}
