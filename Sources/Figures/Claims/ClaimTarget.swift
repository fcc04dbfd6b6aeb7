import Core
import Foundation

/// The two kinds of claim that `reproduce check` knows.
public enum ClaimKind: String, Codable, Sendable {
    /// A statement of the paper: its value, a tolerance that reflects the
    /// paper's own wording, and the section it comes from.
    case paper
    /// What this pipeline measures under a fixed protocol, with a band derived
    /// from its seed-to-seed spread (or its floating-point reproducibility when
    /// the quantity is deterministic), written down before the gate uses it.
    case regression
}

/// How a measured value is compared with the target.
public enum Comparison: String, Codable, Sendable {
    /// |measured − target| ≤ tolerance.
    case within
    /// measured ≥ target − tolerance.
    case atLeast
    /// measured ≤ target + tolerance.
    case atMost
}

/// Evidence that a paper claim does not reproduce here, so that the gate
/// accepts it as a documented finding (it is still reported as not reproduced).
public struct KnownDeviation: Codable, Equatable, Sendable {
    /// A link to the evidence (a file of this repository, e.g. a study in docs/).
    public var evidence: String
    /// One or two sentences on what was found.
    public var note: String
}

/// One claim of `paper-targets.json`.
public struct ClaimTarget: Codable, Equatable, Sendable {
    /// Unique id, e.g. "theory.equilibrium.slope.asymptotic".
    public var id: String
    /// The figure id that measures it (see `reproduce list`).
    public var figure: String
    /// Paper claim or regression band.
    public var kind: ClaimKind
    /// What is measured, in words.
    public var measures: String
    /// The paper's statement of the value, in words (e.g. "l = Θ(L^{3/5})").
    public var paperStatement: String?
    /// The paper's numeric value, when it gives one.
    public var paperValue: Double?
    /// The value compared against.
    public var target: Double
    /// Allowed distance from the target (see ``comparison``).
    public var tolerance: Double
    /// How to compare (default: within).
    public var comparison: Comparison?
    /// Profiles under which the claim is checked (default: both).
    public var profiles: [Profile]?
    /// Where the claim comes from (paper section, figure or table), or for a
    /// regression band how its band was derived.
    public var source: String
    /// Why this tolerance.
    public var justification: String
    /// Present only for a documented known deviation of a paper claim.
    public var knownDeviation: KnownDeviation?
    /// The protocol family whose results the claim is checked against (`--protocol`, e.g.
    /// "authors"); nil = the paper's protocol, the default.
    public var protocolFamily: String?

    /// The comparison in force.
    public var effectiveComparison: Comparison { comparison ?? .within }

    /// Whether `value` satisfies the claim. Bounds are inclusive; the only
    /// slack is 10⁻¹² relative, so that a value written at the bound (e.g.
    /// 1.1 for 1 ± 0.1) is not rejected by binary rounding.
    public func accepts(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        let bounds = acceptedBounds
        return bounds.lower <= value && value <= bounds.upper
    }

    /// The accepted range as text, e.g. "0.6 ± 0.05" or "≥ 0.95".
    public var acceptedRangeText: String {
        switch effectiveComparison {
        case .within: return "\(NumberText.format(target)) ± \(NumberText.format(tolerance))"
        case .atLeast: return "≥ \(NumberText.format(target - tolerance))"
        case .atMost: return "≤ \(NumberText.format(target + tolerance))"
        }
    }

    /// Whether the claim applies to a run under `profile`.
    public func applies(to profile: Profile) -> Bool {
        profiles?.contains(profile) ?? true
    }
}

/// A measurement reported without a verdict (see ``TargetsFile/informational``).
public struct InformationalMeasurement: Codable, Equatable, Sendable {
    /// Its id, as the figure emits it.
    public var id: String
    /// The figure that emits it.
    public var figure: String
    /// What is measured, in words.
    public var measures: String
}

