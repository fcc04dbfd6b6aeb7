import Core
import Foundation

/// What a figure needs to know about the invocation.
public struct FigureContext: Sendable {
    /// quick (CI-sized) or full (the paper's protocol).
    public var profile: Profile
    /// Base seed; each figure derives its own streams from it.
    public var seed: UInt64
    /// Where PNG/PDF files go.
    public var outputDirectory: URL
    /// Where run records and checkpoints are cached.
    public var cacheDirectory: URL
    /// Where MNIST, KMNIST and CIFAR are looked for (Fashion-MNIST also in /usr/share/datasets).
    public var dataDirectory: URL?
    /// How many runs may execute at once.
    public var jobs: Int
    /// Seeds per configuration for the figures that repeat runs over seeds (Fig 3, Fig 8,
    /// Tables 1–3); nil keeps each figure's profile default.
    public var seedsPerDepth: Int?
    /// Depths for the scaling-law figures (Fig 3, Fig 8, Tables 1–3), from the paper's tables;
    /// nil keeps the profile's.
    public var depths: [Int]?
    /// `--candidate NAME`: replaces Fig 3's quick protocol (and so Fig 8's and Tables 1–3's) by a
    /// named calibration candidate of docs/calibration.md; nil keeps the quick protocol. Ignored under --full.
    public var calibrationCandidate: String?
    /// The command-line options that changed the profile's protocol or what was trained, as
    /// typed (e.g. "--seeds 2 --cached-only"), recorded in each figure's provenance; nil: none.
    public var protocolOptions: String?
    /// When true nothing is trained: figures use the finished records already in the cache,
    /// and every other run fails with ``RunSchedulerError/notInCache(_:)``.
    public var cachedOnly: Bool
    /// Whose protocol the scaling-law figures follow (`--protocol`): the paper's text and tables,
    /// or the authors' public code. Other figures ignore it.
    public var protocolFamily: ScalingLawProtocol.Family = .paper
    /// Writes a line of progress for the user (stderr).
    public var log: @Sendable (String) -> Void
    /// Collects records used unchecked and records refused while the figure runs (see ``RunIntegrityLog``).
    public var integrity = RunIntegrityLog()
    /// When set, the figure only plans: every spec it asks for is listed here and nothing is
    /// trained (the runs behave as under ``cachedOnly``), see ``RunSpecCollector``.
    public var plannedRuns: RunSpecCollector?

    public init(profile: Profile, seed: UInt64, outputDirectory: URL, cacheDirectory: URL,
                dataDirectory: URL?, jobs: Int, seedsPerDepth: Int? = nil, depths: [Int]? = nil, calibrationCandidate: String? = nil,
                cachedOnly: Bool = false, protocolOptions: String? = nil, log: @escaping @Sendable (String) -> Void) {
        self.profile = profile
        self.seed = seed
        self.outputDirectory = outputDirectory
        self.cacheDirectory = cacheDirectory
        self.dataDirectory = dataDirectory
        self.jobs = jobs
        self.seedsPerDepth = seedsPerDepth
        self.depths = depths
        self.calibrationCandidate = calibrationCandidate
        self.cachedOnly = cachedOnly
        self.protocolOptions = protocolOptions
        self.log = log
    }
}

extension FigureContext {
    /// Runs the trainings a figure needs (cached, resumable, `jobs` at once),
    /// returning each record or the error that prevented it, in the order given.
    public func run(_ specs: [RunSpec]) -> [Result<RunRecord, Error>] {
        plannedRuns?.add(specs)
        return RunScheduler(cacheDirectory: cacheDirectory, dataDirectory: dataDirectory, jobs: jobs,
                            cachedOnly: cachedOnly || plannedRuns != nil, integrity: integrity).run(specs)
    }
}

