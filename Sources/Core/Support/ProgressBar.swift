import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``ProgressSink`` that draws one status line on the terminal.
///
/// On a terminal the line is redrawn in place with a carriage return (at most
/// ten times a second, plus every phase change), cut to the terminal's width so
/// that it never wraps; when the run ends the final line is kept and a newline
/// written. When standard error is not a terminal (a log file, CI) it writes as a
/// ``ProgressLog``: one line per run event (start or resume, finish, cached) and a
/// heartbeat every `interval` seconds, never a line per update. The silent style
/// writes nothing. Thread-safe: several runners may share
/// one bar (it then shows whichever reported last).
public final class TerminalProgressBar: ProgressSink, @unchecked Sendable {
    /// How the bar writes.
    public enum Style: Equatable, Sendable {
        /// `redraw` when standard error is a terminal (and TERM is not "dumb"), else `lines(interval: 30)`.
        case automatic
        /// One line redrawn in place with `\r`.
        case redraw
        /// Whole lines: one per run event plus a heartbeat every `interval` seconds (``ProgressLog``).
        case lines(interval: Double)
        /// No output at all.
        case silent
    }

    private let style: Style
    private let write: (String) -> Void
    private let clock: () -> Double
    private let widthLimit: Int
    private let lock = NSLock()
    private var lastDraw: Double = -.infinity
    private var lastPhase: RunProgress.Phase?
    private var lastHash: String?
    private var drawnLength = 0
    private let log: ProgressLog?

    /// A bar writing to standard error.
    /// - Parameters:
    ///   - style: how to write (``Style/automatic`` picks by whether stderr is a terminal).
    ///   - write: where text goes (standard error by default; tests capture it).
    ///   - clock: seconds from an arbitrary origin (monotonic uptime by default).
    ///   - width: the longest line drawn in `redraw` style (the terminal's width by default).
    public init(style: Style = .automatic, write: ((String) -> Void)? = nil,
                clock: (() -> Double)? = nil, width: Int? = nil) {
        if style == .automatic {
            let dumb = ProcessInfo.processInfo.environment["TERM"] == "dumb"
            self.style = (isatty(STDERR_FILENO) == 1 && !dumb) ? .redraw : .lines(interval: 30)
        } else {
            self.style = style
        }
        self.write = write ?? { text in FileHandle.standardError.write(Data(text.utf8)) }
        self.clock = clock ?? { ProcessInfo.processInfo.systemUptime }
        self.widthLimit = max(20, (width ?? Self.terminalColumns()) - 1)
        if case let .lines(interval) = self.style {
            log = ProgressLog(heartbeat: interval, write: self.write, clock: self.clock)
        } else {
            log = nil
        }
    }

    /// The style actually in use (``Style/automatic`` resolved).
    public var resolvedStyle: Style { style }

    public func update(_ progress: RunProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        let isEnd = progress.phase == .finished || progress.phase == .cached
        let isNewRun = progress.configurationHash != lastHash
        let phaseChanged = progress.phase != lastPhase || isNewRun
        switch style {
        case .silent, .automatic:
            return
        case .redraw:
            guard isEnd || phaseChanged || now - lastDraw >= 0.1 else { return }
            var line = Self.render(progress)
            if line.count > widthLimit { line = String(line.prefix(widthLimit)) }
            let padding = String(repeating: " ", count: max(0, drawnLength - line.count))
            write("\r" + line + padding + (isEnd ? "\n" : ""))
            drawnLength = isEnd ? 0 : line.count
        case .lines:
            log?.update(progress)
            return
        }
        lastDraw = now
        lastPhase = progress.phase
        lastHash = progress.configurationHash
    }

    /// The status line for a progress report, e.g.
    /// `fashion-mnist L10 N100 lr0.003 s0 [####------] epoch 3/20 step 1407 loss 0.4123 acc 85.1% test 84.2% 0:42 ETA 4:12`.
    public static func render(_ progress: RunProgress, barWidth: Int = 10) -> String {
        var parts = [progress.label]
        switch progress.phase {
        case .cached:
            parts.append("cached (\(progress.configurationHash))")
            return parts.joined(separator: " ")
        case .finished:
            parts.append("done: epoch \(progress.epoch), step \(progress.step)")
            if let loss = progress.trainLoss { parts.append("loss \(fixed(loss, 4))") }
            if let test = progress.testAccuracy { parts.append("test \(percent(test))") }
            parts.append("in \(duration(progress.elapsedSeconds))")
            return parts.joined(separator: " ")
        case .preparing:
            parts.append("preparing")
        case .training, .measuring:
            if let fraction = progress.fractionDone, barWidth > 0 {
                let filled = Int((fraction * Double(barWidth)).rounded(.down))
                parts.append("[" + String(repeating: "#", count: filled)
                             + String(repeating: "-", count: barWidth - filled) + "]")
            }
            parts.append("epoch \(progress.epoch)" + (progress.epochLimit.map { "/\($0)" } ?? ""))
            parts.append("step \(progress.step)")
            if let loss = progress.trainLoss { parts.append("loss \(fixed(loss, 4))") }
            if let accuracy = progress.trainAccuracy { parts.append("acc \(percent(accuracy))") }
            if let test = progress.testAccuracy { parts.append("test \(percent(test))") }
            if progress.phase == .measuring { parts.append("(measuring)") }
        }
        parts.append(duration(progress.elapsedSeconds))
        if let remaining = progress.estimatedSecondsRemaining { parts.append("ETA \(duration(remaining))") }
        return parts.joined(separator: " ")
    }

    /// Seconds as `m:ss` or `h:mm:ss` (rounded down to whole seconds; negative and non-finite as 0:00).
    public static func duration(_ seconds: Double) -> String {
        let total = seconds.isFinite && seconds > 0 ? Int(seconds) : 0
        let (hours, minutes, secs) = (total / 3600, (total / 60) % 60, total % 60)
        let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))"
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        value.isFinite ? String(format: "%.\(decimals)f", value) : "\(value)"
    }

    static func percent(_ fraction: Double) -> String {
        fixed(fraction * 100, 1) + "%"
    }

    /// The terminal's width in columns (from the COLUMNS variable or the
    /// terminal driver), 80 when unknown.
    static func terminalColumns() -> Int {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns > 0 {
            return columns
        }
        #if os(Linux) || os(macOS)
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        #endif
        return 80
    }
}
