import CCairo
import Foundation

/// Draws a laid-out figure into any Cairo context, so PNG and PDF share every line of drawing code.
struct PlotRenderer {
    let context: OpaquePointer
    let figure: PlotFigure
    let layout: FigureLayout

    private var text: PlotTextPainter { PlotTextPainter(context: context) }

    /// Paints the white background and every panel.
    func draw() {
        cairo_save(context)
        CairoPaint.setColor(context, .white)
        cairo_paint(context)
        cairo_restore(context)

        if let title = figure.title, let baseline = layout.titleBaseline {
            text.draw(title, PlotStyle.figureTitleFont, color: .ink, x: layout.width / 2, y: baseline,
                      horizontal: 0.5, vertical: .baseline)
        }
        for panel in layout.panels {
            cairo_save(context)
            cairo_translate(context, panel.origin.x, panel.origin.y)
            PanelRenderer(context: context, layout: panel).draw()
            cairo_restore(context)
        }
    }
}

/// Draws one panel in its cell's coordinates.
struct PanelRenderer {
    let context: OpaquePointer
    let layout: PanelLayout

    private var panel: Panel { layout.panel }
    private var plot: PlotRect { layout.plot }
    private var text: PlotTextPainter { PlotTextPainter(context: context) }
    /// Lines are clipped to this rectangle before drawing, far enough out to be invisible.
    private var clipBox: PlotRect { plot.insetBy(-200) }

    func draw() {
        let xMap = layout.xMap, yMap = layout.yMap
        if panel.showsGrid { drawGrid(xMap: xMap, yMap: yMap) }

        cairo_save(context)
        CairoPaint.rectangle(context, plot)
        cairo_clip(context)
        if let heatMap = panel.heatMap { drawHeatMap(heatMap, xMap: xMap, yMap: yMap) }
        for series in panel.series { drawBand(series, xMap: xMap, yMap: yMap) }
        for series in panel.series { drawErrorBars(series, xMap: xMap, yMap: yMap) }
        for series in panel.series where series.style.drawsLine { drawLine(series, xMap: xMap, yMap: yMap) }
        for series in panel.series where series.style.marker != .none { drawMarkers(series, xMap: xMap, yMap: yMap) }
        cairo_restore(context)

        drawFrameAndTicks(xMap: xMap, yMap: yMap)
        drawAxisLabels()
        if !layout.hasData, panel.annotations.isEmpty {  // an annotated empty panel says itself why
            text.draw("no data", PlotStyle.noDataFont, color: .gray, x: plot.midX, y: plot.midY,
                      horizontal: 0.5, vertical: .middle)
        }
        for annotation in panel.annotations { drawAnnotation(annotation, xMap: xMap, yMap: yMap) }
        for bar in layout.colorBars { drawColorBar(bar) }
        if let legend = layout.legend { drawLegend(legend) }
        drawTitleAndLetter()
    }

    // MARK: Grid, frame, ticks, labels

    private func drawGrid(xMap: AxisMapping, yMap: AxisMapping) {
        cairo_save(context)
        CairoPaint.setColor(context, .gridGray)
        cairo_set_line_width(context, PlotStyle.gridWidth)
        for tick in layout.xTicks.major {
            guard let x = xMap.position(tick.value), x > plot.minX + 0.5, x < plot.maxX - 0.5 else { continue }
            cairo_move_to(context, x, plot.minY)
            cairo_line_to(context, x, plot.maxY)
        }
        for tick in layout.yTicks.major {
            guard let y = yMap.position(tick.value), y > plot.minY + 0.5, y < plot.maxY - 0.5 else { continue }
            cairo_move_to(context, plot.minX, y)
            cairo_line_to(context, plot.maxX, y)
        }
        cairo_stroke(context)
        cairo_restore(context)
    }

