import Core
import Foundation

/// One measured value for a claim, or the reason it could not be measured.
public struct ClaimMeasurement: Codable, Equatable, Sendable {
    /// The claim id in `paper-targets.json`.
    public var claimId: String
    /// The measured value; nil when the measurement could not run.
    public var value: Double?
    /// How the value was obtained, with the evidence (e.g. "OLS over 21 depths, 95% CI [0.58, 0.63]").
    public var detail: String
    /// Why the value is missing (e.g. "CIFAR-10 not found in …").
    public var notRunReason: String?
    /// Set when the value comes from only part of the protocol's runs (`--cached-only`):
    /// which part. The verdict is then marked partial wherever it is shown.
    public var partialBecause: String?
    /// Set when the value comes from another protocol than the profile's (`--seeds`, `--depths`,
    /// a calibration candidate, another centring): how it differs. The verdict is then marked.
    public var protocolChangedBecause: String?

    /// A measured value; `partialBecause` says what is missing when it rests on part of the runs,
    /// `protocolChangedBecause` how the protocol differs from the profile's.
    public init(claimId: String, value: Double, detail: String, partialBecause: String? = nil,
                protocolChangedBecause: String? = nil) {
        self.claimId = claimId
        self.value = value
        self.detail = detail
        self.notRunReason = nil
        self.partialBecause = partialBecause
        self.protocolChangedBecause = protocolChangedBecause
    }

    /// A measurement that could not be made.
    public init(claimId: String, notRunBecause reason: String) {
        self.claimId = claimId
        self.value = nil
        self.detail = ""
        self.notRunReason = reason
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

    /// Reads `results.json`; returns an empty file when none exists.
    /// - Throws: `FileError.corrupt` naming the file and the problem.
    public static func load(from url: URL) throws -> ResultsFile? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileError.unreadable(path: url.path, reason: "\(error.localizedDescription)")
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
            throw FileError.corrupt(path: url.path, reason: JSONErrorText.describe(error) + " (delete it and rerun the figures to rebuild it)")
        }
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url)
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
