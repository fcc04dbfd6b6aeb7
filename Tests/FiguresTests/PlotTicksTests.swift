import XCTest
@testable import Figures

/// Tick positions, labels and automatic ranges against hand-computed expectations.
final class PlotTicksTests: XCTestCase {
    private func assertClose(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-9, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(actual) vs \(expected)", file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: tolerance * max(1, abs(e)), "\(actual) vs \(expected)", file: file, line: line)
        }
    }

    func testNiceStepsFollowOneTwoFive() {
        XCTAssertEqual(AxisTicks.niceStep(span: 1), 0.2, accuracy: 1e-12)  // raw 0.2
        XCTAssertEqual(AxisTicks.niceStep(span: 100), 20, accuracy: 1e-12)  // raw 20
        XCTAssertEqual(AxisTicks.niceStep(span: 7), 1, accuracy: 1e-12)  // raw 1.4 → 1
        XCTAssertEqual(AxisTicks.niceStep(span: 0.03), 0.005, accuracy: 1e-15)  // raw 0.006 → 5e-3
        XCTAssertEqual(AxisTicks.niceStep(span: 40), 10, accuracy: 1e-12)  // raw 8 → 10
        XCTAssertEqual(AxisTicks.niceStep(span: 12), 2, accuracy: 1e-12)  // raw 2.4 → 2
    }

    func testLinearTicksAndLabels() {
        let unit = AxisTicks.ticks(for: .linear(""), range: -0.05...1.05)
        assertClose(unit.major.map(\.value), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(unit.major.map(\.label), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        // Step 0.2 has four subdivisions of 0.05; 21 multiples of 0.05 in [0, 1] minus 6 majors, plus −0.05 and 1.05.
        XCTAssertEqual(unit.minor.count, 17)
        XCTAssertTrue(unit.minor.contains { abs($0 - 0.05) < 1e-12 })
        XCTAssertFalse(unit.minor.contains { abs($0 - 0.2) < 1e-12 })

        let signed = AxisTicks.ticks(for: .linear(""), range: -3...7)
        assertClose(signed.major.map(\.value), [-2, 0, 2, 4, 6])
        XCTAssertEqual(signed.major.map(\.label), ["\u{2212}2", "0", "2", "4", "6"])

        let big = AxisTicks.ticks(for: .linear(""), range: 0...300_000)
        XCTAssertEqual(big.major.map(\.label), ["0", "5×10^{4}", "10^{5}", "1.5×10^{5}", "2×10^{5}", "2.5×10^{5}", "3×10^{5}"])
    }

    func testLogTicksOverManyDecadesArePowersOfTen() {
        let ticks = AxisTicks.logTicks(in: 1e-3...1e2)
        assertClose(ticks.major.map(\.value), [1e-3, 1e-2, 1e-1, 1, 10, 100])
        XCTAssertEqual(ticks.major.map(\.label), ["10^{\u{2212}3}", "10^{\u{2212}2}", "10^{\u{2212}1}", "10^{0}", "10^{1}", "10^{2}"])
        XCTAssertEqual(ticks.minor.count, 5 * 8)  // 2…9 × 10^k for k = −3…1
        XCTAssertTrue(ticks.minor.contains { abs($0 - 0.005) < 1e-15 })

        let wide = AxisTicks.logTicks(in: 1e-10...1e10)  // 21 decades → every third labelled
        assertClose(wide.major.map(\.value), [1e-9, 1e-6, 1e-3, 1, 1e3, 1e6, 1e9])
        XCTAssertEqual(wide.minor.count, 21 - 7)
    }

    func testLogTicksOverFewDecadesArePlainNumbers() {
        let depths = AxisTicks.logTicks(in: 8...120)
        assertClose(depths.major.map(\.value), [10, 20, 50, 100])
        XCTAssertEqual(depths.major.map(\.label), ["10", "20", "50", "100"])
        assertClose(depths.minor, [8, 9, 30, 40, 60, 70, 80, 90])

        let narrow = AxisTicks.logTicks(in: 20...45)  // 1-2-5 gives one tick, 1-2-3-5 two, 1…9 three
        assertClose(narrow.major.map(\.value), [20, 30, 40])

        let oneDecade = AxisTicks.logTicks(in: 2...90)  // 1.65 decades but only one power of ten inside
        assertClose(oneDecade.major.map(\.value), [2, 5, 10, 20, 50])

        let tiny = AxisTicks.logTicks(in: 21...29)  // no 1…9 × 10^k multiple but 30: linear fallback
        assertClose(tiny.major.map(\.value), [22, 24, 26, 28])
    }

    func testExplicitTicksKeepTheirLabelsAndDropOutOfRange() {
        let axis = Axis(label: "", scale: .log10, ticks: [0.5, 1, 10, 1000, -1], tickLabels: nil)
        let ticks = AxisTicks.ticks(for: axis, range: 1...100)
        assertClose(ticks.major.map(\.value), [1, 10])
        XCTAssertTrue(ticks.minor.isEmpty)
        let labelled = Axis(label: "", ticks: [0, 1], tickLabels: ["off", "on"])
        XCTAssertEqual(AxisTicks.ticks(for: labelled, range: 0...1).major.map(\.label), ["off", "on"])
    }

    func testAutomaticRanges() throws {
        let linear = try XCTUnwrap(AxisTicks.automaticRange([1, .nan, 3, .infinity], scale: .linear))
        XCTAssertEqual(linear.lowerBound, 0.9, accuracy: 1e-12)
        XCTAssertEqual(linear.upperBound, 3.1, accuracy: 1e-12)
        let log = try XCTUnwrap(AxisTicks.automaticRange([10, 1000, -5, 0], scale: .log10))
        XCTAssertEqual(log.lowerBound, pow(10, 0.9), accuracy: 1e-9)
        XCTAssertEqual(log.upperBound, pow(10, 3.1), accuracy: 1e-9)
        XCTAssertNil(AxisTicks.automaticRange([.nan, -1], scale: .log10))
        XCTAssertNil(AxisTicks.automaticRange([], scale: .linear))
        XCTAssertEqual(AxisTicks.automaticRange([5, 5], scale: .linear), 4.5...5.5)
        XCTAssertEqual(AxisTicks.automaticRange([0], scale: .linear), -0.5...0.5)
        let single = try XCTUnwrap(AxisTicks.automaticRange([100], scale: .log10))
        XCTAssertEqual(single.lowerBound, pow(10, 1.5), accuracy: 1e-9)
        XCTAssertEqual(AxisTicks.automaticRange([1, 3], scale: .linear, margin: 0), 1...3)
    }

    func testInvalidRequestedRangesFallBackToData() {
        let data = [1.0, 3.0]
        XCTAssertEqual(PanelLayoutBuilder.resolveRange(Axis(scale: .log10, range: -1...10), data: data, margin: 0), 1...3)
        XCTAssertEqual(PanelLayoutBuilder.resolveRange(Axis(range: 2...2), data: data, margin: 0), 1...3)
        XCTAssertEqual(PanelLayoutBuilder.resolveRange(Axis(range: 0...10), data: data, margin: 0), 0...10)
        XCTAssertEqual(PanelLayoutBuilder.resolveRange(Axis(scale: .log10), data: [], margin: 0.05), 1...10)
    }

    func testNumberFormatting() {
        XCTAssertEqual(TickFormat.plainNumber(0.05), "0.05")
        XCTAssertEqual(TickFormat.plainNumber(20), "20")
        XCTAssertEqual(TickFormat.plainNumber(-2.5), "\u{2212}2.5")
        XCTAssertEqual(TickFormat.plainNumber(1e6), "10^{6}")
        XCTAssertEqual(TickFormat.plainNumber(2.5e-5), "2.5×10^{\u{2212}5}")
        XCTAssertEqual(TickFormat.linearLabels([-1, -0.5, 0, 0.5], step: 0.5), ["\u{2212}1.0", "\u{2212}0.5", "0.0", "0.5"])
        XCTAssertEqual(TickFormat.linearLabels([0, 0.25, 0.5], step: 0.25), ["0.00", "0.25", "0.50"])
        XCTAssertEqual(TickFormat.decimals(needed: 0.30000000000000004), 1)
        XCTAssertEqual(TickFormat.logLabel(1000), "10^{3}")
        XCTAssertEqual(TickFormat.logLabel(30), "30")
    }
}
