import Foundation

/// Chooses axis ranges and tick positions.
enum AxisTicks {
    /// Whether `value` can be placed on an axis of this scale (finite, and positive on a log axis).
    static func isPlottable(_ value: Double, on scale: AxisScale) -> Bool {
        value.isFinite && (scale == .linear || value > 0)
    }

    /// The automatic range for `values`: data extent plus a `margin` (5 %) of
    /// the span on each side (in decades on a log axis). Values that cannot be plotted are
    /// ignored; nil when none remain. A single distinct value v gets
    /// v ± max(|v|/10, 0.5) on a linear axis and v·10^{±0.5} on a log axis.
    static func automaticRange(_ values: [Double], scale: AxisScale, margin: Double = 0.05) -> ClosedRange<Double>? {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where isPlottable(v, on: scale) {
            let t = scale == .log10 ? Foundation.log10(v) : v
            lo = min(lo, t)
            hi = max(hi, t)
        }
        guard lo <= hi else { return nil }
        if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1e-300) {
            switch scale {
            case .linear:
                let pad = max(abs(lo) / 10, 0.5)
                return (lo - pad)...(hi + pad)
            case .log10:
                return pow(10, lo - 0.5)...pow(10, hi + 0.5)
            }
        }
        let pad = margin * (hi - lo)
        switch scale {
        case .linear: return (lo - pad)...(hi + pad)
        case .log10: return pow(10, lo - pad)...pow(10, hi + pad)
        }
    }

    /// The range used when there is nothing to show: [0, 1] linear, [1, 10] log.
    static func fallbackRange(_ scale: AxisScale) -> ClosedRange<Double> {
        scale == .linear ? 0...1 : 1...10
    }

    /// Whether an explicitly requested range is usable on this scale.
    static func isValidRange(_ range: ClosedRange<Double>, scale: AxisScale) -> Bool {
        isPlottable(range.lowerBound, on: scale) && isPlottable(range.upperBound, on: scale)
            && range.upperBound > range.lowerBound
    }

    // MARK: Linear ticks

    /// The 1-2-5 step closest to `span / targetCount`: 1, 2 or 5 times a power of ten.
    static func niceStep(span: Double, targetCount: Int = 5) -> Double {
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(targetCount, 1))
        let magnitude = pow(10, floor(Foundation.log10(raw)))
        let normalised = raw / magnitude
        let factor: Double = normalised < 1.5 ? 1 : normalised < 3 ? 2 : normalised < 7 ? 5 : 10
        return factor * magnitude
    }

    /// Multiples of the nice step inside `range` (ends included up to rounding).
    static func linearMajorTicks(in range: ClosedRange<Double>, targetCount: Int = 5) -> (values: [Double], step: Double) {
        let step = niceStep(span: range.upperBound - range.lowerBound, targetCount: targetCount)
        let tolerance = step * 1e-9
        let first = (range.lowerBound / step - 1e-9).rounded(.up)
        let last = (range.upperBound / step + 1e-9).rounded(.down)
        guard first <= last, last - first < 1000 else { return ([], step) }
        var values: [Double] = []
        var k = first
        while k <= last {
            var v = k * step
            if abs(v) < tolerance { v = 0 }
            values.append(v)
            k += 1
        }
        return (values, step)
    }

    /// Minor ticks between (and beyond) the majors: 5 subdivisions for steps
    /// 1×10^k and 5×10^k, 4 for 2×10^k.
    static func linearMinorTicks(in range: ClosedRange<Double>, majorStep step: Double) -> [Double] {
        guard step > 0, step.isFinite else { return [] }
        let mantissa = step / pow(10, floor(Foundation.log10(step)))
        let divisions: Double = abs(mantissa - 2) < 1e-6 ? 4 : 5
        let minorStep = step / divisions
        let first = (range.lowerBound / minorStep - 1e-9).rounded(.up)
        let last = (range.upperBound / minorStep + 1e-9).rounded(.down)
        guard first <= last, last - first < 5000 else { return [] }
        var values: [Double] = []
        var k = first
        while k <= last {
            let isMajor = abs((k / divisions) - (k / divisions).rounded()) < 1e-9
            if !isMajor { values.append(k * minorStep) }
            k += 1
        }
        return values
    }

    // MARK: Log ticks

    /// Ticks of a log axis over `range` (both bounds positive).
    ///
    /// When the range covers at least ~1.5 decades and contains two or more
    /// powers of ten, the majors are powers of ten labelled "10^{k}" (every
    /// n-th decade when there are more than 7) and the minors are 2…9 × 10^k
    /// (or the skipped decades). Otherwise the majors are 1-2-5 × 10^k (or
    /// 1-2-3-5, or 1…9 × 10^k, whichever first gives at least three ticks;
    /// failing that, linear nice ticks) labelled as plain numbers, with the
    /// remaining 1…9 × 10^k as minors.
    static func logTicks(in range: ClosedRange<Double>) -> TickSet {
        let lo = range.lowerBound, hi = range.upperBound
        guard lo > 0, hi > lo, lo.isFinite, hi.isFinite else { return TickSet(major: [], minor: []) }
        let a = Foundation.log10(lo), b = Foundation.log10(hi)
        let inside = { (v: Double) in v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) }
        let firstDecade = Int(floor(a)), lastDecade = Int(floor(b))
        let lowestDecade = Int((a - 1e-9).rounded(.up)), highestDecade = Int((b + 1e-9).rounded(.down))
        let decades = lowestDecade <= highestDecade ? Array(lowestDecade...highestDecade) : []

        func multiples(_ mantissas: [Double]) -> [Double] {
            var values: [Double] = []
            for k in (firstDecade - 1)...(lastDecade + 1) {
                for m in mantissas {
                    let v = m * pow(10, Double(k))
                    if inside(v) { values.append(v) }
                }
            }
            return values
        }

        if b - a >= 1.5 - 1e-9 && decades.count >= 2 {
            let stride = max(1, Int((Double(decades.count) / 7).rounded(.up)))
            var major: [Tick] = []
            var minor: [Double] = []
            for k in decades {
                if k % stride == 0 {
                    major.append(Tick(value: pow(10, Double(k)), label: TickFormat.powerOfTen(k)))
                } else {
                    minor.append(pow(10, Double(k)))
                }
            }
            if stride == 1 {
                minor += multiples([2, 3, 4, 5, 6, 7, 8, 9])
                minor.sort()
            }
            return TickSet(major: major, minor: minor)
        }

        let allMultiples = multiples([1, 2, 3, 4, 5, 6, 7, 8, 9])
        for mantissas in [[1.0, 2, 5], [1, 2, 3, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]] {
            let values = multiples(mantissas)
            if values.count >= 3 {
                let major = values.map { Tick(value: $0, label: TickFormat.plainNumber($0)) }
                let minor = allMultiples.filter { v in !values.contains { abs($0 - v) <= 1e-9 * v } }
                return TickSet(major: major, minor: minor)
            }
        }
        let linear = linearMajorTicks(in: range, targetCount: 4)
        let labels = TickFormat.linearLabels(linear.values, step: linear.step)
        return TickSet(
            major: zip(linear.values, labels).map { Tick(value: $0, label: $1) },
            minor: linearMinorTicks(in: range, majorStep: linear.step))
    }

    // MARK: Axis ticks

    /// Ticks for `axis` over the resolved `range`; explicit ticks and labels take precedence.
    static func ticks(for axis: Axis, range: ClosedRange<Double>) -> TickSet {
        let scale = axis.scale
        let inside = { (v: Double) in
            isPlottable(v, on: scale)
                && v >= range.lowerBound - 1e-9 * abs(range.lowerBound)
                && v <= range.upperBound + 1e-9 * abs(range.upperBound)
        }
        if let explicit = axis.ticks {
            let labels: [String]
            if let given = axis.tickLabels, given.count == explicit.count {
                labels = given
            } else if scale == .linear {
                let step = explicit.count > 1 ? zip(explicit.dropFirst(), explicit).map { abs($0 - $1) }.filter { $0 > 0 }.min() ?? 1 : 1
                labels = TickFormat.linearLabels(explicit, step: step)
            } else {
                labels = explicit.map { TickFormat.logLabel($0) }
            }
            let major = zip(explicit, labels).filter { inside($0.0) }.map { Tick(value: $0.0, label: $0.1) }
            return TickSet(major: major, minor: [])
        }
        switch scale {
        case .linear:
            let major = linearMajorTicks(in: range)
            let labels = TickFormat.linearLabels(major.values, step: major.step)
            return TickSet(
                major: zip(major.values, labels).map { Tick(value: $0, label: $1) },
                minor: linearMinorTicks(in: range, majorStep: major.step))
        case .log10:
            return logTicks(in: range)
        }
    }
}

