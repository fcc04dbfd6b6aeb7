import Foundation

/// An entry of a legend.
struct LegendEntry: Sendable {
    var label: String
    var style: SeriesStyle
    var hasBand: Bool
}

/// A legend's position and entries, in the panel's cell coordinates.
struct LegendLayout: Sendable {
    var entries: [LegendEntry]
    var frame: PlotRect
    var columns: Int
    var rowsPerColumn: Int
    var columnWidth: Double
    var rowHeight: Double
    var inside: Bool
}

/// A colour bar's position, scale and ticks, in the panel's cell coordinates.
struct ColorBarLayout: Sendable {
    var colormap: Colormap
    var range: ClosedRange<Double>
    var scale: AxisScale
    var label: String
    var ticks: TickSet
    var bar: PlotRect
    var tickLabelWidth: Double
}

/// Everything decided about a panel before drawing; coordinates relative to its cell's top-left corner.
struct PanelLayout: Sendable {
    var panel: Panel
    /// Cell origin in figure coordinates.
    var origin: (x: Double, y: Double)
    var cellSize: (width: Double, height: Double)
    var plot: PlotRect
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    var xTicks: TickSet
    var yTicks: TickSet
    var hasData: Bool
    var colorBars: [ColorBarLayout]
    var legend: LegendLayout?
    var letter: String?
    /// Width needed right of the cell for colour bars and an outside legend.
    var extraWidth: Double

    var xMap: AxisMapping { AxisMapping(scale: panel.xAxis.scale, range: xRange, start: plot.minX, end: plot.maxX) }
    var yMap: AxisMapping { AxisMapping(scale: panel.yAxis.scale, range: yRange, start: plot.maxY, end: plot.minY) }
}

/// The size of a figure and the layout of each panel.
struct FigureLayout: Sendable {
    var width: Double
    var height: Double
    var panels: [PanelLayout]
    /// Baseline of the figure title, if any.
    var titleBaseline: Double?

    /// Lays out `figure`, measuring text with `painter`.
    static func make(_ figure: PlotFigure, painter: PlotTextPainter) -> FigureLayout {
        let count = figure.panels.count
        let columns = min(max(figure.columns, 1), max(count, 1))
        let rows = (count + columns - 1) / columns
        var panels = figure.panels.enumerated().map { index, panel in
            PanelLayoutBuilder(
                panel: panel, size: figure.panelSize,
                letter: figure.panelLetters && count > 1 ? PanelLayoutBuilder.letter(index) : nil,
                painter: painter
            ).build()
        }

        var columnWidths = Array(repeating: figure.panelSize.width, count: columns)
        for (index, layout) in panels.enumerated() {
            let column = index % columns
            columnWidths[column] = max(columnWidths[column], figure.panelSize.width + layout.extraWidth)
        }
        var top = PlotStyle.figurePadding
        var titleBaseline: Double?
        if let title = figure.title, !title.isEmpty {
            let metrics = painter.measure(title, PlotStyle.figureTitleFont)
            titleBaseline = top + 4 - metrics.top
            top += 4 + metrics.height + 4
        }
        for index in panels.indices {
            let column = index % columns, row = index / columns
            let x = PlotStyle.figurePadding + columnWidths[..<column].reduce(0, +)
            let y = top + Double(row) * figure.panelSize.height
            panels[index].origin = (x, y)
            panels[index].cellSize = (columnWidths[column], figure.panelSize.height)
        }
        let width = 2 * PlotStyle.figurePadding + columnWidths.reduce(0, +)
        let height = top + Double(rows) * figure.panelSize.height + PlotStyle.figurePadding
        return FigureLayout(width: width, height: height, panels: panels, titleBaseline: titleBaseline)
    }
}

/// Works out one panel's ranges, ticks, margins, legend and colour bars.
struct PanelLayoutBuilder {
    let panel: Panel
    let size: (width: Double, height: Double)
    let letter: String?
    let painter: PlotTextPainter

    /// "(a)", "(b)", …, "(z)", "(aa)", …
    static func letter(_ index: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz")
        var n = index
        var name = ""
        repeat {
            name = String(alphabet[n % 26]) + name
            n = n / 26 - 1
        } while n >= 0
        return "(\(name))"
    }