    private func drawFrameAndTicks(xMap: AxisMapping, yMap: AxisMapping) {
        cairo_save(context)
        CairoPaint.setColor(context, .ink)
        CairoPaint.setDash(context, nil)
        cairo_set_line_width(context, PlotStyle.minorTickWidth)
        for value in layout.xTicks.minor {
            guard let x = xMap.position(value), x >= plot.minX - 0.01, x <= plot.maxX + 0.01 else { continue }
            cairo_move_to(context, x, plot.maxY)
            cairo_line_to(context, x, plot.maxY + PlotStyle.minorTickLength)
        }
        for value in layout.yTicks.minor {
            guard let y = yMap.position(value), y >= plot.minY - 0.01, y <= plot.maxY + 0.01 else { continue }
            cairo_move_to(context, plot.minX, y)
            cairo_line_to(context, plot.minX - PlotStyle.minorTickLength, y)
        }
        cairo_stroke(context)

        cairo_set_line_width(context, PlotStyle.majorTickWidth)
        let labelOffset = PlotStyle.majorTickLength + PlotStyle.tickLabelGap
        for tick in layout.xTicks.major {
            guard let x = xMap.position(tick.value), x >= plot.minX - 0.01, x <= plot.maxX + 0.01 else { continue }
            cairo_move_to(context, x, plot.maxY)
            cairo_line_to(context, x, plot.maxY + PlotStyle.majorTickLength)
            cairo_stroke(context)
            text.draw(tick.label, PlotStyle.tickFont, color: .ink, x: x, y: plot.maxY + labelOffset,
                      horizontal: 0.5, vertical: .top)
        }
        for tick in layout.yTicks.major {
            guard let y = yMap.position(tick.value), y >= plot.minY - 0.01, y <= plot.maxY + 0.01 else { continue }
            cairo_move_to(context, plot.minX, y)
            cairo_line_to(context, plot.minX - PlotStyle.majorTickLength, y)
            cairo_stroke(context)
            text.draw(tick.label, PlotStyle.tickFont, color: .ink, x: plot.minX - labelOffset, y: y,
                      horizontal: 1, vertical: .middle)
        }

        cairo_set_line_width(context, PlotStyle.frameWidth)
        CairoPaint.rectangle(context, plot)
        cairo_stroke(context)
        cairo_restore(context)
    }

    private func drawAxisLabels() {
        if !panel.xAxis.label.isEmpty {
            text.draw(panel.xAxis.label, PlotStyle.axisLabelFont, color: .ink, x: plot.midX,
                      y: layout.cellSize.height - PlotStyle.cellPadding, horizontal: 0.5, vertical: .bottom)
        }
        if !panel.yAxis.label.isEmpty {
            text.draw(panel.yAxis.label, PlotStyle.axisLabelFont, color: .ink, x: PlotStyle.cellPadding, y: plot.midY,
                      horizontal: 0.5, vertical: .top, rotation: -Double.pi / 2)
        }
    }

    private func drawTitleAndLetter() {
        var letterRight = 0.0
        var baseline: Double?
        if let letter = layout.letter {
            let metrics = text.measure(letter, PlotStyle.panelLetterFont)
            baseline = PlotStyle.cellPadding - metrics.top
            text.draw(letter, PlotStyle.panelLetterFont, color: .ink, x: PlotStyle.cellPadding, y: baseline!,
                      horizontal: 0, vertical: .baseline)
            letterRight = PlotStyle.cellPadding + metrics.width + 6
        }
        if let title = panel.title, !title.isEmpty {
            // A title wider than the room beside the letter is set smaller rather than spilling into the next panel.
            var font = PlotStyle.titleFont
            var metrics = text.measure(title, font)
            let room = layout.cellSize.width - PlotStyle.cellPadding - max(letterRight, PlotStyle.cellPadding)
            if metrics.width > room, room > 0 {
                font.size = max(6.5, font.size * room / metrics.width)
                metrics = text.measure(title, font)
            }
            let titleBaseline = baseline ?? (PlotStyle.cellPadding - metrics.top)
            let left = max(plot.midX - metrics.width / 2, letterRight)
            text.draw(title, font, color: .ink, x: left, y: titleBaseline, horizontal: 0, vertical: .baseline)
        }
    }

    // MARK: Data

