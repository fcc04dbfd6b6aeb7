import Foundation

/// The verdict on one claim.
public enum Verdict: String, Codable, Sendable {
    /// A paper claim whose measured value is within tolerance.
    case reproduced = "REPRODUCED"
    /// A paper claim outside tolerance.
    case notReproduced = "NOT REPRODUCED"
    /// A paper claim outside tolerance, documented as a known deviation.
    case knownDeviation = "not reproduced (known)"
    /// A paper claim whose interval straddles a bound of the accepted range: neither reproduced
    /// nor refuted at this sample size. Never a pass; does not fail the gate (docs/verdicts.md).
    case inconclusive = "INCONCLUSIVE"
    /// A regression band that held.
    case held = "HELD"
    /// A regression band that was left.
    case left = "LEFT BAND"
    /// Could not be measured (missing data, figure not run); never a pass.
    case notRun = "not run"
    /// Not checked under this profile.
    case notApplicable = "n/a for profile"

    /// Whether this verdict makes the gate fail: only a decided failure does. INCONCLUSIVE
    /// does not (a verdict that an interval cannot decide must not make CI flip between machines),
    /// and it is never counted as reproduced.
    public var failsGate: Bool { self == .notReproduced || self == .left }
}

/// A defect of a figure's stored result that makes the gate fail (see ``ClaimEvaluator/defects(targets:results:)``).
public struct ResultDefect: Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: String, Sendable {
        /// A claim declared for the figure and profile has no measurement.
        case missing
        /// The id is not declared for the figure in the targets file.
        case undeclared
        /// Neither a finite value nor a not-run reason.
        case noValue
        /// The id is measured more than once.
        case duplicate
    }

    public var figure: String
    public var profile: Profile
    public var claimId: String
    public var kind: Kind

    public var description: String {
        let rerun = "rerun 'reproduce \(figure) --\(profile.rawValue)' to rebuild the result"
        switch kind {
        case .missing:
            return "\(claimId): declared for '\(figure)' (--\(profile.rawValue)) in the targets file, but the figure's result has no measurement for it; \(rerun)"
        case .undeclared:
            return "\(claimId): emitted by '\(figure)' (--\(profile.rawValue)) but not declared for it in the targets file (a renamed or misspelt id?); fix the id or declare it"
        case .noValue:
            return "\(claimId): '\(figure)' (--\(profile.rawValue)) recorded neither a finite value nor a reason why it was not measured; \(rerun)"
        case .duplicate:
            return "\(claimId): measured more than once by '\(figure)' (--\(profile.rawValue)), so its verdict is ambiguous; \(rerun)"
        }
    }
}

/// A claim with its measurement and verdict.
public struct ClaimResult: Codable, Sendable {
    /// The target from `paper-targets.json`.
    public var claim: ClaimTarget
    /// The profile of the result it was checked against.
    public var profile: Profile
    /// The measured value, if any.
    public var measured: Double?
    /// The measurement's interval, sample size and method (see ``ClaimMeasurement``).
    public var interval: ConfidenceInterval? = nil
    /// Independent units behind the value.
    public var sampleSize: Int? = nil
    /// How the interval was obtained.
    public var method: UncertaintyMethod? = nil
    /// For an INCONCLUSIVE verdict, the estimated sample size that would decide it (docs/verdicts.md).
    public var decidingSampleSize: Int? = nil
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

    /// The interval as text: "[0.67, 2.19] (95% cluster bootstrap, n = 15)", "exact (deterministic)",
    /// "single run, no interval"; "—" when nothing was measured.
    public var intervalText: String {
        guard measured != nil else { return "—" }
        switch method {
        case .deterministic: return "exact (deterministic)"
        case nil: return "no interval recorded"
        case let method?:
            guard let interval else {
                return method == .singleRun || method == .notEstimated ? method.text : "\(method.text): no interval (too few distinct resamples)"
            }
            let n = sampleSize.map { ", n = \($0)" } ?? ""
            return "\(interval.rangeText) (\(NumberText.format(interval.level * 100))% \(method.text)\(n))"
        }
    }

