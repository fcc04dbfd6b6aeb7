import Foundation

/// The verdict on one claim.
public enum Verdict: String, Codable, Sendable {
    /// A paper claim whose measured value is within tolerance.
    case reproduced = "REPRODUCED"
    /// A paper claim outside tolerance.
    case notReproduced = "NOT REPRODUCED"
    /// A paper claim outside tolerance, documented as a known deviation.
    case knownDeviation = "not reproduced (known)"
    /// A regression band that held.
    case held = "HELD"
    /// A regression band that was left.
    case left = "LEFT BAND"
    /// Could not be measured (missing data, figure not run); never a pass.
    case notRun = "not run"
    /// Not checked under this profile.
    case notApplicable = "n/a for profile"

    /// Whether this verdict makes the gate fail.
    public var failsGate: Bool { self == .notReproduced || self == .left }
}

/// A claim with its measurement and verdict.
public struct ClaimResult: Codable, Sendable {
    /// The target from `paper-targets.json`.
    public var claim: ClaimTarget
    /// The profile of the result it was checked against.
    public var profile: Profile
    /// The measured value, if any.
    public var measured: Double?
    /// How it was measured, or why it was not.
    public var detail: String
    /// The verdict.
    public var verdict: Verdict
    /// Set when the measurement rests on part of the protocol's runs (see ``ClaimMeasurement/partialBecause``).
    public var partialBecause: String? = nil
    /// Set when the measurement comes from a changed protocol (see ``ClaimMeasurement/protocolChangedBecause``).
    public var protocolChangedBecause: String? = nil

    /// Whether the verdict carries a qualification (partial runs or a changed protocol).
    public var isQualified: Bool { partialBecause != nil || protocolChangedBecause != nil }

    /// The verdict as shown in tables: "(partial)" is appended to a verdict from part of the runs,
    /// "(changed protocol)" to one from another protocol than the profile's.
    public var verdictText: String {
        verdict.rawValue + (partialBecause == nil ? "" : " (partial)") + (protocolChangedBecause == nil ? "" : " (changed protocol)")
    }

    /// The detail followed by the qualifications it does not already state, in brackets.
    public var detailWithQualification: String {
        let missing = [partialBecause, protocolChangedBecause.map { "changed protocol: " + $0 }].compactMap { $0 }
            .filter { !detail.contains($0) }
        return missing.isEmpty ? detail : detail + " [" + missing.joined(separator: "; ") + "]"
    }

    /// The qualifications as one sentence ("" when there are none).
    public var qualificationText: String {
        [partialBecause, protocolChangedBecause.map { "changed protocol: " + $0 }].compactMap { $0 }.joined(separator: "; ")
    }
}

/// Compares measurements with targets. The code never decides a verdict on its
/// own: everything comes from the targets file.
public enum ClaimEvaluator {
    /// Evaluates every claim against the results of one output directory.
    /// A claim whose figure has results under several profiles is evaluated
    /// once per profile it applies to; a claim whose figure was not run at all
    /// is reported as not run.
    public static func evaluate(targets: TargetsFile, results: [FigureResult]) -> [ClaimResult] {
        var evaluated: [ClaimResult] = []
        for claim in targets.claims {
            let figureResults = results.filter { $0.id == claim.figure && $0.protocolFamily == claim.protocolFamily }
            if figureResults.isEmpty {
                let command = "reproduce \(claim.figure)" + (claim.protocolFamily.map { " --protocol \($0)" } ?? "")
                evaluated.append(ClaimResult(
                    claim: claim, profile: claim.profiles?.first ?? .quick, measured: nil,
                    detail: "figure '\(claim.figure)' has not been run" + (claim.protocolFamily.map { " under the \($0) protocol" } ?? "")
                        + " (run: \(command))", verdict: .notRun))
                continue
            }
            for result in figureResults {
                evaluated.append(evaluate(claim, in: result))
            }
        }
        return evaluated
    }

    static func evaluate(_ claim: ClaimTarget, in result: FigureResult) -> ClaimResult {
        func make(_ value: Double?, _ detail: String, _ verdict: Verdict) -> ClaimResult {
            ClaimResult(claim: claim, profile: result.profile, measured: value, detail: detail, verdict: verdict)
        }
        guard claim.applies(to: result.profile) else {
            return make(nil, "checked only under --\((claim.profiles ?? []).map(\.rawValue).joined(separator: "/--"))", .notApplicable)
        }
        guard let measurement = result.measurements.first(where: { $0.claimId == claim.id }) else {
            return make(nil, "the \(result.profile.rawValue) run of '\(claim.figure)' recorded no measurement for this claim", .notRun)
        }
        guard let value = measurement.value else {
            return make(nil, measurement.notRunReason ?? "not measured", .notRun)
        }
        let accepted = claim.accepts(value)
        let verdict: Verdict
        switch (claim.kind, accepted) {
        case (.paper, true): verdict = .reproduced
        case (.paper, false): verdict = claim.knownDeviation == nil ? .notReproduced : .knownDeviation
        case (.regression, true): verdict = .held
        case (.regression, false): verdict = .left
        }
        var evaluated = make(value, measurement.detail, verdict)
        evaluated.partialBecause = measurement.partialBecause
        evaluated.protocolChangedBecause = measurement.protocolChangedBecause
        return evaluated
    }

    /// Whether the gate passes: no band left, no undocumented failing paper claim.
    public static func gatePasses(_ results: [ClaimResult]) -> Bool {
        !results.contains { $0.verdict.failsGate }
    }
}