    func build() -> PanelLayout {
        let xScale = panel.xAxis.scale
        let extent = PanelData.extent(of: panel)
        // Heat maps fill the plot area edge to edge, as image plots usually do.
        let margin = panel.heatMap == nil ? 0.05 : 0
        let xRange = Self.resolveRange(panel.xAxis, data: extent.x, margin: margin)
        let yRange = Self.resolveRange(panel.yAxis, data: extent.y, margin: margin)
        let xTicks = AxisTicks.ticks(for: panel.xAxis, range: xRange)
        let yTicks = AxisTicks.ticks(for: panel.yAxis, range: yRange)

        let pad = PlotStyle.cellPadding
        let tickSpace = PlotStyle.majorTickLength + PlotStyle.tickLabelGap

        var titleBlock = 0.0
        if let title = panel.title, !title.isEmpty {
            titleBlock = painter.measure(title, PlotStyle.titleFont).height + PlotStyle.titleGap
        }
        if let letter {
            titleBlock = max(titleBlock, painter.measure(letter, PlotStyle.panelLetterFont).height + PlotStyle.titleGap)
        }
        let yTickMetrics = yTicks.major.map { painter.measure($0.label, PlotStyle.tickFont) }
        let xTickMetrics = xTicks.major.map { painter.measure($0.label, PlotStyle.tickFont) }
        let topOverflow = yTickMetrics.map { -$0.top - PlotTextPainter.middleOffset * PlotStyle.tickFont.size }.max() ?? 0
        let plotTop = pad + max(titleBlock, topOverflow + 2)

        let xTickHeight = xTickMetrics.map { $0.height }.max() ?? PlotStyle.tickFont.size * 0.73
        var bottomSpace = pad + tickSpace + xTickHeight
        if !panel.xAxis.label.isEmpty {
            bottomSpace += PlotStyle.axisLabelGap + painter.measure(panel.xAxis.label, PlotStyle.axisLabelFont).height
        }
        let yTickWidth = yTickMetrics.map { $0.width }.max() ?? 0
        var leftSpace = pad + tickSpace + yTickWidth
        if !panel.yAxis.label.isEmpty {
            leftSpace += PlotStyle.axisLabelGap + painter.measure(panel.yAxis.label, PlotStyle.axisLabelFont).height
        }
        let provisionalX = AxisMapping(scale: xScale, range: xRange, start: 0, end: 1)
        var rightOverflow = 2.0
        for (tick, metrics) in zip(xTicks.major, xTickMetrics) {
            if let t = provisionalX.position(tick.value), t > 0.75 {
                rightOverflow = max(rightOverflow, metrics.width / 2 - (1 - t) * (size.width - leftSpace - pad))
            }
        }
        let plot = PlotRect(
            x: leftSpace, y: plotTop,
            width: max(size.width - leftSpace - pad - rightOverflow, 20),
            height: max(size.height - plotTop - bottomSpace, 20))

        var layout = PanelLayout(
            panel: panel, origin: (0, 0), cellSize: size, plot: plot, xRange: xRange, yRange: yRange,
            xTicks: xTicks, yTicks: yTicks, hasData: extent.hasData, colorBars: [], legend: nil,
            letter: letter, extraWidth: 0)

        var right = plot.maxX
        for spec in colorBarSpecs() {
            let ticks = AxisTicks.ticks(for: Axis(scale: spec.scale, ticks: spec.ticks), range: spec.range)
            let tickLabelWidth = ticks.major.map { painter.measure($0.label, PlotStyle.tickFont).width }.max() ?? 0
            let labelHeight = spec.label.isEmpty ? 0 : painter.measure(spec.label, PlotStyle.axisLabelFont).height + PlotStyle.axisLabelGap
            let bar = PlotRect(x: right + PlotStyle.colorBarGap, y: plot.minY, width: PlotStyle.colorBarWidth, height: plot.height)
            layout.colorBars.append(ColorBarLayout(
                colormap: spec.colormap, range: spec.range, scale: spec.scale, label: spec.label,
                ticks: ticks, bar: bar, tickLabelWidth: tickLabelWidth))
            right = bar.maxX + tickSpace + tickLabelWidth + labelHeight + 2
        }
        layout.legend = legendLayout(for: layout, outsideStart: right)
        if let legend = layout.legend, !legend.inside {
            right = legend.frame.maxX
        }
        layout.extraWidth = max(0, right - (size.width - pad))
        return layout
    }

