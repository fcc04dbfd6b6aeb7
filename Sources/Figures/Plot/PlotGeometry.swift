import Foundation

/// An axis-aligned rectangle in points, y growing downwards (Cairo's user space).
struct PlotRect: Equatable, Sendable {
    var x: Double
    var y: Double
    var width: Double
    var height: Double

    var minX: Double { x }
    var maxX: Double { x + width }
    var minY: Double { y }
    var maxY: Double { y + height }
    var midX: Double { x + width / 2 }
    var midY: Double { y + height / 2 }

    func insetBy(_ d: Double) -> PlotRect {
        PlotRect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d)
    }

    func contains(_ px: Double, _ py: Double) -> Bool {
        px >= minX && px <= maxX && py >= minY && py <= maxY
    }

    func intersects(_ other: PlotRect) -> Bool {
        minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
    }
}

/// Maps data values of one axis to positions in points.
struct AxisMapping: Sendable {
    let scale: AxisScale
    /// Range bounds in transformed units (log₁₀ on a log axis).
    let lower: Double
    let upper: Double
    /// Positions in points of the lower and upper bound.
    let start: Double
    let end: Double

    init(scale: AxisScale, range: ClosedRange<Double>, start: Double, end: Double) {
        self.scale = scale
        switch scale {
        case .linear:
            lower = range.lowerBound
            upper = range.upperBound
        case .log10:
            lower = Foundation.log10(range.lowerBound)
            upper = Foundation.log10(range.upperBound)
        }
        self.start = start
        self.end = end
    }

    /// The position of `value`, or nil when it cannot be plotted on this scale.
    func position(_ value: Double) -> Double? {
        guard AxisTicks.isPlottable(value, on: scale) else { return nil }
        let t = scale == .log10 ? Foundation.log10(value) : value
        let p = start + (t - lower) / (upper - lower) * (end - start)
        return p.isFinite ? p : nil
    }
}

/// Clips line segments to a rectangle (Liang–Barsky), so that far-away points
/// keep the true direction of the visible part of a line.
enum SegmentClipper {
    /// The part of the segment p0→p1 inside `rect`, or nil when none is.
    static func clip(
        _ p0: (x: Double, y: Double), _ p1: (x: Double, y: Double), to rect: PlotRect
    ) -> (start: (x: Double, y: Double), end: (x: Double, y: Double))? {
        let dx = p1.x - p0.x, dy = p1.y - p0.y
        var t0 = 0.0, t1 = 1.0
        let checks: [(p: Double, q: Double)] = [
            (-dx, p0.x - rect.minX), (dx, rect.maxX - p0.x),
            (-dy, p0.y - rect.minY), (dy, rect.maxY - p0.y),
        ]
        for (p, q) in checks {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 {
                    if r > t1 { return nil }
                    t0 = max(t0, r)
                } else {
                    if r < t0 { return nil }
                    t1 = min(t1, r)
                }
            }
        }
        return ((p0.x + t0 * dx, p0.y + t0 * dy), (p0.x + t1 * dx, p0.y + t1 * dy))
    }
}
