import Foundation
import XCTest
@testable import Figures

/// Rendering to files: sizes, text in the PDF, atomic writes, errors, awkward data.
final class PlotTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("plot-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Demo

    /// A log–log line plot with legend and error band next to a heat map on log axes with a colour bar.
    static func demoFigure() -> PlotFigure {
        let widths = [16.0, 32, 64, 128, 256, 512, 1024]
        var series: [Series] = []
        for (index, depth) in [2.0, 4, 8, 16].enumerated() {
            let y = widths.map { 0.8 * pow($0, -0.5) * pow(depth, 0.6) }
            series.append(Series(
                label: "L = \(Int(depth))", x: widths, y: y,
                style: SeriesStyle(color: .palette(index), marker: [.circle, .square, .triangle, .diamond][index]),
                band: (y.map { $0 * 0.85 }, y.map { $0 * 1.15 })))
        }
        series.append(Series(label: "∝ N^{−1/2}", x: widths, y: widths.map { 3 * pow($0, -0.5) }, style: .reference))
        let lines = Panel(
            title: "Alignment gap vs width", xAxis: .log10("Width N"), yAxis: .log10("1 − A_{l} / max_{l} A_{l}"),
            series: series)

        let depthCentres = [2.0, 4, 8, 16, 32, 64, 128]
        let widthCentres = [16.0, 32, 64, 128, 256, 512, 1024]
        let values = depthCentres.map { d in widthCentres.map { n in exp(-Foundation.log(n) / 3) * Foundation.log2(d + 1) } }
        var heat = HeatMap.grid(
            xEdges: HeatMap.edges(aroundCentres: widthCentres, scale: .log10),
            yEdges: HeatMap.edges(aroundCentres: depthCentres, scale: .log10),
            values: values, colorBarLabel: "ζ_{L}/ζ_{l}")
        heat.cells[3].value = .nan
        let heatPanel = Panel(
            title: "Layer ratio ζ_{L}/ζ_{l}", xAxis: .log10("Width N"), yAxis: .log10("Depth L"), heatMap: heat,
            annotations: [TextAnnotation(text: "n/a", x: 128, y: 2, anchor: .center)],
            showsGrid: false)
        return PlotFigure(panels: [lines, heatPanel], title: "Demo: feature learning across widths")
    }

    /// Four panels exercising linear axes with negative values, an outside legend, a colour bar for
    /// series coloured by layer, error bars, NaN breaks and an empty panel.
    static func stressFigure() -> PlotFigure {
        let x = (0..<40).map { Double($0) / 4 - 2 }
        var broken = x.map { sin($0) * 3 }
        broken[10] = .nan
        broken[20] = .infinity
        let linear = Panel(
            title: "Linear axes, NaN gaps", xAxis: .linear("Epoch"), yAxis: .linear("Loss change"),
            series: [
                Series(label: "sin", x: x, y: broken, style: .line(0, marker: .circle)),
                Series(label: "with error bars", x: x.map { $0 + 0.1 }, y: x.map { cos($0) * 2 }, style: .scatter(.palette(1), marker: .square),
                       yErrors: x.map { 0.2 + abs($0) * 0.1 }),
            ])
        var many: [Series] = []
        for layer in 1...12 {
            many.append(Series(label: "layer \(layer)", x: x.map { $0 + 2.01 }, y: x.map { pow($0 + 2.01, 1 + Double(layer) / 10) },
                               style: SeriesStyle(color: .palette(layer - 1), lineWidth: 1.2, dash: layer % 2 == 0 ? [3, 2] : nil)))
        }
        let outside = Panel(
            title: "Twelve curves, legend outside", xAxis: .log10("Step t"), yAxis: .log10("A_{l}(t)"), series: many)
        let bar = ColorBarSpec(range: 1...20, label: "Layer l", ticks: [1, 5, 10, 15, 20])
        let epochs = (0...30).map { Double($0) }
        let coloured: [Series] = (1...20).map { (layer: Int) -> Series in
            let rate = Double(layer + 2)
            let y: [Double] = epochs.map { 1 - exp(-$0 / rate) }
            return Series(x: epochs, y: y, style: SeriesStyle(color: bar.color(for: Double(layer)), lineWidth: 1.2))
        }
        let byLayer = Panel(
            title: "Coloured by layer", xAxis: Axis(label: "Epoch", range: 0...30), yAxis: Axis(label: "Alignment A_{l}", range: 0...1),
            series: coloured, colorBar: bar)
        let empty = Panel(title: "Nothing yet", xAxis: .log10("Width"), yAxis: .linear("Accuracy"),
                          series: [Series(label: "empty", x: [], y: []), Series(x: [-1, 0], y: [.nan, 2])])
        return PlotFigure(panels: [linear, outside, byLayer, empty])
    }

    func testDemoFigureRendersAndIsWideEnough() throws {
        let figure = Self.demoFigure()
        let png = directory.appendingPathComponent("demo.png"), pdf = directory.appendingPathComponent("demo.pdf")
        try figure.render(png: png, pdf: pdf)
        let (width, height) = try pngSize(png)
        XCTAssertGreaterThanOrEqual(width, 1200)
        let size = try figure.size()
        XCTAssertEqual(width, Int((size.width * 2).rounded(.up)))
        XCTAssertEqual(height, Int((size.height * 2).rounded(.up)))
        if let demoDirectory = ProcessInfo.processInfo.environment["PLOT_DEMO_DIR"] {
            let out = URL(fileURLWithPath: demoDirectory)
            try figure.render(png: out.appendingPathComponent("plotdemo.png"), pdf: out.appendingPathComponent("plotdemo.pdf"))
            try Self.stressFigure().render(png: out.appendingPathComponent("plotstress.png"), pdf: out.appendingPathComponent("plotstress.pdf"))
        }
    }

    // MARK: Files

    func testPNGAndPDFHaveSignaturesSizesAndText() throws {
        let figure = PlotFigure(
            panels: [
                Panel(title: "Training curve", xAxis: .linear("Epoch"), yAxis: .log10("Training loss"),
                      series: [Series(label: "SGD", x: [1, 2, 3, 4], y: [1, 0.5, 0.2, 0.1])]),
                Panel(title: "Layer ratios", xAxis: .log10("Width N"), yAxis: .linear("Alignment A_{l}"),
                      series: [Series(x: [10, 100, 1000], y: [0.2, 0.5, 0.9])]),
            ],
            title: "Figure Seven")
        let png = directory.appendingPathComponent("fig.png"), pdf = directory.appendingPathComponent("fig.pdf")
        try figure.render(png: png, pdf: pdf, pngScale: 1.5)
        let size = try figure.size()
        let (width, height) = try pngSize(png)
        XCTAssertEqual(width, Int((size.width * 1.5).rounded(.up)))
        XCTAssertEqual(height, Int((size.height * 1.5).rounded(.up)))

        let pdfBytes = try Data(contentsOf: pdf)
        XCTAssertEqual(String(decoding: pdfBytes.prefix(5), as: UTF8.self), "%PDF-")
        let text = try pdfText(pdf)
        for expected in ["Figure Seven", "Training curve", "Layer ratios", "Epoch", "Training loss", "Width N", "Alignment Al", "SGD", "(a)", "(b)"] {
            XCTAssertTrue(text.contains(squeezed(expected)), "PDF text lacks '\(expected)': \(text.prefix(400))")
        }
    }

    func testAtomicWriteLeavesOnlyTheTwoFilesAndReplacesOldOnes() throws {
        let png = directory.appendingPathComponent("out/plot.png"), pdf = directory.appendingPathComponent("out/plot.pdf")
        try FileManager.default.createDirectory(at: png.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("old".utf8).write(to: png)
        let figure = PlotFigure(panels: [Panel(xAxis: .linear("x"), yAxis: .linear("y"), series: [Series(x: [0, 1], y: [1, 0])])])
        try figure.render(png: png, pdf: pdf)
        try figure.render(png: png, pdf: pdf)
        let names = try FileManager.default.contentsOfDirectory(atPath: png.deletingLastPathComponent().path).sorted()
        XCTAssertEqual(names, ["plot.pdf", "plot.png"])
        XCTAssertEqual(try pngSize(png).0 > 100, true)
    }

    func testCreatesMissingOutputDirectories() throws {
        let png = directory.appendingPathComponent("a/b/c.png")
        let figure = PlotFigure(panels: [Panel(xAxis: .linear("x"), yAxis: .linear("y"))])
        try figure.renderPNG(to: png)
        XCTAssertTrue(FileManager.default.fileExists(atPath: png.path))
    }

    func testUnwritableDestinationThrowsPlotErrorNamingThePath() throws {
        // A regular file where a directory should be: fails even for root, unlike permission bits.
        let blocker = directory.appendingPathComponent("blocker")
        try Data("x".utf8).write(to: blocker)
        let png = blocker.appendingPathComponent("sub/figure.png"), pdf = blocker.appendingPathComponent("sub/figure.pdf")
        let figure = PlotFigure(panels: [Panel(xAxis: .linear("x"), yAxis: .linear("y"))])
        XCTAssertThrowsError(try figure.render(png: png, pdf: pdf)) { error in
            guard let plotError = error as? PlotError else { return XCTFail("expected PlotError, got \(error)") }
            guard case .unwritableDirectory = plotError else { return XCTFail("expected unwritableDirectory, got \(plotError)") }
            XCTAssertTrue(plotError.description.contains(png.path), plotError.description)
        }
        XCTAssertThrowsError(try figure.renderPDF(to: pdf)) { error in
            XCTAssertTrue("\(error)".contains(pdf.path), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["blocker"])
    }

    func testDestinationThatIsADirectoryFailsAndCleansUp() throws {
        let png = directory.appendingPathComponent("taken.png"), pdf = directory.appendingPathComponent("ok.pdf")
        try FileManager.default.createDirectory(at: png.appendingPathComponent("inner"), withIntermediateDirectories: true)
        let figure = PlotFigure(panels: [Panel(xAxis: .linear("x"), yAxis: .linear("y"))])
        XCTAssertThrowsError(try figure.render(png: png, pdf: pdf)) { error in
            XCTAssertTrue("\(error)".contains(png.path), "\(error)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertFalse(names.contains { $0.contains("partial") }, "temporary files left: \(names)")
        XCTAssertFalse(names.contains("ok.pdf"), "the PDF must not be committed when the PNG failed")
    }

    func testInvalidFiguresAreRejectedWithAReason() {
        let url = directory.appendingPathComponent("x.png")
        XCTAssertThrowsError(try PlotFigure(panels: []).renderPNG(to: url)) { error in
            XCTAssertEqual(error as? PlotError, .invalidFigure(reason: "it has no panels; add at least one Panel"))
        }
        let one = [Panel(xAxis: .linear("x"), yAxis: .linear("y"))]
        XCTAssertThrowsError(try PlotFigure(panels: one).renderPNG(to: url, scale: 0))
        XCTAssertThrowsError(try PlotFigure(panels: one).renderPNG(to: url, scale: .nan))
        XCTAssertThrowsError(try PlotFigure(panels: one, columns: 0).renderPNG(to: url))
        XCTAssertThrowsError(try PlotFigure(panels: one, panelSize: (10, 240)).renderPNG(to: url))
        XCTAssertThrowsError(try PlotFigure(panels: one).renderPNG(to: url, scale: 1000))
    }

    // MARK: Awkward data

    func testNonFiniteAndNonPositiveDataDoNotCrash() throws {
        let nasty: [Double] = [.nan, .infinity, -.infinity, 0, -1, 1e308, -1e308, 1e-308, 2, 3]
        let panels = [
            Panel(xAxis: .log10("x"), yAxis: .log10("y"),
                  series: [Series(label: "nasty", x: nasty, y: nasty.reversed(), style: .line(0, marker: .circle),
                                  yErrors: nasty, band: (nasty, nasty.reversed()))]),
            Panel(xAxis: .linear("x"), yAxis: .linear("y"),
                  series: [Series(x: nasty, y: nasty, style: .line(1, marker: .cross), yErrors: [1, .nan]),
                           Series(x: [1, 2, 3], y: [1]), Series(x: [], y: [])]),
            Panel(xAxis: .linear("x", range: 5...5), yAxis: .log10("y", range: -1...10),
                  heatMap: HeatMap(cells: [HeatCell(x: 0...1, y: 0...1, value: .nan), HeatCell(x: 1...2, y: 1...2, value: .infinity)],
                                   colorBarLabel: "v")),
            Panel(xAxis: .linear("x"), yAxis: .linear("y"), series: [Series(x: [.nan, .nan], y: [.nan, .nan])]),
        ]
        let png = directory.appendingPathComponent("nasty.png"), pdf = directory.appendingPathComponent("nasty.pdf")
        try PlotFigure(panels: panels).render(png: png, pdf: pdf)
        let text = try pdfText(pdf)
        XCTAssertTrue(text.contains("nodata"), "the all-NaN panel should say 'no data': \(text.prefix(300))")
    }

    func testNaNBreaksTheLineAndDataLandWhereMapped() throws {
        let red = PlotColor(r: 1, g: 0, b: 0)
        let panel = Panel(
            xAxis: Axis(label: "x", range: 0...4), yAxis: Axis(label: "y", range: 0...1),
            series: [Series(x: [0, 1, 2, 3, 4], y: [0.5, 0.5, .nan, 0.5, 0.5], style: SeriesStyle(color: red, lineWidth: 4))],
            showsGrid: false)
        let raster = try PlotRaster(PlotFigure(panels: [panel]), scale: 2)
        func isRed(_ x: Double, _ y: Double) -> Bool {
            guard let c = raster.color(panel: 0, x: x, y: y) else { return false }
            return c.r > 0.9 && c.g < 0.1 && c.b < 0.1
        }
        XCTAssertTrue(isRed(0.5, 0.5))
        XCTAssertTrue(isRed(3.5, 0.5))
        XCTAssertFalse(isRed(1.5, 0.5), "the segment into the NaN point must not be drawn")
        XCTAssertFalse(isRed(2.5, 0.5), "the segment out of the NaN point must not be drawn")
        XCTAssertFalse(isRed(0.5, 0.8))
        XCTAssertEqual(raster.color(panel: 0, x: 0.5, y: 0.8)?.hexValue, 0xFFFFFF)
    }

    func testHeatMapCellsTakeColormapColours() throws {
        let heat = HeatMap(
            cells: [HeatCell(x: 1...10, y: 1...10, value: 0), HeatCell(x: 10...100, y: 1...10, value: 4),
                    HeatCell(x: 1...10, y: 10...100, value: 2), HeatCell(x: 10...100, y: 10...100, value: .nan)],
            colormap: .viridis, valueRange: 0...4, colorBarLabel: "value")
        let panel = Panel(xAxis: .log10("x"), yAxis: .log10("y"), heatMap: heat, showsGrid: false)
        let raster = try PlotRaster(PlotFigure(panels: [panel]))
        // Cairo quantises colours through 16 bits, so allow one 8-bit step.
        func assertColor(_ x: Double, _ y: Double, _ hex: UInt32, tolerance: Double = 1.5 / 255, line: UInt = #line) {
            guard let actual = raster.color(panel: 0, x: x, y: y) else { return XCTFail("cell not placed", line: line) }
            let expected = PlotColor(hex: hex)
            XCTAssertEqual(actual.r, expected.r, accuracy: tolerance, line: line)
            XCTAssertEqual(actual.g, expected.g, accuracy: tolerance, line: line)
            XCTAssertEqual(actual.b, expected.b, accuracy: tolerance, line: line)
        }
        assertColor(3, 3, 0x440154)  // value 0 → viridis(0)
        assertColor(30, 3, 0xFDE725)  // value 4 → viridis(1)
        assertColor(30, 30, PlotColor.missingValue.hexValue)
        assertColor(3, 30, 0x21918C, tolerance: 2.5 / 255)  // value 2 → matplotlib's viridis(0.5)
        XCTAssertEqual(raster.layout.panels[0].xRange, 1...100, "heat maps fill the plot area without margins")
    }

    // MARK: Helpers

    /// Text of a PDF via poppler's pdftotext, with all white space removed.
    private func pdfText(_ url: URL) throws -> String {
        let candidates = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"]
        guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            XCTFail("pdftotext is missing: install poppler-utils (apt-get install poppler-utils)")
            return ""
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [url.path, "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return squeezed(String(decoding: data, as: UTF8.self))
    }

    private func squeezed(_ text: String) -> String {
        String(text.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init))
    }

    /// Width and height from a PNG's IHDR chunk, after checking the signature.
    private func pngSize(_ url: URL) throws -> (Int, Int) {
        let bytes = [UInt8](try Data(contentsOf: url))
        XCTAssertGreaterThan(bytes.count, 24)
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR")
        func be32(_ offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }
}
