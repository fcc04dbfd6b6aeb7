import Core
import XCTest
@testable import Figures

/// Geometry helpers and layout decisions: clipping, mapping, cell edges, legends, panel letters.
final class PlotLayoutTests: XCTestCase {
    func testSegmentClipperAgreesWithDenseSampling() {
        let rect = PlotRect(x: 0, y: 0, width: 10, height: 6)
        var generator = SeededGenerator(seed: 2024)  // seeded: a failure names segments that can be replayed
        for _ in 0..<300 {
            let p0 = (x: Double.random(in: -20...30, using: &generator), y: Double.random(in: -20...30, using: &generator))
            let p1 = (x: Double.random(in: -20...30, using: &generator), y: Double.random(in: -20...30, using: &generator))
            // Brute force: the range of t in [0, 1] whose points lie in the rectangle.
            var tMin = Double.infinity, tMax = -Double.infinity
            let steps = 20_000
            for s in 0...steps {
                let t = Double(s) / Double(steps)
                if rect.contains(p0.x + (p1.x - p0.x) * t, p0.y + (p1.y - p0.y) * t) {
                    tMin = min(tMin, t)
                    tMax = max(tMax, t)
                }
            }
            let clipped = SegmentClipper.clip(p0, p1, to: rect)
            if tMin > tMax {
                if let clipped {  // A sliver the sampling missed must be tiny.
                    XCTAssertLessThan(hypot(clipped.end.x - clipped.start.x, clipped.end.y - clipped.start.y), 0.05)
                }
                continue
            }
            guard let clipped else { return XCTFail("segment \(p0)→\(p1) crosses the rectangle but was dropped") }
            let length = hypot(p1.x - p0.x, p1.y - p0.y)
            let tolerance = length * 2.0 / Double(steps) + 1e-9
            XCTAssertEqual(clipped.start.x, p0.x + (p1.x - p0.x) * tMin, accuracy: tolerance)
            XCTAssertEqual(clipped.start.y, p0.y + (p1.y - p0.y) * tMin, accuracy: tolerance)
            XCTAssertEqual(clipped.end.x, p0.x + (p1.x - p0.x) * tMax, accuracy: tolerance)
            XCTAssertEqual(clipped.end.y, p0.y + (p1.y - p0.y) * tMax, accuracy: tolerance)
        }
    }

    func testAxisMappingLinearAndLog() throws {
        let log = AxisMapping(scale: .log10, range: 1...100, start: 0, end: 200)
        XCTAssertEqual(try XCTUnwrap(log.position(10)), 100, accuracy: 1e-9)
        XCTAssertNil(log.position(0))
        XCTAssertNil(log.position(.nan))
        let flipped = AxisMapping(scale: .linear, range: -1...1, start: 300, end: 100)  // y axis points up
        XCTAssertEqual(try XCTUnwrap(flipped.position(0.5)), 150, accuracy: 1e-9)
    }

    func testHeatMapEdgesAndGrid() {
        XCTAssertEqual(HeatMap.edges(aroundCentres: [1, 2, 4], scale: .linear), [0.5, 1.5, 3, 5])
        let log = HeatMap.edges(aroundCentres: [1, 10, 100], scale: .log10)
        for (a, e) in zip(log, [pow(10, -0.5), pow(10, 0.5), pow(10, 1.5), pow(10, 2.5)]) { XCTAssertEqual(a, e, accuracy: 1e-9 * e) }
        XCTAssertEqual(HeatMap.edges(aroundCentres: [3], scale: .linear), [2.5, 3.5])
        let grid = HeatMap.grid(xEdges: [0, 1, 2], yEdges: [10, 20], values: [[5, 6, 7], [8]], colorBarLabel: "v")
        XCTAssertEqual(grid.cells.map(\.value), [5, 6])  // extra column and row have no edges
        XCTAssertEqual(grid.cells[1].x, 1...2)
        XCTAssertEqual(grid.cells[1].y, 10...20)
    }

    func testPanelLetters() {
        XCTAssertEqual(PanelLayoutBuilder.letter(0), "(a)")
        XCTAssertEqual(PanelLayoutBuilder.letter(25), "(z)")
        XCTAssertEqual(PanelLayoutBuilder.letter(26), "(aa)")
    }

    private func layout(_ panels: [Panel], columns: Int = 2) throws -> FigureLayout {
        try PlotFigure(panels: panels, columns: columns).measuredLayout()
    }

    func testAutoLegendAvoidsTheCornerWithData() throws {
        // Data only in the top right: the legend should move to the next corner in order, top left.
        let x = stride(from: 0.7, through: 1.0, by: 0.02).map { $0 }
        let panel = Panel(
            xAxis: Axis(label: "x", range: 0...1), yAxis: Axis(label: "y", range: 0...1),
            series: [Series(label: "upper right", x: x, y: x), Series(label: "b", x: [0.8], y: [0.9])])
        let result = try XCTUnwrap(try layout([panel]).panels[0].legend)
        XCTAssertTrue(result.inside)
        let plot = try layout([panel]).panels[0].plot
        XCTAssertEqual(result.frame.minX, plot.minX + PlotStyle.legendInset, accuracy: 1e-9)
        XCTAssertEqual(result.frame.minY, plot.minY + PlotStyle.legendInset, accuracy: 1e-9)
    }