    private func drawHeatMap(_ heatMap: HeatMap, xMap: AxisMapping, yMap: AxisMapping) {
        let colors = ColorScale(range: PanelData.valueRange(of: heatMap), scale: heatMap.valueScale)
        cairo_save(context)
        cairo_set_line_width(context, 0.35)
        for cell in heatMap.cells where PanelData.drawable(cell, xScale: xMap.scale, yScale: yMap.scale) {
            guard let x0 = xMap.position(cell.x.lowerBound), let x1 = xMap.position(cell.x.upperBound),
                  let y0 = yMap.position(cell.y.lowerBound), let y1 = yMap.position(cell.y.upperBound) else { continue }
            let box = clipBox
            let left = min(max(min(x0, x1), box.minX), box.maxX), right = min(max(max(x0, x1), box.minX), box.maxX)
            let top = min(max(min(y0, y1), box.minY), box.maxY), bottom = min(max(max(y0, y1), box.minY), box.maxY)
            guard right > left, bottom > top else { continue }
            let color = colors.position(of: cell.value).map { heatMap.colormap.color(at: $0) } ?? .missingValue
            CairoPaint.setColor(context, color)
            cairo_rectangle(context, left, top, right - left, bottom - top)
            // Stroking with the fill colour hides the hairline seams viewers draw between abutting cells.
            cairo_fill_preserve(context)
            cairo_stroke(context)
        }
        cairo_restore(context)
    }

    private func drawBand(_ series: Series, xMap: AxisMapping, yMap: AxisMapping) {
        guard let band = series.band else { return }
        let n = min(series.x.count, band.lower.count, band.upper.count)
        var run: [(x: Double, lower: Double, upper: Double)] = []
        let box = clipBox
        func clampY(_ y: Double) -> Double { min(max(y, box.minY), box.maxY) }
        func flush() {
            defer { run.removeAll() }
            guard run.count >= 2 else { return }
            cairo_move_to(context, run[0].x, clampY(run[0].upper))
            for point in run.dropFirst() { cairo_line_to(context, point.x, clampY(point.upper)) }
            for point in run.reversed() { cairo_line_to(context, point.x, clampY(point.lower)) }
            cairo_close_path(context)
        }
        for i in 0..<n {
            if let x = xMap.position(series.x[i]), let lo = yMap.position(band.lower[i]), let hi = yMap.position(band.upper[i]),
               x >= box.minX, x <= box.maxX {
                run.append((x, lo, hi))
            } else {
                flush()
            }
        }
        flush()
        cairo_save(context)
        CairoPaint.setColor(context, series.style.color.withAlpha(series.style.color.a * 0.22))
        cairo_fill(context)
        cairo_restore(context)
    }

    private func drawErrorBars(_ series: Series, xMap: AxisMapping, yMap: AxisMapping) {
        guard let errors = series.yErrors else { return }
        let n = min(series.x.count, series.y.count, errors.count)
        let cap = max(series.style.markerSize * 0.6, 2.5)
        cairo_save(context)
        CairoPaint.setColor(context, series.style.color)
        CairoPaint.setDash(context, nil)
        cairo_set_line_width(context, max(0.8, series.style.lineWidth * 0.7))
        for i in 0..<n where errors[i].isFinite {
            let error = abs(errors[i])
            guard let x = xMap.position(series.x[i]), series.y[i].isFinite,
                  let yLow = yMap.position(series.y[i] - error) ?? (yMap.scale == .log10 ? plot.maxY + 200 : nil),
                  let yHigh = yMap.position(series.y[i] + error),
                  let segment = SegmentClipper.clip((x, yLow), (x, yHigh), to: clipBox) else { continue }
            cairo_move_to(context, segment.start.x, segment.start.y)
            cairo_line_to(context, segment.end.x, segment.end.y)
            for y in [yLow, yHigh] where clipBox.contains(x, y) {
                cairo_move_to(context, x - cap / 2, y)
                cairo_line_to(context, x + cap / 2, y)
            }
        }
        cairo_stroke(context)
        cairo_restore(context)
    }