    /// For INCONCLUSIVE: what would decide it, e.g. "about 40 runs would decide it".
    public var decidingText: String? {
        guard verdict == .inconclusive else { return nil }
        guard let n = decidingSampleSize else { return "no sample size decides it (the value lies on a bound of the accepted range)" }
        return "about \(n) (instead of \(sampleSize ?? 0)) would decide it, if the interval shrinks as 1/√n about the same value"
    }

    /// The detail followed by the qualifications it does not already state, in brackets.
    public var detailWithQualification: String {
        let missing = [partialBecause, protocolChangedBecause.map { "changed protocol: " + $0 }].compactMap { $0 }
            .filter { !detail.contains($0) }
        return missing.isEmpty ? detail : detail + " [" + missing.joined(separator: "; ") + "]"
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
        guard let measurement = result.measurements.first(where: { $0.claimId.rawValue == claim.id }) else {
            return make(nil, "the \(result.profile.rawValue) run of '\(claim.figure)' recorded no measurement for this claim", .notRun)
        }
        guard let value = measurement.value else {
            return make(nil, measurement.notRunReason ?? "not measured", .notRun)
        }
        let verdict: Verdict
        var deciding: Int?
        switch claim.kind {
        case .regression:
            // Bands guard the point value of a fixed protocol.
            verdict = claim.accepts(value) ? .held : .left
        case .paper:
            switch IntervalPlacement.place(value: value, interval: measurement.interval, sampleSize: measurement.sampleSize, in: claim) {
            case .inside: verdict = .reproduced
            case .outside: verdict = claim.knownDeviation == nil ? .notReproduced : .knownDeviation
            case let .straddles(needed):
                verdict = .inconclusive
                deciding = needed
            }
        }
        var evaluated = make(value, measurement.detail, verdict)
        evaluated.interval = measurement.interval
        evaluated.sampleSize = measurement.sampleSize
        evaluated.method = measurement.method
        evaluated.decidingSampleSize = deciding
        evaluated.partialBecause = measurement.partialBecause
        evaluated.protocolChangedBecause = measurement.protocolChangedBecause
        return evaluated
    }

    /// Whether the gate passes: no band left, no undocumented failing paper claim.
    public static func gatePasses(_ results: [ClaimResult]) -> Bool {
        !results.contains { $0.verdict.failsGate }
    }

    /// Whether the gate passes: as ``gatePasses(_:)``, and the results have no ``ResultDefect``.
    public static func gatePasses(_ results: [ClaimResult], defects: [ResultDefect]) -> Bool {
        defects.isEmpty && gatePasses(results)
    }

    /// What is wrong with the results of the figures that ran, claim by claim: a claim the
    /// targets declare for the figure and its profile with no measurement, an id the targets do
    /// not declare for the figure, a measurement with neither a finite value nor a not-run
    /// reason, and an id measured more than once. Each fails the gate. Claims are those of the
    /// result's protocol family (``ClaimTarget/protocolFamily``).
    public static func defects(targets: TargetsFile, results: [FigureResult]) -> [ResultDefect] {
        var defects: [ResultDefect] = []
        for result in results {
            func add(_ claimId: String, _ kind: ResultDefect.Kind) {
                defects.append(ResultDefect(figure: result.id, profile: result.profile, claimId: claimId, kind: kind))
            }
            // A measurement read with an id this version does not know is undeclared.
            for measurement in result.undeclaredMeasurements { add(measurement.claimId, .undeclared) }
            let ids = result.measurements.map(\.claimId.rawValue)
            for claim in targets.claims(forFigure: result.id)
            where claim.protocolFamily == result.protocolFamily && claim.applies(to: result.profile) && !ids.contains(claim.id) {
                add(claim.id, .missing)
            }
            var seen = Set<String>()
            for measurement in result.measurements {
                let claimId = measurement.claimId.rawValue
                guard seen.insert(claimId).inserted else {
                    if !defects.contains(where: { $0.figure == result.id && $0.profile == result.profile
                        && $0.claimId == claimId && $0.kind == .duplicate }) {
                        add(claimId, .duplicate)
                    }
                    continue
                }
                if !targets.declares(claimId, forFigure: result.id, protocolFamily: result.protocolFamily) {
                    add(claimId, .undeclared)
                }
                if let value = measurement.value {
                    if !value.isFinite { add(claimId, .noValue) }
                } else if (measurement.notRunReason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                    add(claimId, .noValue)
                }
            }
        }
        return defects
    }
}