/// Formats tick values as plot markup, with a true minus sign (U+2212).
enum TickFormat {
    static let minus = "\u{2212}"

    /// "10^{k}" with a true minus for negative k.
    static func powerOfTen(_ k: Int) -> String {
        "10^{\(k < 0 ? minus : "")\(abs(k))}"
    }

    /// Labels for evenly spaced linear ticks: as many decimals as the step
    /// needs; scientific "m×10^{k}" when the largest magnitude is ≥ 10⁵ or the
    /// step is below 10⁻⁴.
    static func linearLabels(_ values: [Double], step: Double) -> [String] {
        let maxAbs = values.map(abs).max() ?? 0
        if maxAbs >= 1e5 || (step > 0 && step < 1e-4) {
            return values.map { abs($0) <= step * 1e-9 ? "0" : scientific($0) }
        }
        let digits = decimals(needed: step)
        return values.map { fixed(abs($0) <= step * 1e-9 ? 0 : $0, decimals: digits) }
    }

    /// A single value in the shortest fixed notation that shows it to ~10 significant digits,
    /// scientific when |v| ≥ 10⁵ or |v| < 10⁻³.
    static func plainNumber(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 { return scientific(value) }
        return fixed(value, decimals: decimals(needed: magnitude))
    }

    /// A label for an explicit tick on a log axis: "10^{k}" for exact powers of ten, else a plain number.
    static func logLabel(_ value: Double) -> String {
        guard value > 0, value.isFinite else { return plainNumber(value) }
        let k = Foundation.log10(value).rounded()
        if abs(value / pow(10, k) - 1) < 1e-9 && abs(k) >= 3 { return powerOfTen(Int(k)) }
        return plainNumber(value)
    }

