import Foundation

/// A ``ProgressSink`` for a log file or CI output (standard error is not a terminal): it writes
/// whole lines, one per run event and a periodic heartbeat, never one per update.
///
/// Events, at most one line each per run (runs are told apart by configuration hash):
/// - resume: the first report of a run restored from a checkpoint ("resuming at step s");
///   a fresh start writes nothing of its own (the figure's log line has listed its runs), so a
///   short run costs one line;
/// - finish: the run stopped and its record is written (the final status line).
/// A run whose record was already in the cache writes nothing: a figure's own log line counts
/// its runs and its provenance lists them, and a log of a mostly cached `all` would otherwise
/// be one line per cached run.
/// Between events, a heartbeat (the status line of whichever run reported last) is written
/// when `heartbeat` seconds have passed since the last line of any kind, so a long run still
/// shows that it is alive and how far it got, while several runs sharing the log cost
/// nothing more. Checkpoints and failures are reported by the code that handles them (the
/// interruption message, the figure's notes, the command's error) and are not repeated here.
/// Thread-safe: concurrent runners may share one log.
public final class ProgressLog: ProgressSink, @unchecked Sendable {
    private let heartbeat: Double
    private let write: (String) -> Void
    private let clock: () -> Double
    private let lock = NSLock()
    private var started: Set<String> = []
    private var ended: Set<String> = []
    /// When the last line was written (the log's creation before the first): the first heartbeat
    /// comes `heartbeat` seconds after the log starts.
    private var lastLine: Double

    /// - Parameters:
    ///   - heartbeat: seconds between heartbeat lines (30 by default).
    ///   - write: where text goes (standard error by default; tests capture it).
    ///   - clock: seconds from an arbitrary origin (monotonic uptime by default).
    public init(heartbeat: Double = 30, write: ((String) -> Void)? = nil, clock: (() -> Double)? = nil) {
        self.heartbeat = heartbeat
        self.write = write ?? { text in FileHandle.standardError.write(Data(text.utf8)) }
        let clock = clock ?? { ProcessInfo.processInfo.systemUptime }
        self.clock = clock
        self.lastLine = clock()
    }

    public func update(_ progress: RunProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        let hash = progress.configurationHash
        let line: String?
        switch progress.phase {
        case .cached:
            ended.insert(hash)
            started.insert(hash)
            line = nil
        case .finished:
            line = ended.insert(hash).inserted ? TerminalProgressBar.render(progress) : nil
            started.insert(hash)
        case .preparing, .training, .measuring:
            if started.insert(hash).inserted, progress.step > 0 {
                line = Self.resumeLine(progress)
            } else if now - lastLine >= heartbeat, !ended.contains(hash) {
                line = TerminalProgressBar.render(progress)
            } else {
                line = nil
            }
        }
        guard let line else { return }
        write(line + "\n")
        lastLine = now
    }

    /// The line that announces a resumed run: "<label> [<hash>] resuming at step s (epoch e) after m:ss".
    static func resumeLine(_ progress: RunProgress) -> String {
        "\(progress.label) [\(progress.configurationHash)] resuming at step \(progress.step) (epoch \(progress.epoch)) after "
            + TerminalProgressBar.duration(progress.elapsedSeconds)
    }
}