    private func drawLine(_ series: Series, xMap: AxisMapping, yMap: AxisMapping) {
        let n = min(series.x.count, series.y.count)
        cairo_save(context)
        CairoPaint.setColor(context, series.style.color)
        CairoPaint.setDash(context, series.style.dash)
        cairo_set_line_width(context, max(series.style.lineWidth, 0))
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, (series.style.dash ?? []).isEmpty ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT)
        var previous: (x: Double, y: Double)?
        var pen: (x: Double, y: Double)?
        for i in 0..<n {
            guard let x = xMap.position(series.x[i]), let y = yMap.position(series.y[i]) else {
                previous = nil
                continue
            }
            defer { previous = (x, y) }
            guard let start = previous, let segment = SegmentClipper.clip(start, (x, y), to: clipBox) else { continue }
            if let pen, pen.x == segment.start.x, pen.y == segment.start.y {
                cairo_line_to(context, segment.end.x, segment.end.y)
            } else {
                cairo_move_to(context, segment.start.x, segment.start.y)
                cairo_line_to(context, segment.end.x, segment.end.y)
            }
            pen = segment.end
        }
        cairo_stroke(context)
        cairo_restore(context)
    }

    private func drawMarkers(_ series: Series, xMap: AxisMapping, yMap: AxisMapping) {
        let n = min(series.x.count, series.y.count)
        cairo_save(context)
        CairoPaint.setDash(context, nil)
        for i in 0..<n {
            guard let x = xMap.position(series.x[i]), let y = yMap.position(series.y[i]),
                  plot.insetBy(-series.style.markerSize).contains(x, y) else { continue }
            MarkerPainter.draw(series.style.marker, at: (x, y), size: series.style.markerSize,
                               color: series.style.color, in: context)
        }
        cairo_restore(context)
    }

    private func drawAnnotation(_ annotation: TextAnnotation, xMap: AxisMapping, yMap: AxisMapping) {
        guard let placed = PlacedAnnotation(annotation, xMap: xMap, yMap: yMap, plot: plot) else { return }
        text.draw(placed.text, placed.font, color: placed.color, x: placed.point.x, y: placed.point.y,
                  horizontal: placed.horizontal, vertical: placed.vertical)
    }

    // MARK: Colour bar and legend

    private func drawColorBar(_ bar: ColorBarLayout) {
        let scale = ColorScale(range: bar.range, scale: bar.scale)
        cairo_save(context)
        if let gradient = cairo_pattern_create_linear(0, bar.bar.maxY, 0, bar.bar.minY) {
            let stops = 64
            for s in 0...stops {
                let t = Double(s) / Double(stops)
                let color = bar.colormap.color(at: t)
                cairo_pattern_add_color_stop_rgb(gradient, t, color.r, color.g, color.b)
            }
            CairoPaint.rectangle(context, bar.bar)
            cairo_set_source(context, gradient)
            cairo_fill(context)
            cairo_pattern_destroy(gradient)
        }
        CairoPaint.setColor(context, .ink)
        cairo_set_line_width(context, PlotStyle.frameWidth)
        CairoPaint.rectangle(context, bar.bar)
        cairo_stroke(context)

        func position(_ value: Double) -> Double? {
            guard let t = scale.position(of: value), AxisTicks.isPlottable(value, on: bar.scale),
                  value >= bar.range.lowerBound - 1e-9 * abs(bar.range.lowerBound),
                  value <= bar.range.upperBound + 1e-9 * abs(bar.range.upperBound) else { return nil }
            return bar.bar.maxY - t * bar.bar.height
        }
        cairo_set_line_width(context, PlotStyle.minorTickWidth)
        for value in bar.ticks.minor {
            guard let y = position(value) else { continue }
            cairo_move_to(context, bar.bar.maxX, y)
            cairo_line_to(context, bar.bar.maxX + PlotStyle.minorTickLength, y)
        }
        cairo_stroke(context)
        cairo_set_line_width(context, PlotStyle.majorTickWidth)
        for tick in bar.ticks.major {
            guard let y = position(tick.value) else { continue }
            cairo_move_to(context, bar.bar.maxX, y)
            cairo_line_to(context, bar.bar.maxX + PlotStyle.majorTickLength, y)
            cairo_stroke(context)
            text.draw(tick.label, PlotStyle.tickFont, color: .ink,
                      x: bar.bar.maxX + PlotStyle.majorTickLength + PlotStyle.tickLabelGap, y: y,
                      horizontal: 0, vertical: .middle)
        }
        cairo_restore(context)
        if !bar.label.isEmpty {
            let x = bar.bar.maxX + PlotStyle.majorTickLength + PlotStyle.tickLabelGap + bar.tickLabelWidth + PlotStyle.axisLabelGap
            text.draw(bar.label, PlotStyle.axisLabelFont, color: .ink, x: x, y: bar.bar.midY,
                      horizontal: 0.5, vertical: .top, rotation: -Double.pi / 2)
        }
    }

    private func drawLegend(_ legend: LegendLayout) {
        cairo_save(context)
        CairoPaint.roundedRectangle(context, legend.frame, radius: 2)
        CairoPaint.setColor(context, PlotColor.white.withAlpha(legend.inside ? 0.88 : 1))
        cairo_fill_preserve(context)
        CairoPaint.setColor(context, PlotColor(hex: 0xCCCCCC))
        cairo_set_line_width(context, 0.6)
        cairo_stroke(context)

        let padding = PlotStyle.legendPadding
        for (index, entry) in legend.entries.enumerated() {
            let column = index / legend.rowsPerColumn, row = index % legend.rowsPerColumn
            let left = legend.frame.minX + padding + Double(column) * (legend.columnWidth + PlotStyle.legendColumnGap)
            let centreY = legend.frame.minY + padding - 1 + (Double(row) + 0.5) * legend.rowHeight
            let sample = PlotRect(x: left, y: centreY - 3.5, width: PlotStyle.legendSampleWidth, height: 7)
            let style = entry.style
            if entry.hasBand {
                CairoPaint.setColor(context, style.color.withAlpha(style.color.a * 0.22))
                CairoPaint.rectangle(context, style.drawsLine ? sample : sample.insetBy(0.5))
                cairo_fill(context)
            }
            if style.drawsLine {
                CairoPaint.setColor(context, style.color)
                CairoPaint.setDash(context, style.dash)
                cairo_set_line_width(context, max(style.lineWidth, 0))
                cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
                cairo_move_to(context, sample.minX, centreY)
                cairo_line_to(context, sample.maxX, centreY)
                cairo_stroke(context)
                CairoPaint.setDash(context, nil)
            }
            if style.marker != .none {
                MarkerPainter.draw(style.marker, at: (sample.midX, centreY), size: style.markerSize,
                                   color: style.color, in: context)
            }
            text.draw(entry.label, PlotStyle.legendFont, color: .ink,
                      x: sample.maxX + PlotStyle.legendSampleGap, y: centreY, horizontal: 0, vertical: .middle)
        }
        cairo_restore(context)
    }
}