    func testAutoLegendAvoidsAnnotations() throws {
        let panel = Panel(
            xAxis: Axis(label: "x", range: 0...1), yAxis: Axis(label: "y", range: 0...1),
            series: [Series(label: "middle", x: [0.4, 0.6], y: [0.5, 0.5])],
            annotations: [TextAnnotation(text: "a note in the corner", position: .relative(x: 0.98, y: 0.98), anchor: .topRight)])
        let panelLayout = try layout([panel]).panels[0]
        let legend = try XCTUnwrap(panelLayout.legend)
        XCTAssertTrue(legend.inside)
        XCTAssertEqual(legend.frame.minX, panelLayout.plot.minX + PlotStyle.legendInset, accuracy: 1e-9, "top left, not top right")
    }

    func testAutoLegendGoesOutsideWhenEveryCornerHasData() throws {
        let corners: [(Double, Double)] = [(0.02, 0.02), (0.98, 0.02), (0.02, 0.98), (0.98, 0.98), (0.5, 0.5)]
        let panel = Panel(
            xAxis: Axis(label: "x", range: 0...1), yAxis: Axis(label: "y", range: 0...1),
            series: [Series(label: "everywhere", x: corners.map(\.0), y: corners.map(\.1), style: .scatter(.palette(0)))])
        let panelLayout = try layout([panel]).panels[0]
        let legend = try XCTUnwrap(panelLayout.legend)
        XCTAssertFalse(legend.inside)
        XCTAssertGreaterThan(legend.frame.minX, panelLayout.plot.maxX)
        XCTAssertGreaterThan(panelLayout.extraWidth, 0)
        XCTAssertFalse(legend.frame.intersects(panelLayout.plot))
    }

    func testExplicitAndAbsentLegends() throws {
        let series = [Series(label: "a", x: [0, 1], y: [0, 1])]
        let bottomLeft = Panel(xAxis: .linear("x"), yAxis: .linear("y"), series: series, legend: .bottomLeft)
        let frame = try XCTUnwrap(try layout([bottomLeft]).panels[0].legend).frame
        let plot = try layout([bottomLeft]).panels[0].plot
        XCTAssertEqual(frame.maxY, plot.maxY - PlotStyle.legendInset, accuracy: 1e-9)
        XCTAssertNil(try layout([Panel(xAxis: .linear("x"), yAxis: .linear("y"), series: series, legend: .none)]).panels[0].legend)
        let unlabelled = Panel(xAxis: .linear("x"), yAxis: .linear("y"), series: [Series(label: "", x: [0], y: [0])])
        XCTAssertNil(try layout([unlabelled]).panels[0].legend)
    }

    func testOutsideLegendWithManyEntriesUsesSeveralColumnsWithinThePanelHeight() throws {
        let series = (0..<60).map { Series(label: "curve \($0)", x: [0, 1], y: [0, Double($0)]) }
        let panelLayout = try layout([Panel(xAxis: .linear("x"), yAxis: .linear("y"), series: series, legend: .outsideRight)]).panels[0]
        let legend = try XCTUnwrap(panelLayout.legend)
        XCTAssertGreaterThan(legend.columns, 1)
        XCTAssertLessThanOrEqual(legend.frame.maxY, panelLayout.cellSize.height)
    }

    func testGridPlacesPanelsRowByRowAndColourBarsWidenTheirColumn() throws {
        let plain = Panel(xAxis: .linear("x"), yAxis: .linear("y"), series: [Series(x: [0, 1], y: [0, 1])])
        var withBar = plain
        withBar.colorBar = ColorBarSpec(range: 1...10, label: "Layer l")
        let figure = try layout([plain, withBar, plain], columns: 2)
        XCTAssertEqual(figure.panels.map { $0.origin.y == figure.panels[0].origin.y }, [true, true, false])
        XCTAssertEqual(figure.panels[2].origin.x, figure.panels[0].origin.x)
        XCTAssertEqual(figure.panels[0].extraWidth, 0)
        XCTAssertGreaterThan(figure.panels[1].extraWidth, 20)
        XCTAssertEqual(figure.width, 2 * PlotStyle.figurePadding + 2 * 320 + figure.panels[1].extraWidth, accuracy: 1e-9)
        XCTAssertEqual(figure.height, 2 * PlotStyle.figurePadding + 2 * 240, accuracy: 1e-9)
        let bar = try XCTUnwrap(figure.panels[1].colorBars.first)
        XCTAssertGreaterThan(bar.bar.minX, figure.panels[1].plot.maxX)
        // A single panel is not stretched to two columns.
        XCTAssertEqual(try layout([plain]).width, 2 * PlotStyle.figurePadding + 320, accuracy: 1e-9)
    }

    func testPlotAreaLeavesRoomForTickLabelsAndAxisLabels() throws {
        let panel = Panel(xAxis: .log10("Width N"), yAxis: .linear("Test accuracy"), series: [Series(x: [10, 1000], y: [0.1, 0.9])])
        let plot = try layout([panel]).panels[0].plot
        XCTAssertGreaterThan(plot.minX, 30)  // y label + tick labels
        XCTAssertLessThan(plot.maxY, 240 - 25)  // x tick labels + x label
        XCTAssertGreaterThan(plot.width, 200)
        XCTAssertGreaterThan(plot.height, 150)
    }
}