/// The contents of `paper-targets.json`.
public struct TargetsFile: Codable, Sendable {
    /// Format version (1).
    public var schemaVersion: Int
    /// A sentence on how tolerances and bands are set.
    public var policy: String?
    /// Every claim.
    public var claims: [ClaimTarget]
    /// Measurements that figures report without a verdict (e.g. a sensitivity study): declared
    /// here so that the gate knows their ids (an id a figure emits that is neither a claim nor
    /// listed here fails the gate).
    public var informational: [InformationalMeasurement]?

    /// Reads and validates a targets file.
    /// - Throws: `FileError.unreadable` when missing, `FileError.corrupt`
    ///   naming the problem (JSON error with its location, duplicate id,
    ///   negative tolerance, known deviation on a regression band…).
    public static func load(from url: URL) throws -> TargetsFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileError.unreadable(path: url.path, reason: SystemErrorText.describe(error, path: url.path)
                + " (the claims and tolerances live in paper-targets.json at the repository root; pass --targets PATH)")
        }
        let file: TargetsFile
        do { file = try JSONDecoder().decode(TargetsFile.self, from: data) } catch {
            throw FileError.corrupt(path: url.path, reason: JSONErrorText.describe(error, expected: "an object with schemaVersion, policy and claims"))
        }
        try file.validate(path: url.path)
        return file
    }

    func validate(path: String) throws {
        guard schemaVersion == 1 else {
            throw FileError.corrupt(path: path, reason: "schemaVersion \(schemaVersion) is not supported (expected 1)")
        }
        var seen = Set<String>()
        for claim in claims {
            guard seen.insert(claim.id).inserted else {
                throw FileError.corrupt(path: path, reason: "claim id '\(claim.id)' appears twice")
            }
            guard claim.tolerance >= 0, claim.tolerance.isFinite, claim.target.isFinite else {
                throw FileError.corrupt(path: path, reason: "claim '\(claim.id)' needs a finite target and a non-negative tolerance")
            }
            if claim.kind == .regression && claim.knownDeviation != nil {
                throw FileError.corrupt(path: path, reason: "claim '\(claim.id)' is a regression band and cannot be a known deviation")
            }
            if let deviation = claim.knownDeviation, deviation.evidence.trimmingCharacters(in: .whitespaces).isEmpty {
                throw FileError.corrupt(path: path, reason: "known deviation '\(claim.id)' needs a link to its evidence")
            }
        }
        for measurement in informational ?? [] where !seen.insert(measurement.id).inserted {
            throw FileError.corrupt(path: path, reason: "id '\(measurement.id)' appears twice (claims and informational measurements share one namespace)")
        }
    }

    /// Whether figure `figure`, run under `protocolFamily` (nil: the paper's), may emit a
    /// measurement with id `id`: a claim of that figure and family, or an informational
    /// measurement declared for that figure.
    public func declares(_ id: String, forFigure figure: String, protocolFamily: String? = nil) -> Bool {
        claims.contains { $0.id == id && $0.figure == figure && $0.protocolFamily == protocolFamily }
            || (informational ?? []).contains { $0.id == id && $0.figure == figure }
    }

    /// The claims measured by one figure.
    public func claims(forFigure id: String) -> [ClaimTarget] { claims.filter { $0.figure == id } }
}

/// Turns a JSON decoding error into a sentence with the location of the problem (see `JSONDecodingText`).
enum JSONErrorText {
    static func describe(_ error: Error, expected: String? = nil) -> String {
        JSONDecodingText.describe(error, expected: expected)
    }
}

/// Number formatting shared by tables and captions.
public enum NumberText {
    /// A compact representation with up to 4 significant digits.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.3g", value) }
        var text = String(format: "%.4g", value)
        if text.contains("e") { text = String(format: "%.3g", value) }
        return text
    }

    /// "[0.675, 2.483]": both ends as ``format(_:)``.
    public static func range(_ range: ClosedRange<Double>) -> String {
        "[\(format(range.lowerBound)), \(format(range.upperBound))]"
    }

    /// ``range(_:)``, or "—" when there is no interval.
    public static func rangeOrDash(_ range: ClosedRange<Double>?) -> String {
        range.map(Self.range) ?? "—"
    }
}
