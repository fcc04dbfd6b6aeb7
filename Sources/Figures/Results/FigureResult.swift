import Core
import Foundation

/// A confidence interval of a measured value, as numbers.
public struct ConfidenceInterval: Codable, Equatable, Sendable {
    /// Lower end.
    public var lower: Double
    /// Upper end.
    public var upper: Double
    /// Nominal coverage, e.g. 0.95.
    public var level: Double

    /// "[0.6677, 2.191]".
    public var rangeText: String { "[\(NumberText.format(lower)), \(NumberText.format(upper))]" }
}

/// How the uncertainty of a measurement was obtained (docs/verdicts.md lists it per claim).
public enum UncertaintyMethod: String, Codable, Sendable, CaseIterable {
    /// Percentile interval of a cluster bootstrap over depths, then seeds within each depth.
    case clusterBootstrap = "cluster-bootstrap"
    /// The hull of a cluster-bootstrap percentile interval and the exact t-interval of the
    /// slope through the depths' means (``ScalingLawFit/verdictInterval``): the wider of the two at each end.
    case clusterBootstrapOrDepthMeansT = "cluster-bootstrap-or-depth-means-t"
    /// Percentile interval of a bootstrap of paired differences (same depth and seed under
    /// two protocols), resampling depths, then pairs within each depth.
    case pairedBootstrap = "paired-bootstrap"
    /// The hull of a paired-bootstrap percentile interval and the exact t-interval of the depths'
    /// mean paired differences (an intercept shift's verdict interval): the wider of the two at each end.
    case pairedBootstrapOrDepthMeansT = "paired-bootstrap-or-depth-means-t"
    /// Percentile interval of a plain bootstrap over independent runs (the cells of a
    /// hyperparameter grid, or the runs of each of two groups resampled on their own).
    case runBootstrap = "run-bootstrap"
    /// Percentile interval of a bootstrap over the test images of two trained networks, each
    /// test set resampled on its own: the sampling error of the measured accuracies, not the
    /// spread between training seeds (one network each).
    case testSetBootstrap = "test-set-bootstrap"
    /// A deterministic quantity (an exact recursion, an identity evaluated in floating point):
    /// the interval is [value, value].
    case deterministic
    /// One trained network or one Monte Carlo study: there is no interval.
    case singleRun = "single-run"
    /// A statistic over several runs whose interval is not estimated (yet).
    case notEstimated = "not-estimated"

    /// Words for tables.
    public var text: String {
        switch self {
        case .clusterBootstrap: return "cluster bootstrap"
        case .clusterBootstrapOrDepthMeansT: return "cluster bootstrap ∪ depth-means t"
        case .pairedBootstrap: return "paired bootstrap"
        case .pairedBootstrapOrDepthMeansT: return "paired bootstrap ∪ depth-means t"
        case .runBootstrap: return "bootstrap over runs"
        case .testSetBootstrap: return "bootstrap over test images"
        case .deterministic: return "deterministic"
        case .singleRun: return "single run, no interval"
        case .notEstimated: return "no interval estimated"
        }
    }
}

/// The uncertainty a figure states with a measured value: its method, its interval (when
/// the method gives one) and the number of independent units it rests on.
public struct Uncertainty: Equatable, Sendable {
    /// How it was obtained.
    public var method: UncertaintyMethod
    /// The interval (nil for a single run, or when a bootstrap had too few distinct resamples).
    public var interval: ConfidenceInterval?
    /// Independent units behind the value (runs, or (depth, seed) pairs); nil when not meaningful.
    public var sampleSize: Int?

    /// An exact quantity: the interval is [value, value].
    public static func deterministic(_ value: Double) -> Uncertainty {
        Uncertainty(method: .deterministic, interval: ConfidenceInterval(lower: value, upper: value, level: 1), sampleSize: nil)
    }

    /// One network or one study: no interval.
    public static let singleRun = Uncertainty(method: .singleRun, interval: nil, sampleSize: 1)

    /// A statistic over `runs` runs whose interval is not estimated.
    public static func notEstimated(runs: Int) -> Uncertainty {
        Uncertainty(method: .notEstimated, interval: nil, sampleSize: runs)
    }

