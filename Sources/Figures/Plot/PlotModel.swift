import Foundation

/// The shape drawn at each data point of a series.
public enum MarkerShape: Hashable, Sendable {
    case none, circle, square, triangle, diamond, cross
}

/// How a series is drawn.
public struct SeriesStyle: Sendable {
    public var color: PlotColor
    /// Line width in points.
    public var lineWidth: Double
    /// Dash pattern in points (on, off, …); nil or empty for a solid line.
    public var dash: [Double]?
    public var marker: MarkerShape
    /// Marker diameter in points.
    public var markerSize: Double
    /// Whether consecutive points are joined by a line (false: markers only).
    public var drawsLine: Bool

    public init(
        color: PlotColor, lineWidth: Double = 1.5, dash: [Double]? = nil, marker: MarkerShape = .none,
        markerSize: Double = 5, drawsLine: Bool = true
    ) {
        self.color = color
        self.lineWidth = lineWidth
        self.dash = dash
        self.marker = marker
        self.markerSize = markerSize
        self.drawsLine = drawsLine
    }

    /// A solid line in the `index`-th palette colour.
    public static func line(_ index: Int, marker: MarkerShape = .none) -> SeriesStyle {
        SeriesStyle(color: .palette(index), marker: marker)
    }

    /// Markers only, in `color`.
    public static func scatter(_ color: PlotColor, marker: MarkerShape = .circle, size: Double = 5) -> SeriesStyle {
        SeriesStyle(color: color, lineWidth: 1, marker: marker, markerSize: size, drawsLine: false)
    }

    /// A thin dashed grey line for reference curves such as a predicted slope.
    public static let reference = SeriesStyle(color: PlotColor(hex: 0x555555), lineWidth: 1, dash: [4, 3])
}

/// One curve (or scatter) of a panel.
///
/// Points pair `x[i]` with `y[i]` for i < min(x.count, y.count). A point
/// with a non-finite coordinate (or a non-positive one on a log axis) is
/// skipped and breaks the line, as do gaps in `band`.
public struct Series: Sendable {
    /// Legend entry (markup); nil or empty keeps the series out of the legend.
    public var label: String?
    public var x: [Double]
    public var y: [Double]
    public var style: SeriesStyle
    /// Symmetric error bars: y[i] ± yErrors[i]; missing or non-finite entries draw no bar.
    public var yErrors: [Double]?
    /// A shaded band from lower[i] to upper[i] at x[i], drawn under the line in the series colour.
    public var band: (lower: [Double], upper: [Double])?

    public init(
        label: String? = nil, x: [Double], y: [Double], style: SeriesStyle = .line(0),
        yErrors: [Double]? = nil, band: (lower: [Double], upper: [Double])? = nil
    ) {
        self.label = label
        self.x = x
        self.y = y
        self.style = style
        self.yErrors = yErrors
        self.band = band
    }
}

/// A rectangle of a heat map in data coordinates (works on log axes, where
/// its edges must be positive to be drawn).
public struct HeatCell: Sendable {
    public var x: ClosedRange<Double>
    public var y: ClosedRange<Double>
    /// NaN draws the cell in ``PlotColor/missingValue``.
    public var value: Double

    public init(x: ClosedRange<Double>, y: ClosedRange<Double>, value: Double) {
        self.x = x
        self.y = y
        self.value = value
    }
}

/// Coloured rectangles under the series of a panel, with a colour bar at the panel's right.
public struct HeatMap: Sendable {
    public var cells: [HeatCell]
    public var colormap: Colormap
    /// Values mapped to the ends of the colour map; nil uses the finite extent
    /// of the cell values (positive ones on a log value scale).
    public var valueRange: ClosedRange<Double>?
    /// Whether colours follow the value linearly or its logarithm.
    public var valueScale: AxisScale
    /// Label of the colour bar (markup).
    public var colorBarLabel: String
    /// Whether the panel draws the heat map's colour bar (false for a grid of panels that share one
    /// value range, whose bar is drawn once, e.g. by the last column).
    public var showsColorBar: Bool = true

    public init(
        cells: [HeatCell], colormap: Colormap = .viridis, valueRange: ClosedRange<Double>? = nil,
        valueScale: AxisScale = .linear, colorBarLabel: String
    ) {
        self.cells = cells
        self.colormap = colormap
        self.valueRange = valueRange
        self.valueScale = valueScale
        self.colorBarLabel = colorBarLabel
    }

    /// A heat map on a grid given by cell edges: `values[row][column]` fills
    /// [xEdges[column], xEdges[column+1]] × [yEdges[row], yEdges[row+1]].
    /// Rows or columns beyond the edges are ignored.
    public static func grid(
        xEdges: [Double], yEdges: [Double], values: [[Double]], colormap: Colormap = .viridis,
        valueRange: ClosedRange<Double>? = nil, valueScale: AxisScale = .linear, colorBarLabel: String
    ) -> HeatMap {
        var cells: [HeatCell] = []
        for (row, rowValues) in values.enumerated() where row + 1 < yEdges.count {
            for (column, value) in rowValues.enumerated() where column + 1 < xEdges.count {
                let x0 = min(xEdges[column], xEdges[column + 1]), x1 = max(xEdges[column], xEdges[column + 1])
                let y0 = min(yEdges[row], yEdges[row + 1]), y1 = max(yEdges[row], yEdges[row + 1])
                guard x0.isFinite, x1.isFinite, y0.isFinite, y1.isFinite else { continue }
                cells.append(HeatCell(x: x0...x1, y: y0...y1, value: value))
            }
        }
        return HeatMap(cells: cells, colormap: colormap, valueRange: valueRange, valueScale: valueScale, colorBarLabel: colorBarLabel)
    }

