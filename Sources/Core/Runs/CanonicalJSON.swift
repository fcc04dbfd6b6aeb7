import Foundation

/// Errors raised while producing canonical JSON.
public enum CanonicalJSONError: Error, CustomStringConvertible, Equatable {
    /// The value could not be encoded as JSON at all.
    case encodingFailed(reason: String)
    /// The encoder produced text this canonicaliser cannot read (a bug, not a user error).
    case malformed(offset: Int, reason: String)

    public var description: String {
        switch self {
        case let .encodingFailed(reason):
            return "the value cannot be written as JSON (\(reason)); check it for unsupported types"
        case let .malformed(offset, reason):
            return "internal error: the JSON encoder's output is unreadable at byte \(offset) (\(reason)); please report this"
        }
    }
}

/// A canonical JSON text for any `Encodable` value, identical across processes,
/// platforms and Foundation versions, so that it can be hashed.
///
/// The value is first written by `JSONEncoder`, then re-parsed and re-emitted
/// under fixed rules:
/// - no whitespace; object keys sorted by their UTF-8 bytes;
/// - strings: `"` and `\` escaped with a backslash, control characters below
///   U+0020 as `\u00xx` (lower-case hex), everything else as literal UTF-8
///   (so whether an encoder escapes `/` or not makes no difference);
/// - numbers: an integer token is written as its digits (exact, even beyond
///   2⁵³); any other number is parsed as a Double and, if it is integral with
///   |x| < 2⁵³, written as an integer (so `1`, `1.0` and `1e0` agree), otherwise
///   with Swift's shortest round-trip representation (`0.003`, `1e-05`);
/// - non-finite doubles become the strings "nan", "inf" and "-inf".
public enum CanonicalJSON {
    /// The canonical JSON text of `value`.
    public static func string<Value: Encodable>(for value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw CanonicalJSONError.encodingFailed(reason: "\(error)")
        }
        return try canonicalize(Array(data))
    }

    /// Re-emits arbitrary JSON text under the canonical rules.
    public static func canonicalize(_ bytes: [UInt8]) throws -> String {
        var parser = Parser(bytes: bytes)
        var output = ""
        parser.skipWhitespace()
        try parser.copyValue(into: &output)
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw CanonicalJSONError.malformed(offset: parser.position, reason: "text after the value")
        }
        return output
    }

    /// A single-pass reader that writes the canonical form as it parses.
    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        func fail(_ reason: String) -> CanonicalJSONError {
            .malformed(offset: position, reason: reason)
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard position < bytes.count, bytes[position] == byte else { throw fail("expected '\(literal)'") }
                position += 1
            }
        }

        mutating func copyValue(into output: inout String) throws {
            guard position < bytes.count else { throw fail("unexpected end") }
            switch bytes[position] {
            case UInt8(ascii: "{"): try copyObject(into: &output)
            case UInt8(ascii: "["): try copyArray(into: &output)
            case UInt8(ascii: "\""): output += Self.quoted(try readString())
            case UInt8(ascii: "t"): try expect("true"); output += "true"
            case UInt8(ascii: "f"): try expect("false"); output += "false"
            case UInt8(ascii: "n"): try expect("null"); output += "null"
            default: output += try readNumber()
            }
        }

        mutating func copyObject(into output: inout String) throws {
            position += 1
            var members: [(key: String, value: String)] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
            } else {
                while true {
                    skipWhitespace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let key = try readString()
                    skipWhitespace()
                    try expect(":")
                    skipWhitespace()
                    var value = ""
                    try copyValue(into: &value)
                    members.append((key, value))
                    skipWhitespace()
                    guard position < bytes.count else { throw fail("unterminated object") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    try expect("}")
                    break
                }
            }
            members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            output += "{"
            output += members.map { Self.quoted($0.key) + ":" + $0.value }.joined(separator: ",")
            output += "}"
        }

        mutating func copyArray(into output: inout String) throws {
            position += 1
            var items: [String] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
            } else {
                while true {
                    skipWhitespace()
                    var item = ""
                    try copyValue(into: &item)
                    items.append(item)
                    skipWhitespace()
                    guard position < bytes.count else { throw fail("unterminated array") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    try expect("]")
                    break
                }
            }
            output += "[" + items.joined(separator: ",") + "]"
        }

        mutating func readHex4() throws -> UInt32 {
            guard position + 4 <= bytes.count,
                  let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
            else { throw fail("bad \\u escape") }
            position += 4
            return value
        }

        mutating func readString() throws -> String {
            position += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
            while true {
                guard position < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: "\"") { break }
                guard byte == UInt8(ascii: "\\") else { raw.append(byte); continue }
                flush()
                guard position < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try readHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        try expect("\\u")
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid code point") }
                    scalars.append(scalar)
                default: throw fail("unknown escape")
                }
            }
            flush()
            return String(scalars)
        }

        mutating func readNumber() throws -> String {
            let start = position
            while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
            let token = String(decoding: bytes[start..<position], as: UTF8.self)
            guard !token.isEmpty else { throw fail("unexpected character") }
            return try Self.canonicalNumber(token, failure: fail("bad number '\(token)'"))
        }

        static func canonicalNumber(_ token: String, failure: CanonicalJSONError) throws -> String {
            if !token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                let negative = token.hasPrefix("-")
                let digits = token.drop { $0 == "-" || $0 == "+" }.drop { $0 == "0" }
                guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { throw failure }
                if digits.isEmpty { return "0" }
                return (negative ? "-" : "") + digits
            }
            guard let value = Double(token) else { throw failure }
            if value == value.rounded(), abs(value) < 0x1p53 {
                return value == 0 ? "0" : String(Int64(value))
            }
            return value.description
        }

        static func quoted(_ text: String) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        result.unicodeScalars.append(scalar)
                    }
                }
            }
            return result + "\""
        }
    }
}