    /// A 95% bootstrap interval over `sampleSize` units (nil interval when the bootstrap gave none).
    public static func bootstrap(_ method: UncertaintyMethod, _ range: ClosedRange<Double>?, sampleSize: Int) -> Uncertainty {
        Uncertainty(method: method, interval: range.map { ConfidenceInterval(lower: $0.lowerBound, upper: $0.upperBound, level: 0.95) },
                    sampleSize: sampleSize)
    }
}

/// One measured value for a claim, or the reason it could not be measured. The value, its
/// interval, sample size and method are numbers and enums: nothing reads them back from ``detail``.
public struct ClaimMeasurement: Codable, Equatable, Sendable {
    /// The claim id in `paper-targets.json`.
    public var claimId: ClaimID
    /// The measured value; nil when the measurement could not run.
    public var value: Double?
    /// The value's interval (nil for a single run or a missing value).
    public var interval: ConfidenceInterval?
    /// Independent units behind the value (runs, or (depth, seed) pairs).
    public var sampleSize: Int?
    /// How the uncertainty was obtained; nil only in results written before intervals were kept.
    public var method: UncertaintyMethod?
    /// How the value was obtained, with the evidence, in words for the reader.
    public var detail: String
    /// Why the value is missing (e.g. "CIFAR-10 not found in …").
    public var notRunReason: String?
    /// Set when the value comes from only part of the protocol's runs (`--cached-only`):
    /// which part. The verdict is then marked partial wherever it is shown.
    public var partialBecause: String?
    /// Set when the value comes from another protocol than the profile's (`--seeds`, `--depths`,
    /// a calibration candidate, another centring): how it differs. The verdict is then marked.
    public var protocolChangedBecause: String?

    /// A measured value with its uncertainty; `partialBecause` says what is missing when it rests
    /// on part of the runs, `protocolChangedBecause` how the protocol differs from the profile's.
    public init(claimId: ClaimID, value: Double, uncertainty: Uncertainty, detail: String, partialBecause: String? = nil,
                protocolChangedBecause: String? = nil) {
        self.claimId = claimId
        self.value = value
        self.interval = uncertainty.interval
        self.sampleSize = uncertainty.sampleSize
        self.method = uncertainty.method
        self.detail = detail
        self.notRunReason = nil
        self.partialBecause = partialBecause
        self.protocolChangedBecause = protocolChangedBecause
    }

    /// A measurement that could not be made.
    public init(claimId: ClaimID, notRunBecause reason: String) {
        self.claimId = claimId
        self.value = nil
        self.detail = ""
        self.notRunReason = reason
    }

    /// The uncertainty as stated (a missing method reads as not estimated).
    public var uncertainty: Uncertainty {
        Uncertainty(method: method ?? .notEstimated, interval: interval, sampleSize: sampleSize)
    }
}

/// Where a result came from.
public struct Provenance: Codable, Equatable, Sendable {
    /// `git rev-parse HEAD` of the working tree ("+dirty" when it had changes), or "unknown".
    public var gitCommit: String
    /// Configuration hashes of the cached runs the figure used.
    public var configurationHashes: [String]
    /// The base seed.
    public var seed: UInt64
    /// Wall time of producing the figure, seconds.
    public var wallSeconds: Double
    /// Host, CPU and core count.
    public var machine: String
    /// The OpenBLAS kernel that ran.
    public var blasKernel: String
    /// ISO 8601 time the figure was produced.
    public var date: String
    /// Command-line options that changed the profile's protocol or what was trained
    /// (e.g. "--seeds 2 --depths 70,80 --cached-only"); nil when there were none.
    public var protocolOptions: String?
    /// Run records used without their data being checked against the dataset files (the
    /// dataset was absent under `--cached-only`), as "hash (label): reason"; nil when there were none.
    public var uncheckedRecords: [String]? = nil
}

