import XCTest
@testable import Figures

/// Label markup, colours and colour maps.
final class PlotMarkupTests: XCTestCase {
    func testBracedAndSingleCharacterScripts() {
        XCTAssertEqual(TextMarkup.parse("L^{3/5}"), [TextRun("L"), TextRun("3/5", .superscript)])
        XCTAssertEqual(
            TextMarkup.parse("A_{l} / max_{l} A_{l}"),
            [TextRun("A"), TextRun("l", .subscript), TextRun(" / max"), TextRun("l", .subscript),
             TextRun(" A"), TextRun("l", .subscript)])
        XCTAssertEqual(TextMarkup.parse("x^2 + A_l"), [TextRun("x"), TextRun("2", .superscript), TextRun(" + A"), TextRun("l", .subscript)])
        XCTAssertEqual(TextMarkup.parse("ζ_{L}/ζ_{l}"), [TextRun("ζ"), TextRun("L", .subscript), TextRun("/ζ"), TextRun("l", .subscript)])
        XCTAssertEqual(TextMarkup.parse("1 − c_{l}"), [TextRun("1 − c"), TextRun("l", .subscript)])
    }

    func testEdgeCasesAreLiteralOrForgiving() {
        XCTAssertEqual(TextMarkup.parse(""), [])
        XCTAssertEqual(TextMarkup.parse("plain"), [TextRun("plain")])
        XCTAssertEqual(TextMarkup.parse("a\\_b\\^c"), [TextRun("a_b^c")])
        XCTAssertEqual(TextMarkup.parse("x^"), [TextRun("x^")])
        XCTAssertEqual(TextMarkup.parse("a ^ b"), [TextRun("a ^ b")])
        XCTAssertEqual(TextMarkup.parse("10^{3"), [TextRun("10"), TextRun("3", .superscript)])
        XCTAssertEqual(TextMarkup.parse("e^{{x}}"), [TextRun("e"), TextRun("{x}", .superscript)])
        XCTAssertEqual(TextMarkup.parse("x_{}"), [TextRun("x")])
        XCTAssertEqual(TextMarkup.parse("a^{1}^{2}"), [TextRun("a"), TextRun("12", .superscript)])
        XCTAssertEqual(TextMarkup.plainText("N^{−1/2} and A_{l}"), "N−1/2 and Al")
    }

    func testViridisAndMagmaEndpointsAndMiddle() {
        XCTAssertEqual(Colormap.viridis.color(at: 0).hexValue, 0x440154)
        XCTAssertEqual(Colormap.viridis.color(at: 1).hexValue, 0xFDE725)
        XCTAssertEqual(Colormap.magma.color(at: 0).hexValue, 0x000004)
        XCTAssertEqual(Colormap.magma.color(at: 1).hexValue, 0xFCFDBF)
        // matplotlib: viridis(0.5) = #21918C, viridis(0.25) = #3B528B, magma(0.5) = #B73779.
        for (map, t, hex) in [(Colormap.viridis, 0.5, 0x21918C), (.viridis, 0.25, 0x3B528B), (.magma, 0.5, 0xB73779)] as [(Colormap, Double, UInt32)] {
            let actual = map.color(at: t), expected = PlotColor(hex: hex)
            XCTAssertEqual(actual.r, expected.r, accuracy: 2.0 / 255, "\(map) at \(t)")
            XCTAssertEqual(actual.g, expected.g, accuracy: 2.0 / 255, "\(map) at \(t)")
            XCTAssertEqual(actual.b, expected.b, accuracy: 2.0 / 255, "\(map) at \(t)")
        }
    }

    func testColormapClampsAndMarksMissingValues() {
        XCTAssertEqual(Colormap.viridis.color(at: -3), Colormap.viridis.color(at: 0))
        XCTAssertEqual(Colormap.viridis.color(at: .infinity), Colormap.viridis.color(at: 1))
        XCTAssertEqual(Colormap.viridis.color(at: .nan), .missingValue)
        XCTAssertEqual(Colormap.viridis.reversedColor(at: 0), Colormap.viridis.color(at: 1))
        // Luminance proxy rises monotonically along viridis.
        let greens = stride(from: 0.0, through: 1.0, by: 0.05).map { Colormap.viridis.color(at: $0).g }
        XCTAssertEqual(greens, greens.sorted())
    }

    func testColourScalesMapValues() {
        let map = Colormap.viridis
        XCTAssertEqual(PlotColor.fromColormap(map, value: 10, range: 1...100, scale: .log10), map.color(at: 0.5))
        XCTAssertEqual(PlotColor.fromColormap(map, value: 25, range: 0...100), map.color(at: 0.25))
        XCTAssertEqual(PlotColor.fromColormap(map, value: -1, range: 1...100, scale: .log10), .missingValue)
        XCTAssertEqual(PlotColor.fromColormap(map, value: .nan, range: 0...1), .missingValue)
        XCTAssertEqual(PlotColor.fromColormap(map, value: 7, range: 3...3), map.color(at: 0.5))
        XCTAssertEqual(ColorBarSpec(range: 1...5, label: "").color(for: 5), map.color(at: 1))
    }

    func testPaletteHasEightDistinctColoursAndCycles() {
        XCTAssertGreaterThanOrEqual(PlotColor.palette.count, 8)
        XCTAssertEqual(Set(PlotColor.palette.map(\.hexValue)).count, PlotColor.palette.count)
        XCTAssertEqual(PlotColor.palette(PlotColor.palette.count), PlotColor.palette[0])
        XCTAssertEqual(PlotColor.palette(-1), PlotColor.palette.last)
        XCTAssertEqual(PlotColor(hex: 0x0072B2).hexValue, 0x0072B2)
        XCTAssertEqual(PlotColor.black.mixed(with: .white, fraction: 0.5).hexValue, 0x808080)
    }
}
