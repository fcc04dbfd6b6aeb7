import Dispatch
import Foundation

/// Ctrl-C handling for long runs: the first SIGINT sets a flag that trainings
/// poll (``Runner/stopRequested``) to write a checkpoint and stop; a second
/// SIGINT exits at once with status 130.
public enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var requested = false
    nonisolated(unsafe) private static var source: DispatchSourceSignal?

    /// Whether the user asked to stop.
    public static var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    /// Starts listening for SIGINT (idempotent). `message` is printed on the first one.
    public static func install(message: String = "stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)…") {
        lock.lock()
        defer { lock.unlock() }
        guard source == nil else { return }
        signal(SIGINT, SIG_IGN)
        let signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        signalSource.setEventHandler {
            lock.lock()
            let again = requested
            requested = true
            lock.unlock()
            if again { exit(130) }
            FileHandle.standardError.write(Data(("\n" + message + "\n").utf8))
        }
        signalSource.resume()
        source = signalSource
    }
}
