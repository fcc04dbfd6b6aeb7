import Foundation

/// Turns a JSON decoding error into a sentence with the location of the problem, telling
/// malformed JSON ("invalid JSON at …") from well-formed JSON of the wrong shape ("JSON of the
/// wrong shape: expected an object with …").
public enum JSONDecodingText {
    /// `expected` describes the top-level value wanted (e.g. "an object with schemaVersion and
    /// figures"); it is named when the top level itself has the wrong type.
    public static func describe(_ error: Error, expected: String? = nil) -> String {
        guard let decoding = error as? DecodingError else { return SystemErrorText.describe(error) }
        func path(_ context: DecodingError.Context) -> String {
            let components = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return components.isEmpty ? "at the top level" : "at \(components)"
        }
        switch decoding {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            if context.codingPath.isEmpty && underlying == nil, let expected {
                return "JSON of the wrong shape: expected \(expected)"
            }
            return "invalid JSON \(path(context)): \(underlying ?? context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "JSON of the wrong shape: missing field '\(key.stringValue)' \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            if context.codingPath.isEmpty, let expected {
                return "JSON of the wrong shape: expected \(expected), found \(foundText(context.debugDescription))"
            }
            return "JSON of the wrong shape \(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// "an array" from "Expected to decode Dictionary<String, Any> but found an array instead.".
    private static func foundText(_ debugDescription: String) -> String {
        guard let range = debugDescription.range(of: "but found ") else { return "something else" }
        return debugDescription[range.upperBound...].replacingOccurrences(of: " instead.", with: "")
    }
}
