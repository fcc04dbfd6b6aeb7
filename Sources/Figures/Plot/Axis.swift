/// How data values map onto an axis.
public enum AxisScale: Hashable, Sendable {
    /// Position proportional to the value.
    case linear
    /// Position proportional to log₁₀ of the value; non-positive values cannot be shown and are skipped.
    case log10
}

/// One axis of a panel: label, scale, range and ticks.
public struct Axis: Sendable {
    /// Axis label in plot markup (see ``TextMarkup``); empty for none.
    public var label: String
    public var scale: AxisScale
    /// Visible data range; nil chooses one from the data with a 5 % margin
    /// (on a log axis: 5 % of the span in decades; none in a panel with a heat
    /// map, whose cells then fill the plot area). A range whose bounds are
    /// equal, reversed or (on a log axis) non-positive is replaced by an automatic one.
    public var range: ClosedRange<Double>?
    /// Major tick positions; nil chooses "nice" ticks (1-2-5 steps on linear
    /// axes, decades or 1-2-5 multiples on log axes). Ticks outside the range are not drawn.
    public var ticks: [Double]?
    /// Labels (markup) for explicit `ticks`, one per tick; nil formats the values.
    public var tickLabels: [String]?

    public init(
        label: String = "", scale: AxisScale = .linear, range: ClosedRange<Double>? = nil,
        ticks: [Double]? = nil, tickLabels: [String]? = nil
    ) {
        self.label = label
        self.scale = scale
        self.range = range
        self.ticks = ticks
        self.tickLabels = tickLabels
    }

    /// A linear axis with an automatic range.
    public static func linear(_ label: String, range: ClosedRange<Double>? = nil) -> Axis {
        Axis(label: label, scale: .linear, range: range)
    }

    /// A base-10 logarithmic axis with an automatic range.
    public static func log10(_ label: String, range: ClosedRange<Double>? = nil) -> Axis {
        Axis(label: label, scale: .log10, range: range)
    }
}

/// A labelled major tick.
struct Tick: Equatable, Sendable {
    var value: Double
    /// Label in plot markup.
    var label: String
}

/// Major (labelled) and minor (unlabelled) ticks of one axis.
struct TickSet: Equatable, Sendable {
    var major: [Tick]
    var minor: [Double]
}