    /// The range shown: the axis's own when valid, else the data's, else a fallback.
    static func resolveRange(_ axis: Axis, data: [Double], margin: Double) -> ClosedRange<Double> {
        if let range = axis.range, AxisTicks.isValidRange(range, scale: axis.scale) { return range }
        return AxisTicks.automaticRange(data, scale: axis.scale, margin: margin) ?? AxisTicks.fallbackRange(axis.scale)
    }

    /// Colour bars to draw: the heat map's, then the panel's stand-alone one.
    private func colorBarSpecs() -> [(colormap: Colormap, range: ClosedRange<Double>, scale: AxisScale, label: String, ticks: [Double]?)] {
        var specs: [(colormap: Colormap, range: ClosedRange<Double>, scale: AxisScale, label: String, ticks: [Double]?)] = []
        if let heatMap = panel.heatMap, heatMap.showsColorBar {
            specs.append((heatMap.colormap, PanelData.valueRange(of: heatMap), heatMap.valueScale, heatMap.colorBarLabel, nil))
        }
        if let bar = panel.colorBar {
            let range = AxisTicks.isValidRange(bar.range, scale: bar.scale) ? bar.range : AxisTicks.fallbackRange(bar.scale)
            specs.append((bar.colormap, range, bar.scale, bar.label, bar.ticks))
        }
        return specs
    }

    private func legendLayout(for layout: PanelLayout, outsideStart: Double) -> LegendLayout? {
        let entries = panel.series.compactMap { series -> LegendEntry? in
            guard let label = series.label, !label.isEmpty else { return nil }
            return LegendEntry(label: label, style: series.style, hasBand: series.band != nil)
        }
        guard !entries.isEmpty, panel.legend != .none else { return nil }
        let metrics = entries.map { painter.measure($0.label, PlotStyle.legendFont) }
        let rowHeight = max(PlotStyle.legendFont.size * 1.45, (metrics.map(\.height).max() ?? 0) + 3)
        let columnWidth = PlotStyle.legendSampleWidth + PlotStyle.legendSampleGap + (metrics.map(\.width).max() ?? 0)
        let padding = PlotStyle.legendPadding
        let singleWidth = columnWidth + 2 * padding
        let singleHeight = Double(entries.count) * rowHeight + 2 * padding - 2
        let plot = layout.plot

        func inside(_ corner: LegendPlacement) -> LegendLayout {
            let inset = PlotStyle.legendInset
            let x = (corner == .topLeft || corner == .bottomLeft) ? plot.minX + inset : plot.maxX - inset - singleWidth
            let y = (corner == .topLeft || corner == .topRight) ? plot.minY + inset : plot.maxY - inset - singleHeight
            return LegendLayout(
                entries: entries, frame: PlotRect(x: x, y: y, width: singleWidth, height: singleHeight),
                columns: 1, rowsPerColumn: entries.count, columnWidth: columnWidth, rowHeight: rowHeight, inside: true)
        }
        func outside() -> LegendLayout {
            let available = max(size.height - plot.minY - PlotStyle.cellPadding, rowHeight + 2 * padding)
            let rowsFit = max(1, Int((available - 2 * padding + 2) / rowHeight))
            let columns = (entries.count + rowsFit - 1) / rowsFit
            let rows = (entries.count + columns - 1) / columns
            let width = Double(columns) * columnWidth + Double(columns - 1) * PlotStyle.legendColumnGap + 2 * padding
            let height = Double(rows) * rowHeight + 2 * padding - 2
            return LegendLayout(
                entries: entries,
                frame: PlotRect(x: outsideStart + PlotStyle.outsideGap, y: plot.minY, width: width, height: height),
                columns: columns, rowsPerColumn: rows, columnWidth: columnWidth, rowHeight: rowHeight, inside: false)
        }

        let fitsInside = singleWidth <= plot.width * 0.7 && singleHeight <= plot.height - 2 * PlotStyle.legendInset
        switch panel.legend {
        case .none:
            return nil
        case .outsideRight:
            return outside()
        case .topLeft, .topRight, .bottomLeft, .bottomRight:
            return inside(panel.legend)
        case .auto:
            guard fitsInside else { return outside() }
            let samples = PanelData.samples(of: panel, xMap: layout.xMap, yMap: layout.yMap, within: plot)
            let labels = panel.annotations.compactMap {
                PlacedAnnotation($0, xMap: layout.xMap, yMap: layout.yMap, plot: plot)?.frame(painter)
            }
            var best: (layout: LegendLayout, score: Int)?
            for corner in [LegendPlacement.topRight, .topLeft, .bottomLeft, .bottomRight] {
                let candidate = inside(corner)
                let zone = candidate.frame.insetBy(-2)
                let covered = samples.reduce(0) { $0 + (zone.contains($1.x, $1.y) ? 1 : 0) }
                let score = covered + labels.filter { $0.intersects(zone) }.count
                if best == nil || score < best!.score { best = (candidate, score) }
            }
            if let best, best.score == 0 { return best.layout }
            return outside()
        }
    }
}