/// Draws data markers centred on a point.
enum MarkerPainter {
    static func draw(_ shape: MarkerShape, at point: (x: Double, y: Double), size: Double, color: PlotColor, in context: OpaquePointer) {
        let s = size.isFinite && size > 0 ? size : 5
        let r = s / 2
        let (x, y) = point
        cairo_save(context)
        cairo_new_path(context)
        switch shape {
        case .none:
            cairo_restore(context)
            return
        case .circle:
            cairo_arc(context, x, y, r, 0, 2 * Double.pi)
        case .square:
            let h = r * 0.886
            cairo_rectangle(context, x - h, y - h, 2 * h, 2 * h)
        case .triangle:
            let h = r * 1.15
            cairo_move_to(context, x, y - h)
            cairo_line_to(context, x + h * 0.866, y + h * 0.5)
            cairo_line_to(context, x - h * 0.866, y + h * 0.5)
            cairo_close_path(context)
        case .diamond:
            let h = r * 1.15
            cairo_move_to(context, x, y - h)
            cairo_line_to(context, x + h * 0.75, y)
            cairo_line_to(context, x, y + h)
            cairo_line_to(context, x - h * 0.75, y)
            cairo_close_path(context)
        case .cross:
            let h = r * 0.8
            cairo_move_to(context, x - h, y - h)
            cairo_line_to(context, x + h, y + h)
            cairo_move_to(context, x - h, y + h)
            cairo_line_to(context, x + h, y - h)
            CairoPaint.setColor(context, color)
            cairo_set_line_width(context, max(1.2, s / 5))
            cairo_set_line_cap(context, CAIRO_LINE_CAP_ROUND)
            cairo_stroke(context)
            cairo_restore(context)
            return
        }
        CairoPaint.setColor(context, color)
        cairo_fill_preserve(context)
        CairoPaint.setColor(context, PlotColor.white.withAlpha(0.9))
        cairo_set_line_width(context, 0.5)
        cairo_stroke(context)
        cairo_restore(context)
    }
}
