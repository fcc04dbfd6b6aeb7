import Core
import Foundation

extension Provenance {
    /// Provenance of work that started at `started` in this process.
    public static func current(seed: UInt64, hashes: [String], started: Date) -> Provenance {
        Provenance(
            gitCommit: MachineDescription.gitCommit(),
            configurationHashes: hashes,
            seed: seed,
            wallSeconds: Date().timeIntervalSince(started),
            machine: MachineDescription.summary,
            blasKernel: BLASRuntime.coreName,
            date: ISO8601DateFormatter().string(from: Date()))
    }
}

/// Facts about the machine and the source tree, for provenance.
public enum MachineDescription {
    /// "host · CPU model · N cores".
    public static let summary: String = {
        let host = ProcessInfo.processInfo.hostName
        var cpu = "unknown CPU"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return "\(host) · \(cpu) · \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }()

    /// The commit of the current directory's git work tree, with "+dirty" when
    /// it has uncommitted changes; "unknown" outside a work tree.
    public static func gitCommit() -> String {
        guard let head = run(["git", "rev-parse", "--short=12", "HEAD"]), !head.isEmpty else { return "unknown" }
        let status = run(["git", "status", "--porcelain", "--untracked-files=no"]) ?? ""
        return status.isEmpty ? head : head + "+dirty"
    }

    private static func run(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