/// Extracts what a panel shows from its data.
enum PanelData {
    /// Data extents for automatic ranges and whether anything is drawable.
    static func extent(of panel: Panel) -> (x: [Double], y: [Double], hasData: Bool) {
        let xScale = panel.xAxis.scale, yScale = panel.yAxis.scale
        var xs: [Double] = [], ys: [Double] = []
        var hasData = false
        for series in panel.series {
            let n = min(series.x.count, series.y.count)
            for i in 0..<n {
                let x = series.x[i], y = series.y[i]
                guard AxisTicks.isPlottable(x, on: xScale) else { continue }
                var used = false
                if AxisTicks.isPlottable(y, on: yScale) {
                    ys.append(y)
                    used = true
                    if let errors = series.yErrors, i < errors.count, errors[i].isFinite {
                        ys.append(y - abs(errors[i]))
                        ys.append(y + abs(errors[i]))
                    }
                }
                if let band = series.band, i < band.lower.count, i < band.upper.count,
                   AxisTicks.isPlottable(band.lower[i], on: yScale), AxisTicks.isPlottable(band.upper[i], on: yScale) {
                    ys.append(band.lower[i])
                    ys.append(band.upper[i])
                    used = true
                }
                if used {
                    xs.append(x)
                    hasData = true
                }
            }
        }
        if let heatMap = panel.heatMap {
            for cell in heatMap.cells where drawable(cell, xScale: xScale, yScale: yScale) {
                xs += [cell.x.lowerBound, cell.x.upperBound]
                ys += [cell.y.lowerBound, cell.y.upperBound]
                hasData = true
            }
        }
        return (xs, ys, hasData)
    }

    static func drawable(_ cell: HeatCell, xScale: AxisScale, yScale: AxisScale) -> Bool {
        AxisTicks.isPlottable(cell.x.lowerBound, on: xScale) && AxisTicks.isPlottable(cell.x.upperBound, on: xScale)
            && AxisTicks.isPlottable(cell.y.lowerBound, on: yScale) && AxisTicks.isPlottable(cell.y.upperBound, on: yScale)
    }

    /// The value range of a heat map's colours: its own when valid, else the
    /// extent of the values that can be placed on its scale, widened when degenerate.
    static func valueRange(of heatMap: HeatMap) -> ClosedRange<Double> {
        let scale = heatMap.valueScale
        if let range = heatMap.valueRange, AxisTicks.isValidRange(range, scale: scale) { return range }
        let values = heatMap.cells.map(\.value).filter { AxisTicks.isPlottable($0, on: scale) }
        guard let lo = values.min(), let hi = values.max() else { return AxisTicks.fallbackRange(scale) }
        if hi > lo { return lo...hi }
        return scale == .log10 ? (lo / 10.0.squareRoot())...(hi * 10.0.squareRoot()) : (lo - 0.5)...(hi + 0.5)
    }