    /// Cell edges around sorted grid centres: midpoints between neighbours
    /// (geometric means on a log scale), with the outer edges mirrored.
    /// One centre c gives [c − 0.5, c + 0.5] (linear) or [c/√10, c·√10] (log).
    public static func edges(aroundCentres centres: [Double], scale: AxisScale) -> [Double] {
        guard !centres.isEmpty else { return [] }
        let forward: (Double) -> Double = scale == .log10 ? { Foundation.log10($0) } : { $0 }
        let backward: (Double) -> Double = scale == .log10 ? { pow(10, $0) } : { $0 }
        let t = centres.map(forward)
        if t.count == 1 { return [backward(t[0] - 0.5), backward(t[0] + 0.5)] }
        var edges = [backward(t[0] - (t[1] - t[0]) / 2)]
        for i in 0..<(t.count - 1) { edges.append(backward((t[i] + t[i + 1]) / 2)) }
        edges.append(backward(t[t.count - 1] + (t[t.count - 1] - t[t.count - 2]) / 2))
        return edges
    }
}

/// Where an annotation is anchored.
public enum AnnotationPosition: Sendable {
    /// Data coordinates of the panel.
    case data(x: Double, y: Double)
    /// Fractions of the plot area: (0, 0) bottom left, (1, 1) top right.
    case relative(x: Double, y: Double)
}

/// Which point of the text box sits at the anchor position.
public enum TextAnchor: Sendable {
    case center, left, right, top, bottom, topLeft, topRight, bottomLeft, bottomRight
}

/// A text label placed in a panel.
public struct TextAnnotation: Sendable {
    /// Text in plot markup.
    public var text: String
    public var position: AnnotationPosition
    public var anchor: TextAnchor
    public var color: PlotColor
    /// Font size in points.
    public var fontSize: Double

    public init(
        text: String, position: AnnotationPosition, anchor: TextAnchor = .left,
        color: PlotColor = .ink, fontSize: Double = 8
    ) {
        self.text = text
        self.position = position
        self.anchor = anchor
        self.color = color
        self.fontSize = fontSize
    }

    /// Text anchored (left, vertically centred) at data coordinates (x, y).
    public init(text: String, x: Double, y: Double, anchor: TextAnchor = .left, color: PlotColor = .ink) {
        self.init(text: text, position: .data(x: x, y: y), anchor: anchor, color: color)
    }
}

/// Where a panel's legend goes.
public enum LegendPlacement: Hashable, Sendable {
    /// The first inside corner (top right, top left, bottom left, bottom
    /// right) that covers no data and no annotation, or outside on the right
    /// when every corner covers something or the legend is too big to fit.
    case auto
    case topLeft, topRight, bottomLeft, bottomRight
    /// To the right of the plot area, outside it.
    case outsideRight
    /// No legend.
    case none
}

/// A stand-alone colour bar, e.g. for one curve per layer coloured by the layer index.
public struct ColorBarSpec: Sendable {
    public var colormap: Colormap
    public var range: ClosedRange<Double>
    /// Label (markup).
    public var label: String
    public var scale: AxisScale
    /// Major ticks; nil for automatic ones.
    public var ticks: [Double]?

    public init(colormap: Colormap = .viridis, range: ClosedRange<Double>, label: String, scale: AxisScale = .linear, ticks: [Double]? = nil) {
        self.colormap = colormap
        self.range = range
        self.label = label
        self.scale = scale
        self.ticks = ticks
    }

    /// The colour of `value` on this bar (clamped to the range; NaN gives ``PlotColor/missingValue``).
    public func color(for value: Double) -> PlotColor {
        PlotColor.fromColormap(colormap, value: value, range: range, scale: scale)
    }
}

/// One plot: axes, curves, an optional heat map, annotations, legend and colour bar.
public struct Panel: Sendable {
    /// Title above the plot area (markup).
    public var title: String?
    public var xAxis: Axis
    public var yAxis: Axis
    public var series: [Series]
    public var heatMap: HeatMap?
    public var annotations: [TextAnnotation]
    public var legend: LegendPlacement
    public var colorBar: ColorBarSpec?
    /// Light grid lines at the major ticks.
    public var showsGrid: Bool

    public init(
        title: String? = nil, xAxis: Axis, yAxis: Axis, series: [Series] = [], heatMap: HeatMap? = nil,
        annotations: [TextAnnotation] = [], legend: LegendPlacement = .auto, colorBar: ColorBarSpec? = nil,
        showsGrid: Bool = true
    ) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.heatMap = heatMap
        self.annotations = annotations
        self.legend = legend
        self.colorBar = colorBar
        self.showsGrid = showsGrid
    }
}