    /// The number of decimals d (0…12) such that `value` × 10^d is an integer to within 10⁻⁶ relative.
    static func decimals(needed value: Double) -> Int {
        let v = abs(value)
        guard v > 0, v.isFinite else { return 0 }
        for d in 0...12 {
            let scaled = v * pow(10, Double(d))
            if abs(scaled - scaled.rounded()) <= 1e-6 * max(scaled, 1) { return d }
        }
        return 12
    }

    static func fixed(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") ? minus + text.dropFirst() : text
    }

    /// "m×10^{k}" with m shown to at most three significant digits, or "10^{k}" when m = 1.
    static func scientific(_ value: Double) -> String {
        guard value != 0, value.isFinite else { return plainNumber(value) }
        var exponent = Int(floor(Foundation.log10(abs(value))))
        var mantissa = value / pow(10, Double(exponent))
        mantissa = (mantissa * 100).rounded() / 100
        if abs(mantissa) >= 10 {
            mantissa /= 10
            exponent += 1
        }
        let sign = mantissa < 0 ? minus : ""
        let m = abs(mantissa)
        if abs(m - 1) < 1e-9 { return sign + powerOfTen(exponent) }
        return sign + fixed(m, decimals: decimals(needed: m)) + "×" + powerOfTen(exponent)
    }
}