    /// Points (in points of the cell) covered by the panel's series, used to keep legends off the data.
    static func samples(of panel: Panel, xMap: AxisMapping, yMap: AxisMapping, within plot: PlotRect) -> [(x: Double, y: Double)] {
        var samples: [(x: Double, y: Double)] = []
        let spacing = 3.0
        for series in panel.series {
            let n = min(series.x.count, series.y.count)
            var previous: (x: Double, y: Double)?
            for i in 0..<n {
                guard let px = xMap.position(series.x[i]) else { previous = nil; continue }
                if let band = series.band, i < band.lower.count, i < band.upper.count,
                   let lo = yMap.position(band.lower[i]), let hi = yMap.position(band.upper[i]) {
                    let steps = min(Int(abs(hi - lo) / 4), 100)
                    for s in 0...steps { samples.append((px, lo + (hi - lo) * Double(s) / Double(max(steps, 1)))) }
                }
                guard let py = yMap.position(series.y[i]) else { previous = nil; continue }
                let point = (x: px, y: py)
                samples.append(point)
                if let errors = series.yErrors, i < errors.count, errors[i].isFinite,
                   let lo = yMap.position(series.y[i] - abs(errors[i])), let hi = yMap.position(series.y[i] + abs(errors[i])) {
                    samples.append((px, lo))
                    samples.append((px, hi))
                }
                if series.style.drawsLine, let start = previous,
                   let clipped = SegmentClipper.clip(start, point, to: plot) {
                    let length = hypot(clipped.end.x - clipped.start.x, clipped.end.y - clipped.start.y)
                    let steps = min(Int(length / spacing), 400)
                    if steps > 0 {
                        for s in 0...steps {
                            let t = Double(s) / Double(steps)
                            samples.append((clipped.start.x + (clipped.end.x - clipped.start.x) * t,
                                            clipped.start.y + (clipped.end.y - clipped.start.y) * t))
                        }
                    }
                }
                previous = point
            }
        }
        return samples
    }
}

/// An annotation resolved to a point of the cell and text alignment.
struct PlacedAnnotation {
    var text: String
    var font: PlotFont
    var color: PlotColor
    var point: (x: Double, y: Double)
    var horizontal: Double
    var vertical: VerticalAlignment

    /// Nil when the position cannot be placed (non-finite, or non-positive on a log axis).
    init?(_ annotation: TextAnnotation, xMap: AxisMapping, yMap: AxisMapping, plot: PlotRect) {
        switch annotation.position {
        case let .data(x, y):
            guard let px = xMap.position(x), let py = yMap.position(y) else { return nil }
            point = (px, py)
        case let .relative(x, y):
            guard x.isFinite, y.isFinite else { return nil }
            point = (plot.minX + x * plot.width, plot.maxY - y * plot.height)
        }
        switch annotation.anchor {
        case .center: (horizontal, vertical) = (0.5, .middle)
        case .left: (horizontal, vertical) = (0, .middle)
        case .right: (horizontal, vertical) = (1, .middle)
        case .top: (horizontal, vertical) = (0.5, .top)
        case .bottom: (horizontal, vertical) = (0.5, .bottom)
        case .topLeft: (horizontal, vertical) = (0, .top)
        case .topRight: (horizontal, vertical) = (1, .top)
        case .bottomLeft: (horizontal, vertical) = (0, .bottom)
        case .bottomRight: (horizontal, vertical) = (1, .bottom)
        }
        text = annotation.text
        color = annotation.color
        font = PlotFont(size: annotation.fontSize.isFinite && annotation.fontSize > 0 ? annotation.fontSize : 8)
    }

    /// The box the text's ink occupies.
    func frame(_ painter: PlotTextPainter) -> PlotRect {
        let metrics = painter.measure(text, font)
        let baseline: Double
        switch vertical {
        case .top: baseline = point.y - metrics.top
        case .middle: baseline = point.y + PlotTextPainter.middleOffset * font.size
        case .baseline: baseline = point.y
        case .bottom: baseline = point.y - metrics.bottom
        }
        return PlotRect(x: point.x - metrics.width * horizontal, y: baseline + metrics.top, width: metrics.width, height: metrics.height)
    }
}
