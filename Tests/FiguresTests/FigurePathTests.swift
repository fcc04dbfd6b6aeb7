import Core
import XCTest
@testable import Figures

/// The shared figure path (``FigureSpec/produce(in:)``): rendering to `<id>.png/.pdf`, the result
/// and its provenance, and the guard on claim ids.
final class FigurePathTests: XCTestCase {
    private struct Toy: FigureSpec {
        var id = "fig6"
        var title = "toy"
        var paperReference = "nowhere"
        var datasets: [DatasetName] = []
        var claim = ClaimID.fig6FashionMNISTInitial

        func content(in context: FigureContext) throws -> FigureContent {
            FigureContent(
                figure: PlotFigure(panels: [Panel(title: "p", xAxis: .linear("x"), yAxis: .linear("y"),
                                                  series: [Series(label: "s", x: [0, 1], y: [0, 1], style: .line(0))])], columns: 1),
                caption: "c", protocolSettings: [.init("a", "b")], notes: ["n"],
                measurements: [ClaimMeasurement(claimId: claim, value: 0.97, uncertainty: .singleRun, detail: "d")],
                configurationHashes: ["00ff"])
        }
    }

    private func context(_ directory: URL, options: String? = nil) -> FigureContext {
        FigureContext(profile: .quick, seed: 4, outputDirectory: directory, cacheDirectory: directory, dataDirectory: nil, jobs: 1,
                      protocolOptions: options, log: { _ in })
    }

    func testTheSharedPathRendersRecordsProvenanceAndKeepsTheMeasurements() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("figure-path-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Toy().produce(in: context(directory, options: "--candidate sub200-lr1-L50-perOutput"))
        XCTAssertEqual(result.images, ["fig6.png", "fig6.pdf"])
        for image in result.images { XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(image).path), image) }
        XCTAssertEqual(result.provenance.protocolOptions, "--candidate sub200-lr1-L50-perOutput", "the figure path records the options")
        XCTAssertEqual(result.provenance.configurationHashes, ["00ff"])
        XCTAssertEqual(result.provenance.seed, 4)
        XCTAssertEqual(result.measurements.map(\.claimId), [.fig6FashionMNISTInitial])
        XCTAssertEqual(result.measurements.first?.method, .singleRun)
        XCTAssertEqual(result.protocolSettings, [.init("a", "b")])
    }

    func testAFigureCannotEmitAnotherFiguresClaim() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("figure-path-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try Toy(claim: .fig5FashionMNISTEigenvaluePeakAtRise).produce(in: context(directory))) { error in
            XCTAssertEqual(error as? ForeignClaimError, ForeignClaimError(figure: "fig6", claim: "fig5.fashionMNIST.eigenvalue.peakAtRise"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("fig6.png").path), "nothing is drawn")
    }
}
