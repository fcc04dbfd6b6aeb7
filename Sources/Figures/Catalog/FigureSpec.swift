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
    /// When true nothing is trained: figures use the finished records already in the cache,
    /// and every other run fails with ``RunSchedulerError/notInCache(_:)``.
    public var cachedOnly: Bool
    /// Whose protocol the scaling-law figures follow (`--protocol`): the paper's text and tables,
    /// or the authors' public code. Other figures ignore it.
    public var protocolFamily: ScalingLawProtocol.Family = .paper
    /// Writes a line of progress for the user (stderr).
    public var log: @Sendable (String) -> Void

    public init(profile: Profile, seed: UInt64, outputDirectory: URL, cacheDirectory: URL,
                dataDirectory: URL?, jobs: Int, seedsPerDepth: Int? = nil, depths: [Int]? = nil, cachedOnly: Bool = false,
                log: @escaping @Sendable (String) -> Void) {
        self.profile = profile
        self.seed = seed
        self.outputDirectory = outputDirectory
        self.cacheDirectory = cacheDirectory
        self.dataDirectory = dataDirectory
        self.jobs = jobs
        self.seedsPerDepth = seedsPerDepth
        self.depths = depths
        self.cachedOnly = cachedOnly
        self.log = log
    }
}

extension FigureContext {
    /// Runs the trainings a figure needs (cached, resumable, `jobs` at once),
    /// returning each record or the error that prevented it, in the order given.
    public func run(_ specs: [RunSpec]) -> [Result<RunRecord, Error>] {
        RunScheduler(cacheDirectory: cacheDirectory, dataDirectory: dataDirectory, jobs: jobs, cachedOnly: cachedOnly).run(specs)
    }
}

/// One paper figure or table: which work it needs, which panels it draws and
/// which claims it measures. Reading one should feel like reading the caption.
public protocol FigureSpec: Sendable {
    /// The id used on the command line, e.g. "theory" or "fig3".
    var id: String { get }
    /// A one-line title.
    var title: String { get }
    /// Where in the paper.
    var paperReference: String { get }
    /// Datasets it reads (empty for pure theory).
    var datasets: [DatasetName] { get }
    /// Produces the figure files and the measurements for its claims.
    func produce(in context: FigureContext) throws -> FigureResult
}