/// Everything one figure produced: files, measurements, protocol and provenance.
public struct FigureResult: Codable, Equatable, Sendable {
    /// Figure id (e.g. "theory", "fig3").
    public var id: String
    /// Figure title.
    public var title: String
    /// Where in the paper.
    public var paperReference: String
    /// The profile it ran under.
    public var profile: Profile
    /// Caption: what the panels show and how quantities are defined.
    public var caption: String
    /// Image files, relative to the output directory (PNG first, then PDF).
    public var images: [String]
    /// Every hyper-parameter and choice of the protocol, as ordered name–value pairs.
    public var protocolSettings: [Setting]
    /// Approximations and choices the reader must know about.
    public var notes: [String]
    /// Measured values for the figure's claims.
    public var measurements: [ClaimMeasurement]
    /// The protocol family (`--protocol`) when it is not the paper's (nil = the paper's): results of
    /// one figure under different families are kept side by side and are checked against the
    /// claims of their own family (``ClaimTarget/protocolFamily``).
    public var protocolFamily: String?
    /// Provenance.
    public var provenance: Provenance
    /// Measurements read from a results file whose id is not a ``ClaimID`` of this version (a
    /// renamed or mistyped id): kept as read, so that the gate reports each as undeclared and a
    /// rewrite of the file keeps them. Figures of this version cannot produce one.
    public var undeclaredMeasurements: [UndeclaredMeasurement] = []

    /// A protocol setting.
    public struct Setting: Codable, Equatable, Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }
}

/// A measurement whose id is not a ``ClaimID`` (see ``FigureResult/undeclaredMeasurements``).
public struct UndeclaredMeasurement: Codable, Equatable, Sendable {
    /// The id as written.
    public var claimId: String
    public var value: Double?
    public var detail: String?
    public var notRunReason: String?
}

extension FigureResult {
    private enum CodingKeys: String, CodingKey {
        case id, title, paperReference, profile, caption, images, protocolSettings, notes, measurements, protocolFamily, provenance
    }

    /// One entry of the `measurements` array: a typed measurement, or one with an unknown id.
    private enum Entry: Decodable {
        case typed(ClaimMeasurement)
        case undeclared(UndeclaredMeasurement)

        init(from decoder: Decoder) throws {
            if let typed = try? ClaimMeasurement(from: decoder) {
                self = .typed(typed)
            } else {
                let raw = try UndeclaredMeasurement(from: decoder)
                guard ClaimID(rawValue: raw.claimId) == nil else { self = .typed(try ClaimMeasurement(from: decoder)); return }
                self = .undeclared(raw)
            }
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        title = try container.decode(String.self, forKey: .title)
        paperReference = try container.decode(String.self, forKey: .paperReference)
        profile = try container.decode(Profile.self, forKey: .profile)
        caption = try container.decode(String.self, forKey: .caption)
        images = try container.decode([String].self, forKey: .images)
        protocolSettings = try container.decode([Setting].self, forKey: .protocolSettings)
        notes = try container.decode([String].self, forKey: .notes)
        let entries = try container.decode([Entry].self, forKey: .measurements)
        measurements = entries.compactMap { if case let .typed(m) = $0 { return m }; return nil }
        undeclaredMeasurements = entries.compactMap { if case let .undeclared(m) = $0 { return m }; return nil }
        protocolFamily = try container.decodeIfPresent(String.self, forKey: .protocolFamily)
        provenance = try container.decode(Provenance.self, forKey: .provenance)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(paperReference, forKey: .paperReference)
        try container.encode(profile, forKey: .profile)
        try container.encode(caption, forKey: .caption)
        try container.encode(images, forKey: .images)
        try container.encode(protocolSettings, forKey: .protocolSettings)
        try container.encode(notes, forKey: .notes)
        var list = container.nestedUnkeyedContainer(forKey: .measurements)
        for measurement in measurements { try list.encode(measurement) }
        for measurement in undeclaredMeasurements { try list.encode(measurement) }
        try container.encodeIfPresent(protocolFamily, forKey: .protocolFamily)
        try container.encode(provenance, forKey: .provenance)
    }
}

/// The machine-readable results of one output directory (`results.json`).
public struct ResultsFile: Codable, Sendable {
    /// Format version.
    public var schemaVersion: Int = 1
    /// The figures produced, at most one per (id, profile).
    public var figures: [FigureResult] = []