/// One paper figure or table: which work it needs, which panels it draws and which claims it
/// measures. Reading one should feel like reading the caption. A figure supplies only its
/// ``content(in:)``; the one shared path, ``produce(in:)``, renders it to `<id>.png`/`<id>.pdf`
/// and assembles the result and its provenance. How to add one: `Sources/Figures/Paper/README.md`.
public protocol FigureSpec: Sendable {
    /// The id used on the command line, e.g. "theory" or "fig3".
    var id: String { get }
    /// A one-line title.
    var title: String { get }
    /// Where in the paper.
    var paperReference: String { get }
    /// Datasets it reads (empty for pure theory).
    var datasets: [DatasetName] { get }
    /// Runs what it needs (``FigureContext/execute(stages:)``), draws its panels and measures its
    /// claims (a measurement of every claim it owns, "not run" with a reason when it cannot).
    func content(in context: FigureContext) throws -> FigureContent
    /// Whether the figure trains runs (``RunSpec``s) at all. Planning (``RunPlanner``, and the shared
    /// batch of several figures) evaluates a figure's content only to list its runs, so a figure
    /// that only computes (theory, Theorem A's checks) says false and is skipped there.
    /// Default: true.
    var trainsRuns: Bool { get }
}

extension FigureSpec {
    public var trainsRuns: Bool { true }
}

/// What one figure supplies to the shared path.
public struct FigureContent {
    /// The panels and their layout.
    public var figure: PlotFigure
    /// Caption: what the panels show and how quantities are defined.
    public var caption: String
    /// Every hyper-parameter and choice of the protocol.
    public var protocolSettings: [FigureResult.Setting]
    /// Approximations and choices the reader must know about.
    public var notes: [String]
    /// A measurement (or "not run") for each of its claims.
    public var measurements: [ClaimMeasurement]
    /// Configuration hashes of the runs it used, for provenance.
    public var configurationHashes: [String]
    /// The protocol family (`--protocol`) when it is not the paper's: its result is kept beside the
    /// paper protocol's, and its images are `<id>-<family>.png/.pdf`.
    public var protocolFamily: String? = nil
}

/// The shared figure path refused a figure's content: it emitted a claim id of another figure
/// (an internal error).
public struct ForeignClaimError: Error, CustomStringConvertible, Equatable {
    /// The figure that emitted it.
    public let figure: String
    /// The claim id.
    public let claim: String

    public var description: String {
        "figure '\(figure)' emitted claim '\(claim)', which belongs to another figure (an internal error; please report it)"
    }
}

extension FigureSpec {
    /// The image files of the figure, relative to the output directory: `<id>.png`, `<id>.pdf`, or
    /// `<id>-<family>.png/.pdf` under another protocol family than the paper's.
    public func imageFiles(protocolFamily: String? = nil) -> [String] {
        let stem = protocolFamily.map { "\(id)-\($0)" } ?? id
        return [stem + ".png", stem + ".pdf"]
    }

    /// The one path every figure takes: its content, rendered to ``imageFiles(protocolFamily:)`` in
    /// the output directory, with the result and its provenance (including the protocol options of
    /// the invocation, ``FigureContext/protocolOptions``).
    /// - Throws: the figure's own errors, a rendering error, or ``ForeignClaimError`` for an id that is not its own.
    public func produce(in context: FigureContext) throws -> FigureResult {
        let started = Date()
        let content = try content(in: context)
        if let foreign = content.measurements.first(where: { $0.claimId.figure != id }) {
            throw ForeignClaimError(figure: id, claim: foreign.claimId.rawValue)
        }
        let images = imageFiles(protocolFamily: content.protocolFamily)
        try content.figure.render(png: context.outputDirectory.appendingPathComponent(images[0]),
                                  pdf: context.outputDirectory.appendingPathComponent(images[1]))
        var provenance = Provenance.current(seed: context.seed, hashes: content.configurationHashes, started: started)
        provenance.protocolOptions = context.protocolOptions
        var result = FigureResult(
            id: id, title: title, paperReference: paperReference, profile: context.profile, caption: content.caption,
            images: images, protocolSettings: content.protocolSettings, notes: content.notes,
            measurements: content.measurements, provenance: provenance)
        result.protocolFamily = content.protocolFamily
        return result
    }
}
