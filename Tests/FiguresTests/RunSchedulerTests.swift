import Core
import XCTest
@testable import Figures

/// The local scheduler trains real (tiny) runs: `--jobs` must change no number.
final class RunSchedulerTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil).isPresent else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("RunSchedulerTests-\(UUID())")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Three tiny runs (and a duplicate) with one job and with three at once: the records agree
    /// bit for bit (but for wall-clock times) and come back in the order given, the duplicate
    /// trained once. Catches: results returned in completion order, state shared between
    /// concurrent runs (a generator, a buffer, a dataset being loaded), a reduction whose order
    /// depends on the number of threads.
    func testJobsChangeNoRecordAndResultsKeepTheGivenOrder() throws {
        let specs = [3, 1, 2].map { seed in
            RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 8, probePerClass: 2,
                    architecture: RunSpec.architecture(for: .fashionMNIST, width: 8, depth: 3),
                    optimizer: .sgd(learningRate: 0.02, momentum: 0.9, weightDecay: 5e-4), batchSize: 16, stopping: .epochs(2),
                    alignment: AlignmentSchedule(logSpacedStepsPerDecade: 3, logSpacedUntilEpoch: 1, everyEpoch: true), seed: UInt64(seed))
        }
        // Requested against the scheduler's own (hash) order, so that any other order shows.
        let descending = specs.sorted { $0.configurationHash > $1.configurationHash }
        let requested = descending + [descending[0]]
        func records(jobs: Int) throws -> [RunRecord] {
            let cache = directory.appendingPathComponent("jobs-\(jobs)")
            let results = RunScheduler(cacheDirectory: cache, dataDirectory: nil, jobs: jobs, showsProgress: false).run(requested)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".json") }.count, 3,
                           "the duplicate is trained once")
            return try results.map { try $0.get() }
        }
        let one = try records(jobs: 1), three = try records(jobs: 3)
        XCTAssertEqual(one.map(\.configurationHash), requested.map(\.configurationHash))
        XCTAssertEqual(three.map(\.configurationHash), requested.map(\.configurationHash))
        for (a, b) in zip(one, three) {
            XCTAssertEqual(try CanonicalJSON.string(for: a.deterministicPart), try CanonicalJSON.string(for: b.deterministicPart), a.spec.label)
        }
        XCTAssertNotEqual(one[0].finalTrain.loss, one[1].finalTrain.loss, "the seeds give different runs")
    }

    /// Bug caught: after Ctrl-C or SIGTERM every run not yet started was still started, trained one
    /// step and left a checkpoint (a killed grid of 11 cells wrote 10 of them). Now the running one
    /// checkpoints and the others are not started.
    func testAStopRequestStartsNoFurtherRun() throws {
        let specs = (1...3).map { SeedFigure.spec(seed: UInt64($0), epochs: 3) }
        let cache = directory.appendingPathComponent("stopped")
        // The stop arrives once the first run is under way: the first question is answered "no".
        final class Flag: @unchecked Sendable {
            let lock = NSLock()
            var asked = 0
            func stop() -> Bool { lock.lock(); defer { lock.unlock() }; asked += 1; return asked > 1 }
        }
        let flag = Flag()
        let results = RunScheduler(cacheDirectory: cache, dataDirectory: nil, jobs: 1, showsProgress: false,
                                   stopRequested: { flag.stop() }).run(specs)
        let errors = results.map { result -> RunError? in
            if case let .failure(error) = result { return error as? RunError }
            return nil
        }
        XCTAssertEqual(errors.filter { if case .interrupted = $0 { return true } else { return false } }.count, 1, "\(errors)")
        XCTAssertEqual(errors.filter { if case .notStarted = $0 { return true } else { return false } }.count, 2, "\(errors)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".checkpoint") }
        XCTAssertEqual(checkpoints.count, 1, "only the run that was training wrote a checkpoint")
        // The message shown is the stopped training's (it names the checkpoint), not "not started".
        let shown = try XCTUnwrap(RunError.mostInformative(Array(errors.compactMap { $0 }.reversed())))
        XCTAssertTrue(shown.description.contains(checkpoints[0]), shown.description)
    }

    /// A figure that trains the runs of `seeds` when drawn and records, in `trainedWhenDrawn`, how
    /// many of them were not yet in the cache at that moment.
    private struct SeedFigure: FigureSpec {
        var id: String
        var title = "seeds"
        var paperReference = "test"
        var datasets: [DatasetName] = [.fashionMNIST]
        var seeds: [UInt64]
        var trainedWhenDrawn: Counter

        final class Counter: @unchecked Sendable { var value = 0 }

        static func spec(seed: UInt64, epochs: Int) -> RunSpec {
            RunSpec(dataset: .fashionMNIST, trainSubsetPerClass: 8, probePerClass: 2,
                    architecture: RunSpec.architecture(for: .fashionMNIST, width: 8, depth: 3),
                    optimizer: .sgd(learningRate: 0.02, momentum: 0.9, weightDecay: 5e-4), batchSize: 16,
                    stopping: .epochs(epochs), seed: seed)
        }

        func content(in context: FigureContext) throws -> FigureContent {
            let specs = seeds.map { Self.spec(seed: $0, epochs: Int($0)) }
            if context.plannedRuns == nil {
                let cache = RunCache(directory: context.cacheDirectory)
                trainedWhenDrawn.value += try specs.filter { try cache.record(for: $0) == nil }.count
            }
            let records = try context.run(specs).map { try $0.get() }
            return FigureContent(
                figure: PlotFigure(panels: [Panel(title: "p", xAxis: .linear("x"), yAxis: .linear("y"),
                                                  series: [Series(label: "s", x: [0, 1], y: [0, 1], style: .line(0))])], columns: 1),
                caption: "c", protocolSettings: [], notes: [], measurements: [],
                configurationHashes: records.map(\.configurationHash))
        }
    }

    /// Several figures with --jobs 2: their runs are trained in one batch before the first figure is
    /// drawn, so no figure trains anything itself (catches a batch that leaves runs to the figures,
    /// or a plan that trains). One job, or --cached-only, leaves the figures as they were.
    func testSeveralFiguresShareOneBatchOfRuns() throws {
        let counter = SeedFigure.Counter()
        let figures: [any FigureSpec] = [SeedFigure(id: "fig4", seeds: [1, 2], trainedWhenDrawn: counter),
                                         SeedFigure(id: "fig11", seeds: [2, 3], trainedWhenDrawn: counter)]
        func context(jobs: Int, cachedOnly: Bool = false) -> FigureContext {
            FigureContext(profile: .quick, seed: 1, outputDirectory: directory, cacheDirectory: directory.appendingPathComponent("cache-\(jobs)"),
                          dataDirectory: nil, jobs: jobs, cachedOnly: cachedOnly, log: { _ in })
        }
        XCTAssertEqual(try SharedRunBatch.trainAhead(figures, in: context(jobs: 2, cachedOnly: true)), 0)
        XCTAssertEqual(try SharedRunBatch.trainAhead(figures, in: context(jobs: 1)), 0)
        XCTAssertEqual(try SharedRunBatch.trainAhead(Array(figures.prefix(1)), in: context(jobs: 2)), 0, "one figure: its own batch")
        XCTAssertEqual(try SharedRunBatch.trainAhead(figures, in: context(jobs: 2)), 3, "three distinct runs")
        for figure in figures { _ = try figure.content(in: context(jobs: 2)) }
        XCTAssertEqual(counter.value, 0, "every run was in the cache when its figure was drawn")
        XCTAssertEqual(try SharedRunBatch.trainAhead(figures, in: context(jobs: 2)), 0, "nothing left to train")
    }
}
