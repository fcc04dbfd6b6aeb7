import Foundation

/// Where a measurement's interval lies against a paper claim's accepted range: the
/// three-way rule of docs/verdicts.md.
///
/// - inside: the whole interval lies in the accepted range (REPRODUCED);
/// - outside: the whole interval lies outside it (NOT REPRODUCED, or the claim's known deviation);
/// - straddles: the interval crosses a bound (INCONCLUSIVE), with an estimate of the sample
///   size that would decide it.
///
/// A measurement without an interval (a single run, or a statistic whose interval is not
/// estimated) is placed by its value alone, as the degenerate interval [value, value].
public enum IntervalPlacement: Equatable, Sendable {
    case inside
    case outside
    /// `decidingSampleSize` is nil when no sample size would decide it (the value sits on the
    /// bound) or the measurement states no sample size.
    case straddles(decidingSampleSize: Int?)

    /// Places `interval` (or `value` alone when nil) against `claim`'s accepted range.
    ///
    /// The deciding sample size assumes the interval's half-width shrinks as 1/√n about the
    /// same value: for each bound b the interval crosses, with h the distance from the value to
    /// the interval's end beyond b and d = |value − b|, the interval stops crossing b once
    /// h·√(n/n′) ≤ d, i.e. n′ = ⌈n·(h/d)²⌉; the estimate is the largest n′ over crossed bounds.
    public static func place(value: Double, interval: ConfidenceInterval?, sampleSize: Int?, in claim: ClaimTarget) -> IntervalPlacement {
        guard let interval, interval.lower.isFinite, interval.upper.isFinite, interval.lower < interval.upper else {
            return claim.accepts(value) ? .inside : .outside
        }
        let range = claim.acceptedBounds
        if interval.lower >= range.lower && interval.upper <= range.upper { return .inside }
        if interval.upper < range.lower || interval.lower > range.upper { return .outside }
        var needed: Int? = 0
        for bound in [range.lower, range.upper] where bound.isFinite && interval.lower <= bound && bound <= interval.upper {
            let distance = abs(value - bound)
            let beyond = value < bound ? interval.upper - value : value - interval.lower
            // A value on the bound (up to the comparison's rounding slack) is decided by no sample size.
            guard let n = sampleSize, n > 0, distance > 1e-9 * max(1, abs(bound)), beyond > 0 else { needed = nil; break }
            let estimate = (Double(n) * pow(beyond / distance, 2)).rounded(.up)
            needed = needed.map { max($0, estimate < Double(Int.max / 2) ? Int(estimate) : Int.max / 2) }
        }
        return .straddles(decidingSampleSize: needed == 0 ? nil : needed)
    }
}

extension ClaimTarget {
    /// The accepted range as numbers, with the same rounding slack as ``accepts(_:)``
    /// (−∞ or +∞ for a one-sided comparison).
    public var acceptedBounds: (lower: Double, upper: Double) {
        let rounding = 1e-12 * max(1, abs(target), abs(tolerance))
        switch effectiveComparison {
        case .within: return (target - tolerance - rounding, target + tolerance + rounding)
        case .atLeast: return (target - tolerance - rounding, .infinity)
        case .atMost: return (-.infinity, target + tolerance + rounding)
        }
    }
}
