import Dispatch
import Foundation

/// Stop requests for long runs: the first SIGINT (Ctrl-C) or SIGTERM (what a cluster scheduler
/// sends before SIGKILL, e.g. at a time limit) sets a flag that trainings poll
/// (``Runner/stopRequested``) to write a checkpoint and stop; the program then exits with
/// ``exitStatus`` (130 after SIGINT, 143 after SIGTERM). A second signal exits at once.
public enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var received: Int32?
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Whether a stop was asked for.
    public static var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return received != nil
    }

    /// The exit status for a stopped program: 128 + the first signal received (130 for SIGINT,
    /// 143 for SIGTERM); 130 when none was received.
    public static var exitStatus: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return 128 + (received ?? SIGINT)
    }

    /// Starts listening for SIGINT and SIGTERM (idempotent). `message` is printed on the first one.
    public static func install(message: String = "stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)…") {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                lock.lock()
                let again = received != nil
                if received == nil { received = number }
                lock.unlock()
                if again { exit(128 + number) }
                let name = number == SIGTERM ? "SIGTERM: " : ""
                FileHandle.standardError.write(Data(("\n" + name + message + "\n").utf8))
            }
            source.resume()
            sources.append(source)
        }
    }
}