    public init() {}

    /// Inserts or replaces the result with the same id, profile and protocol family.
    public mutating func merge(_ result: FigureResult) {
        figures.removeAll { $0.id == result.id && $0.profile == result.profile && $0.protocolFamily == result.protocolFamily }
        figures.append(result)
        figures.sort { ($0.id.figureSortKey, $0.profile.rawValue) < ($1.id.figureSortKey, $1.profile.rawValue) }
    }

    /// Merges `result` into the results file at `url` under an exclusive lock on the hidden
    /// `.results.json.lock` beside it, re-reading the file first: commands that share one
    /// `--out` and finish at the same time never lose each other's results.
    public static func merge(_ result: FigureResult, into url: URL) throws {
        try withLock(on: url) {
            var file = try load(from: url) ?? ResultsFile()
            file.merge(result)
            try file.write(to: url)
        }
    }

    /// Runs `body` holding the lock that ``merge(_:into:)`` takes on the results file at `url`
    /// (e.g. to rebuild the report from a state no other command is changing).
    public static func withLock<T>(on url: URL, _ body: () throws -> T) throws -> T {
        try FileLock.withExclusiveLock(url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".lock"), body)
    }

    /// Reads `results.json`; returns an empty file when none exists.
    /// - Throws: `FileError.corrupt` naming the file and the problem.
    public static func load(from url: URL) throws -> ResultsFile? {
        let directory = url.deletingLastPathComponent().path
        if SystemErrorText.isDirectory(directory), access(directory, R_OK | X_OK) != 0 {
            // An unreadable directory would otherwise look empty ("no stored results").
            throw FileError.unreadable(path: url.path, reason: "its directory \(directory) cannot be read (permission denied); check the directory's permissions")
        }
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileError.unreadable(path: url.path, reason: SystemErrorText.describe(error, path: url.path))
        }
        do {
            let file = try JSONDecoder().decode(ResultsFile.self, from: data)
            guard file.schemaVersion == 1 else {
                throw FileError.corrupt(path: url.path, reason: "schemaVersion \(file.schemaVersion) is not supported")
            }
            return file
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError.corrupt(path: url.path, reason: JSONErrorText.describe(error, expected: "an object with schemaVersion and figures")
                                    + " (delete it and rerun the figures to rebuild it)")
        }
    }

    /// Writes the file atomically. A non-finite measured value (which JSON cannot hold) is
    /// written as null without a not-run reason, which the gate reports as a defect; an interval
    /// with a non-finite end is dropped.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var finite = self
        for f in finite.figures.indices {
            for m in finite.figures[f].measurements.indices where finite.figures[f].measurements[m].value.map({ !$0.isFinite }) ?? false {
                let value = finite.figures[f].measurements[m].value ?? 0
                finite.figures[f].measurements[m].value = nil
                finite.figures[f].measurements[m].detail = "non-finite value \(value) emitted; " + finite.figures[f].measurements[m].detail
            }
            // An interval with a non-finite end carries no information (and JSON cannot hold it).
            for m in finite.figures[f].measurements.indices {
                if let interval = finite.figures[f].measurements[m].interval, !(interval.lower.isFinite && interval.upper.isFinite) {
                    finite.figures[f].measurements[m].interval = nil
                }
            }
        }
        let data: Data
        do {
            data = try encoder.encode(finite)
        } catch {
            throw FileError.writeFailed(path: url.path, reason: "the results cannot be encoded (\(error))")
        }
        try AtomicFile.write(data, to: url)
    }
}

extension String {
    /// Orders "fig2" before "fig10", "table1" after figures, "theory" first.
    var figureSortKey: String {
        let digits = self.filter(\.isNumber)
        let letters = self.filter { !$0.isNumber }
        let rank: String
        switch letters {
        case "theory": rank = "0"
        case "thmA": rank = "1"
        case "fig": rank = "2"
        case "table": rank = "3"
        default: rank = "4"
        }
        return rank + letters + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
